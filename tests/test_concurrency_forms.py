"""The edit-conflict check on its own: what a form shows of someone else's change, what it takes
from them for the fields the person left alone, and what it keeps of what they typed."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, QueryDict
from django.test import RequestFactory

from cases.models import Audit
from maca import concurrency
from maca.concurrency import (
    FIELD,
    VALUES,
    Change,
    VersionedFormMixin,
    check_current,
    differs_from_saved,
    locked_version,
    no_lost_updates,
    shown,
    version_of,
)
from maca.models import Agency

from .conftest import member
from .factories import AgencyFactory

pytestmark = pytest.mark.django_db
COLOURS = [("Warm", [("red", "Red"), ("amber", "Amber")]), ("blue", "Blue")]


class AuditSettings(VersionedFormMixin, forms.Form):
    record_label = "this audit"
    title = forms.CharField()
    colour = forms.ChoiceField(choices=COLOURS, required=False)
    urgent = forms.BooleanField(required=False)
    due = forms.DateField(required=False)
    agencies = forms.ModelMultipleChoiceField(queryset=Agency.objects.all(), required=False)
    lead = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False)
    kinds = forms.MultipleChoiceField(choices=[("a", "Apples"), ("b", "Bananas")], required=False)

    def __init__(self, audit, *args, **kwargs):
        self.audit = audit
        super().__init__(*args, **kwargs)

    def versioned_records(self):
        return (self.audit,)


@pytest.fixture
def agencies(audit):
    return [AgencyFactory(partnership=audit.partnership, name=n) for n in ("Health", "Police")]


def stored(known, **changes) -> dict:
    values = {
        "title": "Ours",
        "colour": "red",
        "urgent": True,
        "due": datetime.date(2026, 3, 4),
        "agencies": [known[0]],
        "lead": known[0],
        "kinds": ["a"],
    }
    return {**values, **changes}


def as_sent(form) -> QueryDict:
    """What the browser sends back from the form as drawn, nothing changed."""
    data = QueryDict(mutable=True)
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data.setlist(name, [str(getattr(item, "pk", item)) for item in value])
        elif value is not None:
            data[name] = str(getattr(value, "pk", value))
    return data


def saved_by_someone_else(audit) -> Audit:
    Audit.objects.filter(pk=audit.pk).update(
        updated_at=F("updated_at") + datetime.timedelta(seconds=1)
    )
    return Audit.objects.get(pk=audit.pk)


def test_fields_left_alone_take_every_kind_of_saved_value(audit, agencies):
    sent = as_sent(AuditSettings(audit, initial=stored(agencies)))
    sent["title"] = "Mine"
    audit = saved_by_someone_else(audit)
    theirs = stored(
        agencies,
        title="Theirs",
        colour="blue",
        urgent=False,
        due=datetime.date(2026, 5, 6),
        agencies=agencies,
        lead=None,
        kinds=["a", "b"],
    )
    form = AuditSettings(audit, sent, initial=theirs)

    assert not form.is_valid()
    assert form.non_field_errors() == [
        "Someone else changed this audit while you were editing, so nothing was saved. What you "
        "typed is kept in the form, and what they changed is shown below: save again to replace "
        "theirs with your version, or cancel to keep theirs."
    ]
    assert form.merged_changes == [
        Change("Colour", "Blue", True),
        Change("Urgent", "No", True),
        Change("Due", "6 May 2026", True),
        Change("Agencies", "Health, Police", True),
        Change("Lead", "", True),
        Change("Kinds", "Apples, Bananas", True),
    ]
    assert form.kept_changes == [Change("Title", "Theirs")]
    assert "urgent" not in form.data
    assert form.data["title"] == "Mine"
    assert form.data["colour"] == "blue"
    assert form.data["due"] == "2026-05-06"
    assert form.data.getlist("agencies") == [str(agency.pk) for agency in agencies]
    assert form.data["lead"] == ""
    assert form.data.getlist("kinds") == ["a", "b"]

    again = AuditSettings(audit, form.data, initial=theirs)
    assert again.is_valid(), again.errors
    assert again.cleaned_data["title"] == "Mine"
    assert again.cleaned_data["urgent"] is False

    # Someone changes the colour again while the person reads the conflict: taken again.
    changed_again = saved_by_someone_else(audit)
    third = AuditSettings(changed_again, form.data, initial={**theirs, "colour": "amber"})
    assert not third.is_valid()
    assert third.conflict == [Change("Colour", "Amber", True)]


def test_a_box_ticked_by_someone_else_is_ticked_in_the_form(audit, agencies):
    drawn = AuditSettings(audit, initial=stored(agencies, urgent=False))
    for hidden in (FIELD, VALUES):  # drawn as the browser keeps them, unseen
        assert str(drawn[hidden]).startswith('<input type="hidden"')
    sent = as_sent(drawn)
    audit = saved_by_someone_else(audit)
    form = AuditSettings(audit, sent, initial=stored(agencies, urgent=True, lead=agencies[1]))
    assert not form.is_valid()
    assert form.merged_changes == [Change("Urgent", "Yes", True), Change("Lead", "Police", True)]
    assert form.data["urgent"] == "on"
    assert form.data["lead"] == str(agencies[1].pk)


def test_without_a_query_dict_a_list_is_taken_whole(audit, agencies):
    sent = as_sent(AuditSettings(audit, initial=stored(agencies)))
    plain = {
        name: sent.getlist(name) if len(sent.getlist(name)) > 1 else sent[name] for name in sent
    }
    plain["agencies"] = [str(agencies[0].pk)]
    plain["kinds"] = ["a"]
    audit = saved_by_someone_else(audit)
    form = AuditSettings(audit, plain, initial=stored(agencies, kinds=["b"]))
    assert not form.is_valid()
    assert form.data["kinds"] == ["b"]


def test_a_draft_kept_while_refused_is_the_version_saved_again_from(audit, agencies):
    """The form shown after a draft was kept stands on that draft: a later change by someone
    else to a field the person left alone is taken, not listed against what they typed."""
    sent = as_sent(AuditSettings(audit, initial=stored(agencies)))
    sent["title"] = "Mine"
    draft = AuditSettings(audit, sent, initial=stored(agencies))
    assert draft.is_valid()
    audit = saved_by_someone_else(audit)  # the draft, saved
    draft.carry_saved_version(audit)
    assert draft.data[FIELD] == version_of(audit)

    audit = saved_by_someone_else(audit)  # then someone else changes the title and colour
    form = AuditSettings(audit, draft.data, initial=stored(agencies, title="Theirs", colour="blue"))
    assert not form.is_valid()
    assert form.conflict == [Change("Title", "Theirs", True), Change("Colour", "Blue", True)]
    assert (form.data["title"], form.data["colour"]) == ("Theirs", "blue")


def test_shown_reads_stored_values_as_a_person_does(agencies):
    assert shown(forms.BooleanField(), True) == "Yes"
    assert shown(forms.BooleanField(), False) == "No"
    assert shown(forms.CharField(), None) == ""
    assert shown(forms.CharField(), "") == ""
    assert shown(forms.MultipleChoiceField(choices=[("a", "A")]), []) == ""
    assert shown(forms.ChoiceField(choices=COLOURS), "amber") == "Amber"
    assert shown(forms.ChoiceField(choices=COLOURS), "gone") == "gone"
    assert shown(forms.ChoiceField(choices=[("", "Any colour"), *COLOURS]), "") == ""
    assert shown(forms.DateField(), datetime.date(2026, 1, 2)) == "2 January 2026"
    everyone = Agency.objects.all()
    assert shown(forms.ModelChoiceField(queryset=everyone), agencies[1].pk) == "Police"
    assert shown(forms.ModelChoiceField(queryset=everyone), 0) == ""
    assert shown(forms.ModelMultipleChoiceField(queryset=everyone), [agencies[1].pk]) == "Police"
    assert shown(forms.IntegerField(), 7) == "7"


def test_the_version_of_several_records_is_their_latest_change(audit, agencies):
    later = saved_by_someone_else(audit)
    assert version_of(audit, None, later) == later.updated_at.isoformat()
    assert version_of(None) == version_of() == ""
    assert locked_version(audit, None) == later.updated_at.isoformat()
    unsaved = Audit(partnership=audit.partnership)
    assert locked_version(unsaved, None) == ""
    with transaction.atomic():
        assert locked_version(audit) == later.updated_at.isoformat()


def test_a_change_pressed_on_an_older_page_is_refused_with_its_reason(audit):
    loaded = version_of(audit)
    check_current(audit, loaded_version=loaded, label="this audit")
    check_current(audit, loaded_version=None, label="this audit")
    saved_by_someone_else(audit)
    with pytest.raises(ValidationError) as refused:
        check_current(audit, loaded_version=loaded, label="this audit")
    assert refused.value.code == concurrency.CONFLICT
    assert refused.value.messages == [
        "Someone else changed this audit after you opened the page, so nothing was changed. "
        "Check it as it is now, then try again."
    ]


def test_a_guarded_view_runs_its_post_alone_in_one_transaction_with_all_it_was_given():
    seen = []

    def view(request, number, *, name):
        seen.append(len(transaction.get_connection().atomic_blocks))
        return HttpResponse(f"{request.method} {number} {name}")

    guarded = no_lost_updates(view)
    assert guarded.no_lost_updates is True
    assert (guarded.__name__, guarded.__wrapped__) == ("view", view)
    outside = len(transaction.get_connection().atomic_blocks)
    assert guarded(RequestFactory().post("/"), 7, name="a").content == b"POST 7 a"
    assert guarded(RequestFactory().get("/"), 8, name="b").content == b"GET 8 b"
    assert seen == [outside + 1, outside]


def test_a_guarded_view_is_run_again_while_the_form_asks_until_its_last_run():
    runs_left = []

    def view(request):
        runs_left.append(concurrency._runs_left.get())
        if concurrency._runs_left.get() > 0:
            raise concurrency._BuildAgain
        return HttpResponse("built from the records as they are")

    answer = no_lost_updates(view)(RequestFactory().post("/"))
    assert answer.content == b"built from the records as they are"
    assert runs_left == [2, 1, 0] and concurrency._runs_left.get() == 0


def test_a_view_asking_to_build_again_on_its_last_run_is_a_mistake_said_plainly():
    def view(request):
        raise concurrency._BuildAgain

    with pytest.raises(AssertionError) as raised:
        no_lost_updates(view)(RequestFactory().post("/"))
    assert str(raised.value) == "unreachable: the last run does not build again"


def test_only_the_fields_that_show_stored_values_are_compared(audit):
    class Note(VersionedFormMixin, forms.Form):
        version_fields = ("title",)
        title = forms.CharField()
        note = forms.CharField(required=False)  # what to say of the change: no stored value

        def versioned_records(self):
            return (audit,)

    sent = as_sent(Note(initial={"title": "Ours"}))
    sent["note"] = "Typed now"
    saved_by_someone_else(audit)
    form = Note(sent, initial={"title": "Theirs"})
    assert not form.is_valid()
    assert form.conflict == [Change("Title", "Theirs", True)]


def test_a_field_showing_no_stored_value_is_not_listed_even_without_what_was_loaded(audit):
    """A page drawn before the form sent what it showed: what the person typed in a field of
    no stored value (what to say of the change) is not shown as someone else's change."""

    class Note(VersionedFormMixin, forms.Form):
        version_fields = ("title",)
        title = forms.CharField()
        note = forms.CharField(required=False)

        def versioned_records(self):
            return (audit,)

    sent = as_sent(Note(initial={"title": "Ours"}))
    del sent[VALUES]
    sent["title"], sent["note"] = "Mine", "Typed now"
    saved_by_someone_else(audit)
    form = Note(sent, initial={"title": "Theirs"})
    assert not form.is_valid()
    assert form.conflict == [Change("Title", "Theirs")]


