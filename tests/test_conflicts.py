"""No lost updates: two people open the same edit form, the first saves, the second's save is
refused with a conflict message. What the second person typed stays in the form, the first
person's saved value is shown, and the record keeps the first person's version until the second
saves again, knowingly.

Every form is read from the page as the browser would send it, hidden version included.
"""

from __future__ import annotations

import copy
import datetime
import html
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionUpdate
from cases.models import AgencySubmission, Audit, NominationIdentity
from cases.services.nominations import nomination_create
from findings.models import CaseMeetingNote, MeetingRecord
from maca.models import Membership

from .conftest import FROM_HERE, member
from .factories import (
    ActionFactory,
    AgencyFactory,
    CaseFactory,
    ChronologyEntryFactory,
    FindingFactory,
    NominationFactory,
    ToolQuestionFactory,
    ToolSectionFactory,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role
HTMX = {"HX-Request": "true"}


# Reading pages as a browser would ---------------------------------------------------------------


class _Forms(HTMLParser):
    """Every form of a page with the values it would send: checked boxes, selected options,
    the text of text areas (less the newline that follows the opening tag)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, list[str]]] = []
        self.form: dict[str, list[str]] | None = None
        self.textarea: str | None = None
        self.text = ""
        self.select: dict | None = None

    def _add(self, name, value):
        if self.form is not None and name:
            self.form.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.form = {}
            self.forms.append(self.form)
        elif tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "image", "reset", "file") or "disabled" in attrs:
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._add(attrs.get("name"), attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "textarea":
            self.textarea, self.text = attrs.get("name"), ""
        elif tag == "select":
            self.select = {"name": attrs.get("name"), "options": [], "chosen": []}
        elif tag == "option" and self.select is not None:
            self.select["options"].append(attrs.get("value", ""))
            if "selected" in attrs:
                self.select["chosen"].append(attrs.get("value", ""))

    def handle_data(self, data):
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "textarea" and self.textarea is not None:
            text = self.text[1:] if self.text.startswith("\n") else self.text
            self._add(self.textarea, text)
            self.textarea = None
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"] or self.select["options"][:1]
            for value in chosen:
                self._add(self.select["name"], value)
            self.select = None


def form_on(body: str, marker: str = "loaded_version") -> dict[str, list[str]]:
    """The values of the page's form that carries a record's version."""
    parser = _Forms()
    parser.feed(body)
    found = [form for form in parser.forms if any(name.endswith(marker) for name in form)]
    assert len(found) == 1, f"{len(found)} forms with {marker}"
    return found[0]


def opened(client, url, changes=None, *, headers=None) -> dict:
    """The edit form as this person opens it, with the changes they type."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    data = form_on(response.content.decode())
    data.update(changes or {})
    return data


def text(response) -> str:
    return html.unescape(response.content.decode())


def saved_now(response) -> str:
    """The box showing what the other person saved."""
    body = text(response)
    start = body.index('aria-label="What is saved now"')
    return body[start : body.index("</div>", start)]


def assert_conflict(response, *, record, typed, saved) -> dict:
    """The second save was refused: the message names the record, the form holds what was
    typed, the box shows what the other person saved. Returns the form, ready to send again."""
    body = text(response)
    assert body.count(f"Someone else changed {record} while you were editing") == 1  # said once
    again = form_on(response.content.decode())
    for name, value in typed.items():
        assert again[name] == [value], name
    box = saved_now(response)
    for value in saved:
        assert value in box
    return again


def people(audit, role, count=2, **kwargs):
    """Two signed-in browsers of people with the same role."""
    clients = []
    for _ in range(count):
        browser = Client()
        browser.force_login(member(audit, role, **kwargs))
        clients.append(browser)
    return clients


# Briefing items --------------------------------------------------------------------------------


@pytest.fixture
def case(audit):
    return CaseFactory(audit=audit, label="Case 1")


def test_two_users_editing_one_finding_the_second_gets_the_conflict_and_nothing_is_lost(
    audit, case
):
    finding = FindingFactory(case=case, text="First words.")
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}-"
    (first,), (second,) = people(audit, Role.CHAIR, 1), people(audit, Role.QA_MEMBER, 1)
    theirs = opened(first, url, {f"{prefix}text": "The chair's words."})
    mine = opened(second, url, {f"{prefix}text": "My words."})

    assert first.post(url, theirs).status_code == 302
    refused = second.post(url, mine)
    assert refused.status_code == 422
    again = assert_conflict(
        refused,
        record="this finding",
        typed={f"{prefix}text": "My words."},
        saved=["The chair's words."],
    )
    finding.refresh_from_db()
    assert finding.text == "The chair's words."

    assert second.post(url, again).status_code == 302
    finding.refresh_from_db()
    assert finding.text == "My words."


