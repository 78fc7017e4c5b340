"""The audit tool: the chair's questions, and each agency's answers for each case."""

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AgencySubmission, Audit, AuditEvent, ToolAnswer, ToolQuestion, ToolSection
from maca.concurrency import version_of
from maca.models import Membership

from .conftest import FROM_HERE, member
from .factories import (
    AgencyFactory,
    AgencySubmissionFactory,
    AuditFactory,
    CaseFactory,
    ToolQuestionFactory,
    ToolSectionFactory,
)
from .spoken import headings, names

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def housing(audit):
    agency = AgencyFactory(name="Housing Trust")
    audit.agencies.add(agency)
    return agency


@pytest.fixture
def police(audit):
    agency = AgencyFactory(name="Police")
    audit.agencies.add(agency)
    return agency


@pytest.fixture
def case(audit):
    audit.status = Audit.Status.SUBMISSIONS
    audit.save()
    return CaseFactory(audit=audit, label="Case 1")


@pytest.fixture
def questions(audit):
    assessment = ToolSectionFactory(audit=audit, title="Assessment", order=0)
    voice = ToolSectionFactory(audit=audit, title="Voice of the child", order=1)
    return [
        ToolQuestionFactory(
            section=assessment,
            text="Was the assessment timely?",
            guidance="Think about the dates of referral and assessment.",
        ),
        ToolQuestionFactory(section=voice, text="Was the child seen alone?"),
    ]


@pytest.fixture
def coordinator(audit, housing):
    return member(audit, Role.COORDINATOR, agency=housing, first_name="Hana", last_name="Ali")


def tool_url(audit, case, agency):
    return reverse("tool_answer", args=[audit.pk, case.pk, agency.pk])


def answers(questions, *grades, texts=None, action="save"):
    data = {"action": action}
    for index, question in enumerate(questions):
        data[f"q{question.pk}_text"] = (texts or {}).get(index, f"Answer {index}")
        data[f"q{question.pk}_grade"] = grades[index] if index < len(grades) else ""
    return data


# Who may open an audit tool ------------------------------------------------------------------