def test_a_form_of_no_stored_record_has_no_version_and_no_conflict():
    class Question(VersionedFormMixin, forms.Form):
        text = forms.CharField()

    drawn = Question()
    assert drawn[FIELD].value() == ""
    sent = Question({"text": "Why?", FIELD: "", VALUES: drawn[VALUES].value()})
    assert sent.is_valid() and sent.conflict is None


def test_without_what_was_loaded_only_fields_typed_otherwise_than_saved_are_listed(audit, agencies):
    sent = as_sent(AuditSettings(audit, initial=stored(agencies)))
    del sent[VALUES]  # a page drawn before the form sent what it showed
    sent["title"], sent["colour"] = "Mine", "amber"
    audit = saved_by_someone_else(audit)
    form = AuditSettings(audit, sent, initial=stored(agencies, title="Theirs", colour="blue"))
    assert not form.is_valid()
    assert form.conflict == [Change("Title", "Theirs"), Change("Colour", "Blue")]
    assert (form.data["title"], form.data["colour"]) == ("Mine", "amber")


@pytest.mark.django_db(transaction=True)
def test_a_form_checked_outside_a_transaction_saves_when_nothing_changed(audit, agencies):
    assert not transaction.get_connection().in_atomic_block
    sent = as_sent(AuditSettings(audit, initial=stored(agencies)))
    form = AuditSettings(audit, sent, initial=stored(agencies))
    assert form.is_valid(), form.errors