def test_in_place_the_conflict_comes_back_as_the_form_to_swap(audit, case):
    finding = FindingFactory(case=case, text="First words.")
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}-"
    first, second = people(audit, Role.QA_MEMBER)
    theirs = opened(first, url, {f"{prefix}text": "Theirs."}, headers=HTMX)
    mine = opened(second, url, {f"{prefix}text": "Mine."}, headers=HTMX)
    first.post(url, theirs, headers=HTMX)

    refused = second.post(url, mine, headers=HTMX)
    assert refused.status_code == 422
    assert text(refused).lstrip().startswith("<form")
    assert 'hx-swap="outerHTML"' in text(refused)
    again = assert_conflict(
        refused, record="this finding", typed={f"{prefix}text": "Mine."}, saved=["Theirs."]
    )
    saved = second.post(url, again, headers=HTMX)
    assert saved.status_code == 200 and saved["HX-Retarget"] == "#authoring"
    assert "Mine." in text(saved)


def test_a_field_left_alone_takes_the_other_persons_change(audit, case):
    """One changes the agency, the other the text: the second's form keeps its text and now
    holds the first's agency, so saving again keeps both changes."""
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    finding = FindingFactory(case=case, text="First words.")
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}-"
    first, second = people(audit, Role.QA_MEMBER)
    theirs = opened(first, url, {f"{prefix}agency": str(police.pk)})
    mine = opened(second, url, {f"{prefix}text": "Better words."})
    first.post(url, theirs)

    refused = second.post(url, mine)
    again = assert_conflict(
        refused,
        record="this finding",
        typed={f"{prefix}text": "Better words.", f"{prefix}agency": str(police.pk)},
        saved=["Police"],
    )
    assert "now in your form as they saved it" in saved_now(refused)
    second.post(url, again)
    finding.refresh_from_db()
    assert (finding.text, finding.agency) == ("Better words.", police)


def test_one_person_editing_alone_saves_at_once(audit, case, client):
    finding = FindingFactory(case=case, text="First words.")
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}-"
    client.force_login(member(audit, Role.QA_MEMBER))
    assert client.post(url, opened(client, url, {f"{prefix}text": "Once."})).status_code == 302
    again = opened(client, url, {f"{prefix}text": "Twice."})
    assert client.post(url, again).status_code == 302
    finding.refresh_from_db()
    assert finding.text == "Twice."


def test_a_save_without_the_version_is_refused_and_saves_nothing(audit, case, client):
    finding = FindingFactory(case=case, text="First words.")
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    client.force_login(member(audit, Role.QA_MEMBER))
    response = client.post(url, {f"edit-finding-{finding.pk}-text": "Blind."})
    assert response.status_code == 422
    assert "Someone else changed this finding" in text(response)
    finding.refresh_from_db()
    assert finding.text == "First words."


# Actions ---------------------------------------------------------------------------------------


@pytest.fixture
def housing(audit):
    agency = AgencyFactory(name="Housing")
    audit.agencies.add(agency)
    return agency


@pytest.fixture
def action(audit, housing):
    return ActionFactory(
        audit=audit,
        text="Train staff.",
        owner_agency=housing,
        lead="J. Lead",
        due_date=timezone.localdate() + datetime.timedelta(days=60),
    )


