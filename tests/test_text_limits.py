"""Every long text a writer types has a limit, shown as they type (the box's maxlength, which the
page turns into a running count), and text over it is refused with a message and kept as typed."""

import pytest

from actions.forms import ActionForm, ActionUpdateForm, CancelForm, CompleteForm
from cases.forms.setup import DeclineForm, NominationForm
from findings.forms import BriefingLayoutForm, item_form_class
from findings.meeting import MeetingForm
from findings.services import KINDS

from .factories import ActionFactory, CaseFactory

pytestmark = pytest.mark.django_db


def _forms(audit):
    action = ActionFactory(audit=audit)
    case = CaseFactory(audit=audit)
    forms = [
        (lambda data: ActionForm(data, audit=audit), "text", 2000),
        (lambda data: ActionForm(data, audit=audit), "intended_outcome", 2000),
        (lambda data: ActionForm(data, audit=audit), "impact_measure", 2000),
        (lambda data: ActionUpdateForm(data, action=action), "text", 5000),
        (lambda data: CompleteForm(data, action=action), "outcome_statement", 5000),
        (lambda data: CancelForm(data, action=action), "cancel_reason", 2000),
        (lambda data: NominationForm(data, audit=audit), "reason", 2000),
        (lambda data: DeclineForm(data), "reason", 1000),
        (lambda data: MeetingForm(data, audit=audit, cases=[case]), "learning_summary", 20000),
        (lambda data: MeetingForm(data, audit=audit, cases=[case]), f"note_{case.pk}", 20000),
        (lambda data: BriefingLayoutForm(data, audit=audit), "process", 10000),
    ]
    forms += [
        (lambda data, kind=kind: item_form_class(kind, audit)(data), "text", 5000)
        for kind in KINDS.values()
    ]
    return forms


def test_every_long_text_has_a_limit_shown_and_keeps_what_was_typed(audit):
    for make, name, limit in _forms(audit):
        assert f'maxlength="{limit}"' in str(make(None)[name]), (make, name)
        typed = "Word " * (limit // 5) + "over"
        form = make({name: typed})
        assert not form.is_valid()
        said = " ".join(form.errors[name])
        assert f"at most {limit:,}" in said or f"over the limit of {limit:,}" in said, (name, said)
        assert form[name].value() == typed  # shown again as typed, never cut


def test_a_briefing_point_longer_than_a_paragraph_is_refused(audit):
    form = BriefingLayoutForm({"process": "Short point.\n" + "x" * 2001}, audit=audit)
    assert not form.is_valid()
    assert form.errors["process"] == [
        "Point 2 is longer than 2,000 characters: split it into shorter points."
    ]


def test_a_field_left_empty_is_named_in_its_message(audit):
    from django import forms

    form = NominationForm({}, audit=audit)
    assert not form.is_valid()
    assert form.errors["label"] == ["Fill in “Label”."]
    decline = DeclineForm({})
    assert not decline.is_valid()
    assert decline.errors["reason"] == ["Fill in “Reason for declining”."]

    class Kinds(forms.Form):
        understood = forms.BooleanField(label="I have read the notice")
        package = forms.FileField(label="Audit package (JSON):")
        sector = forms.ChoiceField(choices=[("a", "A")])
        kinds = forms.MultipleChoiceField(choices=[("a", "A")])
        first_name = forms.CharField()
        code = forms.CharField(error_messages={"required": "Enter the 6 digits."})

    kinds = Kinds({})
    assert not kinds.is_valid()
    assert {name: errors[0] for name, errors in kinds.errors.items()} == {
        "understood": "Tick “I have read the notice” to go on.",
        "package": "Choose a file for “Audit package (JSON)”.",
        "sector": "Choose an option for “Sector”.",
        "kinds": "Choose at least one for “Kinds”.",
        "first_name": "Fill in “First name”.",
        "code": "Enter the 6 digits.",  # a form's own message is kept
    }