def test_the_tool_page_per_role(client, audit, chair, case, questions, housing, police, outsider):
    url = tool_url(audit, case, housing)
    own = member(audit, Role.COORDINATOR, agency=housing)
    other = member(audit, Role.COORDINATOR, agency=police)
    qa = member(audit, Role.QA_MEMBER)
    viewer = member(audit, Role.VIEWER)

    client.force_login(chair)
    assert client.get(url).status_code == 200
    client.force_login(own)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Save draft" in html and "Was the assessment timely?" in html
    assert "Think about the dates of referral and assessment." in html
    assert "Requires improvement" in html
    for user in (other, qa, viewer, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404

    audit.pack_released_at = timezone.now()
    audit.save()
    client.force_login(qa)
    page = client.get(url)
    assert page.status_code == 200
    assert "Save draft" not in page.content.decode()
    assert client.post(url, answers(questions, "good", "good")).status_code == 403
    assert not AgencySubmission.objects.exists()


def test_the_answer_page_names_agency_and_case_and_heads_each_section_and_question(
    client, audit, case, questions, housing, coordinator
):
    client.force_login(coordinator)
    html = client.get(tool_url(audit, case, housing)).content.decode()
    assert (
        "<title>Housing Trust: audit tool for Case 1 · Neglect and housing · MACA</title>" in html
    )
    assert headings(html)[:5] == [
        "h1 Housing Trust: audit tool for Case 1",
        "h2 Assessment",
        "h3 Was the assessment timely?",
        "h2 Voice of the child",
        "h3 Was the child seen alone?",
    ]
    # Each section's heading is its fieldset's legend; the question's heading holds the label
    # of its answer box, which says the question once.
    assert '<legend class="mb-3"><h2 class="h4 mb-0">Assessment</h2></legend>' in html
    text_id = f"id_q{questions[0].pk}_text"
    label = re.findall(rf'<label[^>]*for="{text_id}"[^>]*>(.*?)</label>', html, re.S)
    assert [words.strip() for words in label] == ["Was the assessment timely?"]
    assert re.search(rf'<h3 class="h6 mb-2"><label class="form-label mb-0" for="{text_id}">', html)


def test_ids_from_elsewhere_are_not_found(client, audit, chair, case, housing):
    elsewhere = AuditFactory(partnership=audit.partnership)
    other_case = CaseFactory(audit=elsewhere)
    not_taking_part = AgencyFactory(name="Not taking part")
    client.force_login(chair)
    assert client.get(tool_url(audit, other_case, housing)).status_code == 404
    assert client.get(tool_url(audit, case, not_taking_part)).status_code == 404


# Answering -----------------------------------------------------------------------------------


def test_save_draft_twice_keeps_the_answers(client, audit, case, questions, housing, coordinator):
    client.force_login(coordinator)
    url = tool_url(audit, case, housing)
    response = client.post(url, answers(questions, "good", texts={0: "First go"}))
    assert response.status_code == 302
    submission = AgencySubmission.objects.get(case=case, agency=housing)
    assert submission.status == AgencySubmission.Status.DRAFT
    second = answers(questions, "good", "inadequate", texts={0: "Second go"})
    response = client.post(url, {**second, "loaded_version": version_of(submission)})
    assert response.status_code == 302
    stored = {a.question_id: (a.text, a.grade) for a in submission.answers.all()}
    assert stored == {
        questions[0].pk: ("Second go", "good"),
        questions[1].pk: ("Answer 1", "inadequate"),
    }
    html = client.get(url).content.decode()
    assert "Second go" in html
    assert "Draft" in html


def test_a_long_tool_answered_at_length_in_any_alphabet_is_saved(
    client, audit, case, housing, coordinator
):
    """Twenty questions of 20,000 letters each, in an alphabet a browser sends as nine bytes a
    letter: far past Django's 2.5 MB for a form's words, and saved all the same."""
    section = ToolSectionFactory(audit=audit, title="Practice", order=0)
    many = [ToolQuestionFactory(section=section, text=f"Question {n}?") for n in range(20)]
    long = "ษ" * 20_000  # Thai: three bytes in UTF-8, nine as %E0%B8%A9
    client.force_login(coordinator)
    data = answers(many, "good", texts=dict.fromkeys(range(20), long))
    sent = urlencode(data)  # as a browser sends a form, not as a file upload
    assert len(sent) > 3_500_000
    response = client.post(
        tool_url(audit, case, housing), sent, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302
    submission = AgencySubmission.objects.get(case=case, agency=housing)
    assert [answer.text for answer in submission.answers.all()] == [long] * 20


def test_submit_with_a_missing_grade_shows_the_error_and_keeps_the_text(
    client, audit, case, questions, housing, coordinator
):
    client.force_login(coordinator)
    url = tool_url(audit, case, housing)
    data = answers(questions, "good", "", texts={1: "Seen at school twice."}, action="submit")
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "Choose a grade for this question." in html
    assert f'id="id_q{questions[1].pk}_grade_error"' in html
    assert f'id="id_q{questions[0].pk}_grade_error"' not in html
    assert "Seen at school twice." in html
    submission = AgencySubmission.objects.get(case=case, agency=housing)
    assert submission.status == AgencySubmission.Status.DRAFT  # saved as a draft, not submitted
    assert submission.answers.get(question=questions[1]).text == "Seen at school twice."


def test_an_invalid_grade_is_an_error_not_a_crash(client, audit, case, questions, housing, chair):
    client.force_login(chair)
    data = answers(questions, "brilliant", "good")
    response = client.post(tool_url(audit, case, housing), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not ToolAnswer.objects.exists()


def test_submitting_asks_for_confirmation_then_locks(
    client, audit, case, questions, housing, coordinator
):
    client.force_login(coordinator)
    url = tool_url(audit, case, housing)
    response = client.post(url, answers(questions, "good", "outstanding", action="submit"))
    # Asked at an address of its own, so that Back from the submitted page sends nothing again.
    assert response.status_code == 302 and response.url.startswith(f"{url}?confirm=submit&saved=")
    asked = response.url
    response = client.get(asked)
    assert (
        "Once submitted you cannot change it; the chair can reopen it" in response.content.decode()
    )
    submission = AgencySubmission.objects.get(case=case, agency=housing)
    assert submission.status == AgencySubmission.Status.DRAFT

    response = client.post(url, {"action": "confirm"})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == AgencySubmission.Status.SUBMITTED
    assert submission.submitted_by == coordinator
    assert submission.submitted_at is not None
    local = timezone.localtime(submission.submitted_at)
    html = client.get(url).content.decode()
    assert f"Submitted by Hana Ali on {local:%-d %B %Y} at {local:%H:%M}" in html
    assert "Save draft" not in html
    assert "Outstanding" in html
    # Back to the confirmation's address once submitted: the submitted tool, nothing to press.
    again = client.get(asked).content.decode()
    assert "Submit the audit tool" not in again and "Submitted by Hana Ali" in again

    response = client.post(url, answers(questions, "inadequate", "inadequate"), follow=True)
    assert "can no longer be changed" in response.content.decode()
    assert set(submission.answers.values_list("grade", flat=True)) == {"good", "outstanding"}


def test_confirming_without_every_grade_is_refused(
    client, audit, case, questions, housing, coordinator
):
    client.force_login(coordinator)
    url = tool_url(audit, case, housing)
    client.post(url, answers(questions, "good"))
    response = client.post(url, {"action": "confirm"}, follow=True)
    assert "Give every question a grade before submitting." in response.content.decode()
    assert AgencySubmission.objects.get().status == AgencySubmission.Status.DRAFT


def test_chair_reopens_with_a_reason(client, audit, chair, case, questions, housing, coordinator):
    submission = AgencySubmissionFactory(
        case=case,
        agency=housing,
        status=AgencySubmission.Status.SUBMITTED,
        submitted_by=coordinator,
    )
    reopen = reverse("tool_reopen", args=[audit.pk, case.pk, housing.pk])
    client.force_login(chair)
    # Before any reopening there is no history "above" to point at.
    page = client.get(tool_url(audit, case, housing)).content.decode()
    assert "history above" not in page
    assert "in its reopening history at the top" in page
    response = client.post(reopen, {"reason": ""})
    assert response.status_code == 422
    assert "Fill in “Reason for reopening”." in response.content.decode()
    submission.refresh_from_db()
    assert submission.is_locked
    # Changed by someone else since the page was opened: refused, the reason kept in the form.
    stale = client.post(reopen, {"reason": "Look at the grades", "loaded_version": "stale"})
    assert stale.status_code == 422
    assert "Look at the grades</textarea>" in stale.content.decode()
    submission.refresh_from_db()
    assert submission.is_locked

    response = client.post(reopen, {"reason": "Grade for assessment needs another look"})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == AgencySubmission.Status.DRAFT
    # Pressed again from the page as it was: nothing left to reopen, and it says so.
    again = client.post(reopen, {"reason": "Grade for assessment needs another look"}, follow=True)
    assert (
        "This audit tool has not been submitted, so it is already open." in again.content.decode()
    )
    assert submission.submitted_at is None
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.REOPEN)
    assert event.actor == chair
    assert event.detail == {
        "case": "Case 1",
        "agency": "Housing Trust",
        "reason": "Grade for assessment needs another look",
    }
    client.force_login(coordinator)
    html = client.get(tool_url(audit, case, housing)).content.decode()
    assert "Save draft" in html
    assert "Reopened by" in html and "Grade for assessment needs another look" in html


def test_coordinators_cannot_reopen(client, audit, case, housing, coordinator, outsider):
    submission = AgencySubmissionFactory(
        case=case, agency=housing, status=AgencySubmission.Status.SUBMITTED
    )
    reopen = reverse("tool_reopen", args=[audit.pk, case.pk, housing.pk])
    client.force_login(coordinator)
    refused = client.post(reopen, {"reason": "Please look at the grades again"}, **FROM_HERE)
    assert refused.status_code == 403
    assert "Please look at the grades again" in refused.content.decode()  # to copy elsewhere
    client.force_login(outsider)
    assert client.post(reopen, {"reason": "Please"}).status_code == 404
    submission.refresh_from_db()
    assert submission.is_locked
    assert not AuditEvent.objects.exists()


def test_a_closed_audits_tool_is_read_but_its_questions_and_returns_no_longer_change(
    client, audit, chair, case, questions, housing, coordinator
):
    """Closed: the agencies' returns stand as they were asked and submitted. The chair reads
    the questions and the submitted tool, but neither rewords, adds, moves nor deletes a
    question, nor reopens a return (which could never be submitted again)."""
    submission = AgencySubmissionFactory(
        case=case, agency=housing, status=AgencySubmission.Status.SUBMITTED
    )
    ToolAnswer.objects.create(submission=submission, question=questions[0], grade="good")
    audit.status = Audit.Status.CLOSED
    audit.save()
    client.force_login(chair)
    question, section = questions[1], questions[1].section
    presses = [
        ("tool_use_default", [audit.pk], {}),
        ("tool_section_add", [audit.pk], {"title": "Late"}),
        ("tool_section_edit", [audit.pk, section.pk], {"title": "Renamed"}),
        ("tool_section_move", [audit.pk, section.pk], {"direction": "up"}),
        ("tool_section_delete", [audit.pk, section.pk], {}),
        ("tool_question_add", [audit.pk, section.pk], {"text": "Added after?"}),
        ("tool_question_edit", [audit.pk, question.pk], {"text": "Reworded?"}),
        ("tool_question_move", [audit.pk, question.pk], {"direction": "up"}),
        ("tool_question_delete", [audit.pk, question.pk], {}),
        ("tool_reopen", [audit.pk, case.pk, housing.pk], {"reason": "Look again"}),
    ]
    before = list(ToolQuestion.objects.values_list("pk", "section_id", "order", "text"))
    sections = list(ToolSection.objects.values_list("pk", "order", "title"))
    for name, args, data in presses:
        response = client.post(reverse(name, args=args), {**data, "loaded_version": ""})
        assert response.status_code == 403, name
        assert "This audit is closed: it can be read but no longer changed." in (
            response.content.decode()
        )
    assert list(ToolQuestion.objects.values_list("pk", "section_id", "order", "text")) == before
    assert list(ToolSection.objects.values_list("pk", "order", "title")) == sections
    submission.refresh_from_db()
    assert submission.is_locked
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.REOPEN).exists()

    page = client.get(reverse("tool_edit", args=[audit.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Was the assessment timely?" in html
    assert "its questions can be read but no longer changed" in html
    assert reverse("tool_question_edit", args=[audit.pk, question.pk]) not in html
    assert reverse("tool_section_add", args=[audit.pk]) not in html
    answer = client.get(tool_url(audit, case, housing))
    assert answer.status_code == 200
    assert reverse("tool_reopen", args=[audit.pk, case.pk, housing.pk]) not in (
        answer.content.decode()
    )
    client.force_login(coordinator)
    told = client.get(tool_url(audit, case, housing)).content.decode()
    assert "It can no longer be changed: the audit is closed." in told
    assert "ask the chair to reopen it" not in told


def test_no_edits_when_the_audit_is_not_taking_submissions(
    client, audit, case, questions, housing, coordinator
):
    audit.status = Audit.Status.REPORTING
    audit.save()
    client.force_login(coordinator)
    url = tool_url(audit, case, housing)
    html = client.get(url).content.decode()
    assert "not taking submissions" in html
    assert "Save draft" not in html
    sent = answers(questions, "good", texts={0: "Home visits were weekly <and recorded>."})
    response = client.post(url, sent)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Your answers were not saved" in body
    assert "This audit is not taking submissions at the moment." in body
    # Each answer given back under its question, with its grade, to copy elsewhere.
    assert "Home visits were weekly &lt;and recorded&gt;." in body
    assert f"{questions[0].text} (grade: Good)" in body
    assert "Answer 1" in body
    assert not AgencySubmission.objects.exists()


def test_a_tool_without_questions_says_so(client, audit, chair, case, housing):
    client.force_login(chair)
    html = client.get(tool_url(audit, case, housing)).content.decode()
    assert "This audit tool has no questions yet." in html
    assert reverse("tool_edit", args=[audit.pk]) in html
    response = client.post(tool_url(audit, case, housing), {"action": "submit"}, follow=True)
    assert "This audit tool has no questions yet." in response.content.decode()
    assert not AgencySubmission.objects.exists()


# The chair's questions -----------------------------------------------------------------------


def test_only_the_chair_edits_the_questions(client, audit, chair, housing, outsider):
    url = reverse("tool_edit", args=[audit.pk])
    client.force_login(chair)
    assert client.get(url).status_code == 200
    for role, agency in [(Role.QA_MEMBER, None), (Role.COORDINATOR, housing)]:
        client.force_login(member(audit, role, agency=agency))
        assert client.get(url).status_code == 403
        assert client.post(reverse("tool_use_default", args=[audit.pk])).status_code == 403
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert not ToolSection.objects.exists()


def test_use_the_default_questions(client, audit, chair):
    client.force_login(chair)
    html = client.get(reverse("tool_edit", args=[audit.pk])).content.decode()
    assert "Use the default questions" in html
    client.post(reverse("tool_use_default", args=[audit.pk]))
    assert audit.tool_sections.count() == 8
    html = client.get(reverse("tool_edit", args=[audit.pk])).content.decode()
    assert "Voice of the child" in html
    assert "Use the default questions" not in html


def test_add_and_rename_a_section_and_add_a_question(client, audit, chair):
    client.force_login(chair)
    add = reverse("tool_section_add", args=[audit.pk])
    response = client.post(add, {"title": ""})
    assert response.status_code == 200
    assert "Fill in “Section title”." in response.content.decode()
    client.post(add, {"title": "Early help"})
    section = audit.tool_sections.get()
    client.post(
        reverse("tool_section_edit", args=[audit.pk, section.pk]),
        {"title": "Early help offer", "loaded_version": version_of(section)},
    )
    section.refresh_from_db()
    assert section.title == "Early help offer"
    client.post(
        reverse("tool_question_add", args=[audit.pk, section.pk]),
        {"text": "Was early help offered?", "guidance": "Consider the threshold document."},
    )
    question = section.questions.get()
    assert question.guidance == "Consider the threshold document."
    client.post(
        reverse("tool_question_edit", args=[audit.pk, question.pk]),
        {
            "text": "Was early help offered promptly?",
            "guidance": "",
            "loaded_version": version_of(question),
        },
    )
    question.refresh_from_db()
    assert question.text == "Was early help offered promptly?"


def test_move_up_and_down(client, audit, chair):
    section = ToolSectionFactory(audit=audit, title="First")
    second = ToolSectionFactory(audit=audit, title="Second")
    q1, q2, q3 = (ToolQuestionFactory(section=section, text=f"Q{n}") for n in (1, 2, 3))
    client.force_login(chair)
    client.post(reverse("tool_question_move", args=[audit.pk, q3.pk]), {"direction": "up"})
    assert [q.text for q in section.questions.all()] == ["Q1", "Q3", "Q2"]
    client.post(reverse("tool_question_move", args=[audit.pk, q1.pk]), {"direction": "down"})
    assert [q.text for q in section.questions.all()] == ["Q3", "Q1", "Q2"]
    client.post(reverse("tool_question_move", args=[audit.pk, q2.pk]), {"direction": "down"})
    assert [q.text for q in section.questions.all()] == ["Q3", "Q1", "Q2"]
    client.post(reverse("tool_section_move", args=[audit.pk, second.pk]), {"direction": "up"})
    assert [s.title for s in audit.tool_sections.all()] == ["Second", "First"]
    html = client.get(reverse("tool_edit", args=[audit.pk])).content.decode()
    assert html.index("Second") < html.index("First")
    assert "Move up" in html and "Move down" in html


def test_each_questions_buttons_name_its_section(client, audit, chair):
    for title in ("Assessment", "Voice of the child"):
        section = ToolSectionFactory(audit=audit, title=title)
        ToolQuestionFactory(section=section, text="First question")
        ToolQuestionFactory(section=section, text="Second question")
    client.force_login(chair)
    heard = names(client.get(reverse("tool_edit", args=[audit.pk])).content.decode())
    for title in ("Assessment", "Voice of the child"):
        assert f"Edit question 1 of {title}" in heard
        assert f"Move down question 1 of {title}" in heard
        assert f"Move up question 2 of {title}" in heard
        assert f"Delete question 2 of {title}" in heard
    assert not [name for name in heard if name.endswith(("question 1", "question 2"))]


def test_questions_with_answers_cannot_be_deleted(client, audit, chair, case, housing, questions):
    answered, unanswered = questions
    submission = AgencySubmissionFactory(case=case, agency=housing)
    ToolAnswer.objects.create(submission=submission, question=answered, grade="good")
    client.force_login(chair)
    edit = client.get(reverse("tool_edit", args=[audit.pk])).content.decode()
    assert "Agencies have already started 1 audit tool" in edit
    assert "Cannot be deleted: agencies have answered it." in edit

    delete = reverse("tool_question_delete", args=[audit.pk, answered.pk])
    page = client.get(delete).content.decode()
    assert "cannot be deleted" in page
    assert "Delete question" not in page
    response = client.post(delete, follow=True)
    assert "cannot be deleted" in response.content.decode()
    assert ToolQuestion.objects.filter(pk=answered.pk).exists()
    section_delete = reverse("tool_section_delete", args=[audit.pk, answered.section_id])
    client.post(section_delete)
    assert ToolSection.objects.filter(pk=answered.section_id).exists()

    delete = reverse("tool_question_delete", args=[audit.pk, unanswered.pk])
    assert "Delete question" in client.get(delete).content.decode()
    client.post(delete)
    assert not ToolQuestion.objects.filter(pk=unanswered.pk).exists()
    client.post(reverse("tool_section_delete", args=[audit.pk, unanswered.section_id]))
    assert not ToolSection.objects.filter(pk=unanswered.section_id).exists()


def test_questions_of_another_audit_are_not_found(client, audit, chair):
    other = ToolQuestionFactory(section=ToolSectionFactory(audit=AuditFactory()))
    client.force_login(chair)
    assert client.get(reverse("tool_question_edit", args=[audit.pk, other.pk])).status_code == 404
    response = client.post(reverse("tool_question_delete", args=[audit.pk, other.pk]))
    assert response.status_code == 404
    assert ToolQuestion.objects.filter(pk=other.pk).exists()


def test_the_chairs_guidance_is_shown_as_text_never_as_markup(
    client, audit, case, questions, housing, coordinator
):
    """Guidance is the chair's words under each question: markup in it (such as an htmx
    attribute that would post a form as the reader) is shown, not obeyed."""
    hostile = '<div hx-post="/audits/1/members/" hx-trigger="load">Read the dates</div>'
    questions[0].guidance = hostile
    questions[0].save()
    client.force_login(coordinator)
    page = client.get(tool_url(audit, case, housing)).content.decode()
    assert hostile not in page
    assert "&lt;div hx-post=&quot;/audits/1/members/&quot;" in page


def hidden_value(html, name):
    import re

    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    return found.group(1) if found else ""


def test_saving_again_after_a_refused_submit_is_not_taken_for_someone_elses_change(
    client, audit, case, questions, housing, coordinator
):
    """A submit refused for a missing grade keeps the answers as a draft; the page shown again
    must know that, so the next Save draft from it goes through."""
    client.force_login(coordinator)
    url = tool_url(audit, case, housing)
    first = client.post(url, answers(questions, "good", "", action="submit"))
    html = first.content.decode()
    again = answers(questions, "good", "", texts={1: "More detail."}, action="save")
    again["loaded_version"] = hidden_value(html, "loaded_version")
    again["loaded_values"] = hidden_value(html, "loaded_values")
    response = client.post(url, again)
    assert response.status_code == 302, response.content.decode()
    submission = AgencySubmission.objects.get(case=case, agency=housing)
    assert submission.answers.get(question=questions[1]).text == "More detail."


def test_a_reopen_from_a_stale_page_is_refused(client, audit, chair, case, housing, coordinator):
    """The tool was reopened and submitted again since the chair's page was drawn: their reopen
    would undo a submission they have not seen, so it is refused."""
    submission = AgencySubmissionFactory(
        case=case, agency=housing, status=AgencySubmission.Status.SUBMITTED
    )
    client.force_login(chair)
    seen = hidden_value(
        client.get(tool_url(audit, case, housing)).content.decode(), "loaded_version"
    )
    assert seen
    submission.save()  # changed meanwhile (reopened and submitted again)
    reopen = reverse("tool_reopen", args=[audit.pk, case.pk, housing.pk])
    client.post(reopen, {"reason": "Look again", "loaded_version": seen})
    submission.refresh_from_db()
    assert submission.is_locked
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.REOPEN).exists()


def test_no_audit_tool_for_a_case_the_agency_is_not_involved_in(
    client, audit, chair, case, questions, housing, police, coordinator
):
    case.agencies.set([police])
    url = tool_url(audit, case, housing)
    for user in (coordinator, chair):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Housing Trust is not involved in Case 1" in html
        assert "Save draft" not in html and "Was the assessment timely?" not in html
        response = client.post(url, answers(questions, "good", "good"), follow=True)
        assert "Housing Trust is not involved in Case 1" in response.content.decode()
        assert not AgencySubmission.objects.exists()
    # The agency involved still answers, and a case that records no agencies asks every one.
    client.force_login(chair)
    assert "Save draft" in client.get(tool_url(audit, case, police)).content.decode()
    other = CaseFactory(audit=audit, label="Case 2")
    client.force_login(coordinator)
    assert "Save draft" in client.get(tool_url(audit, other, housing)).content.decode()


def test_the_service_refuses_an_audit_tool_for_an_agency_not_involved(audit, case, housing, police):
    from django.core.exceptions import ValidationError

    from cases.services.tool import answers_save

    case.agencies.set([police])
    with pytest.raises(ValidationError):
        answers_save(case=case, agency=housing, answers={})
    assert not AgencySubmission.objects.exists()


def test_an_answer_holding_the_childs_recorded_details_is_refused_and_kept_on_the_page(
    client, audit, case, questions, housing, coordinator
):
    from cases.models import LocalReference, NominationIdentity

    from .factories import NominationFactory

    case.agencies.add(housing)  # involved: its co-ordinators may read the child's details
    nomination = NominationFactory(audit=audit, case=case, label=case.label)
    identity = NominationIdentity.objects.create(nomination=nomination, child_name="Alex Sample")
    LocalReference.objects.create(identity=identity, agency=housing, reference="HSG-555")
    client.force_login(coordinator)
    url = tool_url(audit, case, housing)
    for action in ("save", "submit"):  # nor kept as a draft when a grade is missing
        data = answers(questions, "good", texts={0: "Alex Sample (HSG-555) waited."}, action=action)
        page = client.post(url, data)
        assert page.status_code == 200
        html = page.content.decode()
        assert "write “the child” or “Case 1” instead" in html
        assert "Alex Sample (HSG-555) waited." in html  # nothing typed is lost
        assert not ToolAnswer.objects.exists()

    data = answers(questions, "good", texts={0: "The child (Case 1) waited."})
    assert client.post(url, data).status_code == 302
    assert ToolAnswer.objects.filter(text="The child (Case 1) waited.").exists()


def test_an_answer_is_not_checked_against_what_its_writer_may_not_read(
    client, audit, case, questions, housing, police, coordinator
):
    """Another agency's reference number is not Housing's to read: a co-ordinator told that
    what they typed matches it could test guesses at it."""
    from cases.models import LocalReference, NominationIdentity

    from .factories import NominationFactory

    case.agencies.add(housing, police)
    nomination = NominationFactory(audit=audit, case=case, label=case.label)
    identity = NominationIdentity.objects.create(nomination=nomination, child_name="")
    LocalReference.objects.create(identity=identity, agency=police, reference="PX-777")
    client.force_login(coordinator)
    data = answers(questions, "good", texts={0: "Checked PX-777 with police."})
    assert client.post(tool_url(audit, case, housing), data).status_code == 302