def test_the_action_edit_form(audit, action):
    url = reverse("action_edit", args=[action.pk])
    first, second = people(audit, Role.CHAIR)
    theirs = opened(first, url, {"text": "Train all staff by March."})
    mine = opened(second, url, {"text": "Train front-line staff."})
    assert first.post(url, theirs).status_code == 302

    refused = second.post(url, mine)
    assert refused.status_code == 422
    again = assert_conflict(
        refused,
        record="this action",
        typed={"text": "Train front-line staff."},
        saved=["Train all staff by March."],
    )
    action.refresh_from_db()
    assert action.text == "Train all staff by March."
    assert second.post(url, again).status_code == 302
    action.refresh_from_db()
    assert action.text == "Train front-line staff."


def test_a_progress_update_over_a_changed_risk_flag(audit, housing, action):
    url = reverse("action_detail", args=[action.pk])
    first, second = people(audit, Role.COORDINATOR, agency=housing)
    theirs = opened(first, url, {"text": "Slipping.", "at_risk": "on"})
    mine = opened(second, url, {"text": "Sessions booked.", "status": "in_progress"})
    assert first.post(url, theirs).status_code == 302

    refused = second.post(url, mine)
    assert refused.status_code == 422
    again = assert_conflict(
        refused,
        record="this action",
        typed={"text": "Sessions booked.", "status": "in_progress", "at_risk": "on"},
        saved=["At risk of missing its due date", "Yes"],
    )
    assert [u.text for u in ActionUpdate.objects.all()] == ["Slipping."]
    assert second.post(url, again).status_code == 302
    action.refresh_from_db()
    assert (action.status, action.at_risk) == ("in_progress", True)
    assert ActionUpdate.objects.count() == 2


def test_signing_off_an_action_someone_else_just_signed_off(audit, action):
    url = reverse("action_complete", args=[action.pk])
    first, second = people(audit, Role.CHAIR)
    theirs = opened(first, url, {"outcome_statement": "Everyone trained."})
    mine = opened(second, url, {"outcome_statement": "Most staff trained."})
    assert first.post(url, theirs).status_code == 302

    refused = second.post(url, mine)
    assert refused.status_code == 422
    again = assert_conflict(
        refused,
        record="this action",
        typed={"outcome_statement": "Most staff trained."},
        saved=["Complete", "Everyone trained."],
    )
    action.refresh_from_db()
    assert action.outcome_statement == "Everyone trained."
    assert second.post(url, again).status_code == 302
    action.refresh_from_db()
    assert action.outcome_statement == "Most staff trained."


def test_the_reopen_button_on_an_old_page_changes_nothing(audit, action):
    action.status, action.outcome_statement = Action.Status.COMPLETE, "Done."
    action.save()
    detail = reverse("action_detail", args=[action.pk])
    reopen = reverse("action_reopen", args=[action.pk])
    first, second = people(audit, Role.CHAIR)
    theirs, mine = opened(first, detail), opened(second, detail)
    first.post(reopen, theirs)
    action.refresh_from_db()
    assert action.status == Action.Status.IN_PROGRESS
    edited = opened(first, reverse("action_edit", args=[action.pk]), {"text": "Train again."})
    first.post(reverse("action_edit", args=[action.pk]), edited)
    changes = action.history.count()

    response = second.post(reopen, mine, follow=True)
    assert "Someone else changed this action after you opened the page" in text(response)
    assert action.history.count() == changes


# The audit's details and the briefing's layout -------------------------------------------------


def test_the_audits_details(audit):
    url = reverse("audit_edit", args=[audit.pk])
    first, second = people(audit, Role.CHAIR)
    marked = {"protective_marking": "OFFICIAL-SENSITIVE"}
    theirs = opened(first, url, {"title": "Spring audit", **marked})
    mine = opened(second, url, {"title": "Autumn audit", "protective_marking": "OFFICIAL"})
    assert first.post(url, theirs).status_code == 302

    refused = second.post(url, mine)
    assert refused.status_code == 200
    again = assert_conflict(
        refused,
        record="this audit's details",
        typed={"title": "Autumn audit", "protective_marking": "OFFICIAL"},
        saved=["Title", "Spring audit"],
    )
    audit.refresh_from_db()
    assert audit.title == "Spring audit"
    assert second.post(url, again).status_code == 302
    audit.refresh_from_db()
    assert (audit.title, audit.protective_marking) == ("Autumn audit", "OFFICIAL")