def test_values_stored_and_sent_back_alike_have_one_fingerprint():
    """A text area sends its lines back with CRLF and a box left empty may be stored as None:
    neither is taken for a change."""
    fingerprint = concurrency._fingerprint
    assert fingerprint("notes", "one\ntwo") == fingerprint("notes", "one\r\ntwo\r\n")
    assert fingerprint("urgent", None) == fingerprint("urgent", False)
    assert fingerprint("urgent", True) != fingerprint("urgent", False)
    assert fingerprint("urgent", True) == fingerprint("urgent", forms.BooleanField().clean("on"))
    assert fingerprint("title", "Ours") != fingerprint("colour", "Ours")


def test_a_text_area_left_alone_takes_their_text_though_it_came_back_with_crlf(audit, agencies):
    drawn = AuditSettings(audit, initial=stored(agencies, title="line one\nline two"))
    sent = as_sent(drawn)
    sent["title"] = "line one\r\nline two"
    sent["colour"] = "amber"
    audit = saved_by_someone_else(audit)
    form = AuditSettings(audit, sent, initial=stored(agencies, title="Theirs"))
    assert not form.is_valid()
    assert form.merged_changes == [Change("Title", "Theirs", True)]
    assert form.data["title"] == "Theirs" and form.data["colour"] == "amber"