def test_the_briefings_headings_and_opening_sections(audit):
    url = reverse("briefing_layout", args=[audit.pk])
    first, second = people(audit, Role.QA_MEMBER)
    theirs = opened(first, url, {"heading_findings": "What worried us", "process": "Met twice."})
    mine = opened(second, url, {"process": "Met once, online."})
    before = audit.updated_at
    assert first.post(url, theirs).status_code == 302
    audit.refresh_from_db()
    assert audit.updated_at > before  # saving the layout moves the audit's version on

    refused = second.post(url, mine)
    assert refused.status_code == 422
    again = assert_conflict(
        refused,
        record="the briefing's headings and opening sections",
        typed={"process": "Met once, online.", "heading_findings": "What worried us"},
        saved=["Met twice.", "What worried us"],
    )
    assert [p.text for p in audit.paragraphs.all()] == ["Met twice."]
    assert second.post(url, again).status_code == 302
    audit.refresh_from_db()
    assert [p.text for p in audit.paragraphs.all()] == ["Met once, online."]
    assert audit.heading_findings == "What worried us"


# Nominations -----------------------------------------------------------------------------------


@pytest.fixture
def nominating(audit, housing):
    audit.status = Audit.Status.NOMINATING
    audit.save()
    return audit


def test_a_nomination(nominating):
    nomination = NominationFactory(audit=nominating, label="Case 7")
    url = reverse("nomination_edit", args=[nominating.pk, nomination.pk])
    first, second = people(nominating, Role.CHAIR)
    theirs = opened(first, url, {"reason": "Three evictions in a year."})
    mine = opened(second, url, {"reason": "No plan after referral.", "label": "Case 8"})
    assert first.post(url, theirs).status_code == 302

    refused = second.post(url, mine)
    again = assert_conflict(
        refused,
        record="this nomination",
        typed={"reason": "No plan after referral.", "label": "Case 8"},
        saved=["Three evictions in a year."],
    )
    nomination.refresh_from_db()
    assert (nomination.label, nomination.reason) == ("Case 7", "Three evictions in a year.")
    assert second.post(url, again).status_code == 302
    nomination.refresh_from_db()
    assert (nomination.label, nomination.reason) == ("Case 8", "No plan after referral.")


def test_a_nominations_identifying_details(nominating, housing):
    chair = member(nominating, Role.CHAIR)
    nomination = nomination_create(
        audit=nominating,
        user=chair,
        data={"label": "Case 7", "reason": "Referrals.", "tags": [], "agencies": [housing]},
        identity={"child_name": "T. Fox", "date_of_birth": None, "references": {}},
    )
    url = reverse("nomination_identifiers", args=[nominating.pk, nomination.pk])
    first, second = people(nominating, Role.CHAIR)
    theirs = opened(first, url, {"child_name": "Tia Fox"})
    mine = opened(second, url, {"child_name": "T. Foxe", "date_of_birth": "2012-03-04"})
    assert first.post(url, theirs).status_code == 302

    refused = second.post(url, mine)
    again = assert_conflict(
        refused,
        record="the identifying details",
        typed={"child_name": "T. Foxe", "date_of_birth": "2012-03-04"},
        saved=["Tia Fox"],
    )
    assert NominationIdentity.objects.get().child_name == "Tia Fox"
    assert second.post(url, again).status_code == 302
    identity = NominationIdentity.objects.get()
    assert (identity.child_name, str(identity.date_of_birth)) == ("T. Foxe", "2012-03-04")


# An agency's chronology and audit tool ---------------------------------------------------------


@pytest.fixture
def submissions(audit, housing, case):
    audit.status = Audit.Status.SUBMISSIONS
    audit.save()
    case.agencies.add(housing)
    return audit