def test_a_record_that_keeps_no_version_counts_for_nothing(audit):
    membership = member(audit).memberships.get()
    assert not hasattr(membership, "updated_at")
    assert locked_version(membership) == version_of(membership) == ""
    assert locked_version(membership, audit) == version_of(audit)


def test_a_conflict_is_refused_with_its_own_code_and_message(audit, agencies):
    sent = as_sent(AuditSettings(audit, initial=stored(agencies)))
    audit = saved_by_someone_else(audit)
    form = AuditSettings(audit, sent, initial=stored(agencies))
    assert not form.is_valid()
    [error] = form.non_field_errors().as_data()
    assert error.code == concurrency.CONFLICT
    assert error.message == (
        "Someone else changed this audit while you were editing, so nothing was saved. What you "
        "typed is kept in the form, and what they changed is shown below: save again to replace "
        "theirs with your version, or cancel to keep theirs."
    )


def test_records_changed_after_the_form_was_built_build_it_again_until_the_last_run(
    audit, agencies
):
    sent = as_sent(AuditSettings(audit, initial=stored(agencies)))
    form = AuditSettings(audit, sent, initial=stored(agencies))
    saved_by_someone_else(audit)  # after the form was built from the audit
    with transaction.atomic():
        token = concurrency._runs_left.set(1)
        with pytest.raises(concurrency._BuildAgain):
            form.is_valid()
        concurrency._runs_left.reset(token)
    form = AuditSettings(audit, sent, initial=stored(agencies))
    saved_by_someone_else(audit)
    with transaction.atomic():
        assert concurrency._runs_left.get() == 0  # the last run: refused, not built again
        assert not form.is_valid()
        assert form.conflict == []


def test_a_save_that_changes_nothing_is_told_apart_from_one_that_does(audit, agencies):
    """Skipped only when every field and every list of linked records holds what is saved: a
    changed field, an agency added or taken away is a change; the time of the last save is not
    one, nor something the person can change."""
    audit.agencies.set(agencies[:1])
    record = Audit.objects.get(pk=audit.pk)
    assert not differs_from_saved(record, agencies=agencies[:1])
    assert differs_from_saved(record, agencies=agencies)
    assert differs_from_saved(record, agencies=[])
    record.title = "Renamed"
    assert differs_from_saved(record, agencies=agencies[:1])

    saved_by_someone_else(audit)  # saved again since it was read, with the same values
    assert not differs_from_saved(Audit.objects.get(pk=audit.pk))
    read_earlier = Audit.objects.get(pk=audit.pk)
    saved_by_someone_else(audit)
    assert not differs_from_saved(read_earlier)


def test_a_record_with_nothing_saved_to_compare_with_is_a_change(audit):
    assert differs_from_saved(Audit(partnership=audit.partnership, title="New"))
    read_before_deleted = Audit.objects.get(pk=audit.pk)
    Audit.objects.filter(pk=audit.pk).delete()
    assert differs_from_saved(read_before_deleted)