def test_a_chronology_row_on_its_page_and_in_place(submissions, housing, case):
    entry = ChronologyEntryFactory(case=case, agency=housing, event="Home visit.")
    url = reverse("chronology_entry_edit", args=[submissions.pk, case.pk, housing.pk, entry.pk])
    first, second = people(submissions, Role.COORDINATOR, agency=housing)
    theirs = opened(first, url, {"event": "Home visit: no one in."})
    mine = opened(second, url, {"event": "Home visit, mother seen."}, headers=HTMX)
    assert first.post(url, theirs).status_code == 302

    refused = second.post(url, mine, headers=HTMX)
    assert text(refused).lstrip().startswith("<tr")
    again = assert_conflict(
        refused,
        record="this chronology row",
        typed={"event": "Home visit, mother seen."},
        saved=["Home visit: no one in."],
    )
    entry.refresh_from_db()
    assert entry.event == "Home visit: no one in."
    saved = second.post(url, again, headers=HTMX)
    assert "Home visit, mother seen." in text(saved)
    entry.refresh_from_db()
    assert entry.event == "Home visit, mother seen."


@pytest.fixture
def questions(submissions):
    section = ToolSectionFactory(audit=submissions, title="Assessment")
    return [
        ToolQuestionFactory(section=section, text="Was the assessment timely?"),
        ToolQuestionFactory(section=section, text="Was the child seen alone?"),
    ]


def tool(audit, case, agency):
    return reverse("tool_answer", args=[audit.pk, case.pk, agency.pk])


def test_two_people_of_one_agency_start_the_same_audit_tool(submissions, housing, case, questions):
    url = tool(submissions, case, housing)
    timely, seen = (f"q{q.pk}_text" for q in questions)
    first, second = people(submissions, Role.COORDINATOR, agency=housing)
    theirs = opened(first, url, {timely: "Within 10 days.", "action": "save"})
    mine = opened(second, url, {timely: "Late.", seen: "Seen at school.", "action": "save"})
    assert first.post(url, theirs).status_code == 302

    refused = second.post(url, mine)
    again = assert_conflict(
        refused,
        record="this audit tool",
        typed={timely: "Late.", seen: "Seen at school."},
        saved=["Was the assessment timely?", "Within 10 days."],
    )
    submission = AgencySubmission.objects.get()
    assert [a.text for a in submission.answers.all()] == ["Within 10 days."]
    assert second.post(url, {**again, "action": "save"}).status_code == 302
    answers = {a.question_id: a.text for a in submission.answers.all()}
    assert answers == {questions[0].pk: "Late.", questions[1].pk: "Seen at school."}


def test_submitting_after_someone_else_saved_changes_nothing(submissions, housing, case, questions):
    url = tool(submissions, case, housing)
    grades = {f"q{q.pk}_grade": "good" for q in questions}
    first, second = people(submissions, Role.COORDINATOR, agency=housing)
    confirm = first.post(url, {**opened(first, url, grades), "action": "submit"}, follow=True)
    assert "Submit the audit tool" in text(confirm)
    timely = f"q{questions[0].pk}_text"
    assert second.post(url, opened(second, url, {timely: "Late.", "action": "save"})).status_code
    confirmed = first.post(url, form_on(confirm.content.decode()), follow=True)
    assert "Someone else changed this audit tool after you opened the page" in text(confirmed)
    assert AgencySubmission.objects.get().status == AgencySubmission.Status.DRAFT


def test_the_confirmation_reopened_after_someone_else_saved_submits_nothing_unseen(
    submissions, housing, case, questions
):
    """The confirmation's address carries the version its reader saved: opened again (Back,
    history) after a colleague saved other answers, it does not submit theirs unseen."""
    url = tool(submissions, case, housing)
    grades = {f"q{q.pk}_grade": "good" for q in questions}
    first, second = people(submissions, Role.COORDINATOR, agency=housing)
    asked = first.post(url, {**opened(first, url, grades), "action": "submit"})
    assert "confirm=submit" in asked.url and "saved=" in asked.url
    timely = f"q{questions[0].pk}_text"
    assert second.post(url, opened(second, url, {timely: "Late.", "action": "save"})).status_code
    confirm = first.get(asked.url)  # opened again, after the colleague's save
    assert "Submit the audit tool" in text(confirm)
    confirmed = first.post(url, form_on(confirm.content.decode()), follow=True)
    assert "Someone else changed this audit tool after you opened the page" in text(confirmed)
    assert AgencySubmission.objects.get().status == AgencySubmission.Status.DRAFT
    # Without the version it saved, the address shows the tool, not a confirmation.
    assert "Submit the audit tool</button>" not in text(first.get(f"{url}?confirm=submit"))


# The meeting record ----------------------------------------------------------------------------


def test_the_meeting_record_its_notes_and_attendees(audit, case):
    url = reverse("meeting", args=[audit.pk])
    note = f"note_{case.pk}"
    first, second = people(audit, Role.QA_MEMBER)
    theirs = opened(
        first,
        url,
        {
            note: "Long discussion of the eviction.",
            "learning_summary": "Plan evictions together.",
            "attendees-0-name": "A. Officer",
        },
    )
    mine = opened(second, url, {note: "Short discussion."})
    assert first.post(url, theirs).status_code == 302

    refused = second.post(url, mine)
    assert refused.status_code == 422
    again = assert_conflict(
        refused,
        record="the meeting record",
        typed={note: "Short discussion.", "learning_summary": "Plan evictions together."},
        saved=["Long discussion of the eviction.", "Who attended", "A. Officer"],
    )
    assert CaseMeetingNote.objects.get().text == "Long discussion of the eviction."
    assert second.post(url, again).status_code == 302
    assert CaseMeetingNote.objects.get().text == "Short discussion."
    assert MeetingRecord.objects.get().learning_summary == "Plan evictions together."
    assert [a.name for a in audit.meeting_attendees.all()] == ["A. Officer"]


# The audit tool's questions --------------------------------------------------------------------


def test_a_tool_section_and_a_tool_question(audit):
    section = ToolSectionFactory(audit=audit, title="Assessment")
    question = ToolQuestionFactory(section=section, text="Timely?")
    first, second = people(audit, Role.CHAIR)
    for url, name, theirs, mine in (
        (
            reverse("tool_section_edit", args=[audit.pk, section.pk]),
            "title",
            "Assessment of need",
            "Assessments",
        ),
        (
            reverse("tool_question_edit", args=[audit.pk, question.pk]),
            "text",
            "Was the assessment timely?",
            "Was it on time?",
        ),
    ):
        first_form, second_form = (
            opened(first, url, {name: theirs}),
            opened(second, url, {name: mine}),
        )
        assert first.post(url, first_form).status_code == 302
        refused = second.post(url, second_form)
        record = "this section" if name == "title" else "this question"
        again = assert_conflict(refused, record=record, typed={name: mine}, saved=[theirs])
        assert second.post(url, again).status_code == 302
    section.refresh_from_db()
    question.refresh_from_db()
    assert (section.title, question.text) == ("Assessments", "Was it on time?")


def test_pages_not_sent_back_carry_no_conflict(audit, case, client):
    """A fresh form shows no conflict box; nor does a form sent back for another mistake."""
    finding = FindingFactory(case=case)
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}-"
    client.force_login(member(audit, Role.QA_MEMBER))
    assert "What is saved now" not in text(client.get(url))
    response = client.post(url, opened(client, url, {f"{prefix}text": "  "}))
    assert response.status_code == 422
    body = text(response)
    assert "Enter the text." in body and "Someone else" not in body
    assert re.search(r'aria-label="What is saved now"', body) is None


def test_answers_to_different_questions_are_both_kept(submissions, housing, case, questions):
    url = tool(submissions, case, housing)
    timely, seen = (f"q{q.pk}_text" for q in questions)
    first, second = people(submissions, Role.COORDINATOR, agency=housing)
    theirs = opened(first, url, {timely: "Within 10 days.", "action": "save"})
    mine = opened(second, url, {seen: "Seen at school.", "action": "save"})
    first.post(url, theirs)

    refused = second.post(url, mine)
    again = assert_conflict(
        refused,
        record="this audit tool",
        typed={timely: "Within 10 days.", seen: "Seen at school."},
        saved=["Within 10 days."],
    )
    assert "now in your form as they saved it" in saved_now(refused)
    second.post(url, {**again, "action": "save"})
    answers = {a.question_id: a.text for a in AgencySubmission.objects.get().answers.all()}
    assert answers == {questions[0].pk: "Within 10 days.", questions[1].pk: "Seen at school."}


# Legal hold ------------------------------------------------------------------------------------


def test_lifting_a_legal_hold_from_an_old_page_changes_nothing(audit):
    url = reverse("retention", args=[audit.pk])
    hold = reverse("legal_hold", args=[audit.pk])
    first, second = people(audit, Role.CHAIR)
    first.post(hold, {**opened(first, url), "reason": "Court order 1."})
    lift_mine = form_on(second.get(url).content.decode(), marker="lift")
    first.post(hold, form_on(first.get(url).content.decode(), marker="lift"))
    first.post(hold, {**opened(first, url), "reason": "Practice review."})

    response = second.post(hold, lift_mine, follow=True)
    assert "Someone else changed this audit after you opened the page" in text(response)
    audit.refresh_from_db()
    assert audit.on_legal_hold and audit.legal_hold_reason == "Practice review."


# Saves at the same moment ----------------------------------------------------------------------


def saved_by_someone_else_after_it_was_read(monkeypatch, finding, *, reads=1):
    """Someone else saves the finding after this request has read it and before it saves: the
    request's first `reads` reads give the version before their save."""
    from findings import views

    before = type(finding).objects.get(pk=finding.pk)
    finding.text = "The chair's words."
    finding.save()
    stale_reads = [reads]

    def reading(audit, kind, item_id):
        stale_reads[0] -= 1
        return (
            copy.deepcopy(before) if stale_reads[0] >= 0 else type(finding).objects.get(pk=item_id)
        )

    monkeypatch.setattr(views, "_item_for", reading)


def test_a_save_landing_while_another_is_checked_is_not_lost(audit, case, monkeypatch):
    finding = FindingFactory(case=case, text="First words.")
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}-"
    (second,) = people(audit, Role.QA_MEMBER, 1)
    mine = opened(second, url, {f"{prefix}text": "My words."})
    saved_by_someone_else_after_it_was_read(monkeypatch, finding)

    refused = second.post(url, mine)
    assert refused.status_code == 422
    assert_conflict(
        refused, record="this finding", typed={f"{prefix}text": "My words."}, saved=["chair"]
    )
    finding.refresh_from_db()
    assert finding.text == "The chair's words."


def test_a_save_beaten_again_and_again_is_refused_and_saves_nothing(audit, case, monkeypatch):
    finding = FindingFactory(case=case, text="First words.")
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}-"
    (second,) = people(audit, Role.QA_MEMBER, 1)
    mine = opened(second, url, {f"{prefix}text": "My words."})
    saved_by_someone_else_after_it_was_read(monkeypatch, finding, reads=10)

    refused = second.post(url, mine)
    assert refused.status_code == 422
    assert "Someone else changed this finding while you were editing" in text(refused)
    assert "My words." in text(refused)
    finding.refresh_from_db()
    assert finding.text == "The chair's words."


def test_a_button_pressed_on_a_copy_older_than_the_saved_action_changes_nothing(audit, action):
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from actions.services import action_reopen
    from maca.concurrency import version_of

    Action.objects.filter(pk=action.pk).update(status=Action.Status.COMPLETE)
    read = Action.objects.get(pk=action.pk)  # as the page showed it
    loaded = version_of(read)
    Action.objects.filter(pk=action.pk).update(text="Changed.", updated_at=timezone.now())
    with pytest.raises(ValidationError, match="Someone else changed this action"):
        action_reopen(action=read, user=member(audit, Role.CHAIR), loaded_version=loaded)
    action.refresh_from_db()
    assert action.status == Action.Status.COMPLETE


# Saving what another tab deleted -------------------------------------------------------------


def test_saving_an_item_deleted_in_another_tab_keeps_what_was_typed(client, audit, chair):
    from .factories import CaseFactory, StrengthFactory
    from .test_one_press import form_on

    strength = StrengthFactory(case=CaseFactory(audit=audit), text="Good joint visits.")
    client.force_login(chair)
    page = reverse("item_edit", args=[audit.pk, "strength", strength.pk])
    fields = form_on(client, page)
    strength.delete()  # in another tab
    fields[f"edit-strength-{strength.pk}-text"] = "Joint visits <b>each</b> week, well recorded."
    response = client.post(page, fields, **FROM_HERE)
    assert response.status_code == 404
    body = response.content.decode()
    assert "Nothing was saved" in body
    assert "Joint visits &lt;b&gt;each&lt;/b&gt; week, well recorded." in body
    version = next(v for name, v in fields.items() if name.endswith("loaded_version"))
    fingerprints = next(v for name, v in fields.items() if name.endswith("loaded_values"))
    assert version[0] not in body and fingerprints[0] not in body  # only what a person typed


def test_a_page_not_found_shows_nothing_typed_when_nothing_was_sent(client, chair):
    client.force_login(chair)
    body = client.get("/audits/999999/").content.decode()
    assert "Page not found" in body and "Nothing was saved" not in body


def test_a_page_not_found_never_shows_a_password_or_what_someone_signed_out_sent(client, chair):
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from maca.text import typed_texts

    sent = {
        "new_password1": "Correct horse battery 9",
        "otp_token": "123456",
        "note": "Kept words",
        "next": "/audits/7/findings/?case=3",
    }
    anonymous = RequestFactory().post("/invitations/no-such-link/", sent)
    anonymous.user = AnonymousUser()
    assert typed_texts(anonymous) == []
    client.force_login(chair)
    assert "Kept words" not in client.post("/audits/999999/", sent).content.decode()  # from where?
    body = client.post("/audits/999999/", sent, **FROM_HERE).content.decode()
    assert "Kept words" in body
    assert "Correct horse" not in body and "123456" not in body
    assert "/audits/7/findings/" not in body  # where the form was to go next: not typed


def test_a_form_refused_by_its_security_token_gives_back_what_was_typed(chair, settings):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(chair)
    sent = {"csrfmiddlewaretoken": "out-of-date", "note": "Words worth keeping", "password": "x1"}
    page = reverse("audit_create")
    here = client.post(page, sent, headers={"Origin": "http://testserver"})
    assert here.status_code == 403
    body = here.content.decode()
    assert "That form could not be sent" in body and "nothing was saved" in body
    assert "Words worth keeping" in body and "x1" not in body
    # From the address the site is known by behind a proxy that ends HTTPS: given back too,
    # named exactly or by a wildcard, as Django's own check takes them.
    for trusted in ("https://maca.example.org", "https://*.example.org"):
        settings.CSRF_TRUSTED_ORIGINS = [trusted]
        sent_here = client.post(page, sent, headers={"Origin": "https://maca.example.org"})
        assert "Words worth keeping" in sent_here.content.decode(), trusted
    sent_near = client.post(page, sent, headers={"Origin": "https://maca.example.net"})
    assert "Words worth keeping" not in sent_near.content.decode()
    # With no Origin (taken away by a privacy extension), the page it came from tells.
    from_page = {"Referer": "http://testserver/audits/new/"}
    assert "Words worth keeping" in client.post(page, sent, headers=from_page).content.decode()
    elsewhere = {"Referer": "https://elsewhere.example/form"}
    assert "Words worth keeping" not in client.post(page, sent, headers=elsewhere).content.decode()
    # Sent from another site (or with no word of where from): nothing of it is shown.
    for headers in ({"Origin": "https://elsewhere.example"}, {}):
        body = client.post(page, sent, headers=headers).content.decode()
        assert "That form could not be sent" in body and "Words worth keeping" not in body
