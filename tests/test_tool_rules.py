"""The audit tool's rules at the service: when an agency's answers may change, which answers a
save touches, when a tool may be submitted or reopened, when the meeting pack is released, and
how sections and questions are put in order."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import AgencySubmission, Audit, AuditEvent, ToolAnswer, ToolSection
from cases.services import tool
from maca.concurrency import CONFLICT, version_of

from .factories import (
    AgencyFactory,
    AgencySubmissionFactory,
    AuditFactory,
    CaseFactory,
    ToolQuestionFactory,
    ToolSectionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    audit = AuditFactory(status=Audit.Status.SUBMISSIONS)
    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    case = CaseFactory(audit=audit, label="Case 1")
    case.agencies.add(housing)
    return audit, case, housing, police


def answerable(world, submission=None, agency=None):
    audit, case, housing, _ = world
    tool.check_answerable(audit=audit, case=case, agency=agency or housing, submission=submission)


def refusal(world, **kwargs) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        answerable(world, **kwargs)
    return raised.value.messages


def test_a_draft_or_a_first_answer_may_be_written_while_submissions_are_open(world):
    audit, case, housing, _ = world
    answerable(world)
    answerable(world, submission=AgencySubmissionFactory(case=case, agency=housing))
    audit.status = Audit.Status.MEETING
    answerable(world)


def test_a_submitted_tool_may_not_change(world):
    _, case, housing, _ = world
    submitted = AgencySubmissionFactory(
        case=case, agency=housing, status=AgencySubmission.Status.SUBMITTED
    )
    assert refusal(world, submission=submitted) == [
        "This audit tool has been submitted and can no longer be changed."
    ]


@pytest.mark.parametrize("status", [Audit.Status.NOMINATING, Audit.Status.CLOSED])
def test_nothing_may_change_while_the_audit_takes_no_submissions(world, status):
    world[0].status = status
    assert refusal(world) == ["This audit is not taking submissions at the moment."]


def test_an_agency_not_involved_in_the_case_is_asked_nothing(world):
    assert refusal(world, agency=world[3]) == [
        "Police is not involved in Case 1, so nothing is asked of it for this case: there is no "
        "chronology or audit tool to send."
    ]


def test_a_tool_is_submitted_only_once_every_question_of_its_audit_has_a_grade(world, chair):
    audit, case, housing, _ = world
    first, second = (
        ToolQuestionFactory(section__audit=audit),
        ToolQuestionFactory(section__audit=audit),
    )
    ToolQuestionFactory()  # another audit's question, never asked here
    submission = AgencySubmissionFactory(case=case, agency=housing)
    ToolAnswer.objects.create(submission=submission, question=first, text="Seen.", grade="good")
    ToolAnswer.objects.create(submission=submission, question=second, text="Written, ungraded.")
    with pytest.raises(ValidationError) as raised:
        tool.submission_submit(submission=submission, user=chair)
    assert raised.value.messages == ["Give every question a grade before submitting."]
    assert not AgencySubmission.objects.get().is_locked
    ToolAnswer.objects.filter(question=second).update(grade="good")
    tool.submission_submit(submission=submission, user=chair)
    assert AgencySubmission.objects.get().is_locked


def stored(*submissions) -> set[tuple[str, str, str, str, str]]:
    """Every stored answer (of `submissions`, or of all): case, agency, question, text, grade."""
    answers = ToolAnswer.objects.all()
    if submissions:
        answers = answers.filter(submission__in=submissions)
    return set(
        answers.values_list(
            "submission__case__label", "submission__agency__name", "question__text", "text", "grade"
        )
    )


def test_answers_go_only_to_this_agencys_tool_for_this_case(world):
    """Police's tool for the same case and Housing's tool for another case are never written."""
    audit, case, housing, police = world
    case.agencies.add(police)
    other_case = CaseFactory(audit=audit, label="Case 2")
    question = ToolQuestionFactory(section__audit=audit, text="Seen early?")
    police_here = AgencySubmissionFactory(case=case, agency=police)
    housing_there = AgencySubmissionFactory(case=other_case, agency=housing)
    ToolAnswer.objects.create(submission=police_here, question=question, text="Police's view")
    ToolAnswer.objects.create(submission=housing_there, question=question, text="Case 2's view")

    saved = tool.answers_save(
        case=case, agency=housing, answers={question.pk: ("Housing's view", "good")}
    )

    assert (saved.case, saved.agency) == (case, housing)
    assert AgencySubmission.objects.count() == 3
    assert stored() == {
        ("Case 1", "Housing", "Seen early?", "Housing's view", "good"),
        ("Case 1", "Police", "Seen early?", "Police's view", ""),
        ("Case 2", "Housing", "Seen early?", "Case 2's view", ""),
    }


def test_only_questions_of_this_audit_are_answered_and_the_rest_still_saved(world):
    """An id of another audit's question (or of none) is passed over; the answers after it are
    saved all the same."""
    audit, case, housing, _ = world
    elsewhere = ToolQuestionFactory(text="Another audit's question?")
    mine = ToolQuestionFactory(section__audit=audit, text="Seen early?")
    answers = {
        elsewhere.pk: ("Leaked into another audit", "good"),
        elsewhere.pk + mine.pk + 1000: ("No such question", "good"),
        mine.pk: ("Seen.", "inadequate"),
    }
    tool.answers_save(case=case, agency=housing, answers=answers)
    assert stored() == {("Case 1", "Housing", "Seen early?", "Seen.", "inadequate")}
    assert not elsewhere.answers.exists()


@pytest.mark.parametrize(
    "before, typed, after",
    [
        (("Seen.", "good"), ("", ""), None),
        (("Seen.", "good"), (" \n\t", ""), None),
        (None, ("", ""), None),
        (None, ("  ", ""), None),
        (None, ("", "good"), ("", "good")),
        (None, ("Seen.", ""), ("Seen.", "")),
        (("Seen.", "good"), ("", "inadequate"), ("", "inadequate")),
        (("Seen.", "good"), ("Seen again.", ""), ("Seen again.", "")),
    ],
)
def test_a_blank_answer_is_not_kept_and_a_text_or_a_grade_alone_is(world, before, typed, after):
    audit, case, housing, _ = world
    question = ToolQuestionFactory(section__audit=audit, text="Seen early?")
    if before:
        submission = AgencySubmissionFactory(case=case, agency=housing)
        ToolAnswer.objects.create(
            submission=submission, question=question, text=before[0], grade=before[1]
        )
    tool.answers_save(case=case, agency=housing, answers={question.pk: typed})
    assert stored() == ({("Case 1", "Housing", "Seen early?", *after)} if after else set())


def test_a_blank_answer_removes_that_answer_only(world):
    """Its other answers, the answers typed after it, and another agency's answer to the same
    question stay."""
    audit, case, housing, police = world
    case.agencies.add(police)
    cleared, typed, untouched = (
        ToolQuestionFactory(section__audit=audit, text=text) for text in ("One?", "Two?", "Three?")
    )
    mine = AgencySubmissionFactory(case=case, agency=housing)
    theirs = AgencySubmissionFactory(case=case, agency=police)
    for question in (cleared, untouched):
        ToolAnswer.objects.create(submission=mine, question=question, text="Mine", grade="good")
    ToolAnswer.objects.create(submission=theirs, question=cleared, text="Theirs", grade="good")

    tool.answers_save(
        case=case, agency=housing, answers={cleared.pk: ("", ""), typed.pk: ("New", "good")}
    )

    assert stored() == {
        ("Case 1", "Housing", "Two?", "New", "good"),
        ("Case 1", "Housing", "Three?", "Mine", "good"),
        ("Case 1", "Police", "One?", "Theirs", "good"),
    }


def submission_refusal(call, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        call(**kwargs)
    return raised.value


def test_a_tool_of_an_audit_without_questions_is_not_submitted(world, chair):
    """Another audit's questions do not count."""
    _, case, housing, _ = world
    ToolQuestionFactory()
    submission = AgencySubmissionFactory(case=case, agency=housing)
    refused = submission_refusal(tool.submission_submit, submission=submission, user=chair)
    assert refused.messages == ["This audit tool has no questions yet."]
    submission.refresh_from_db()
    assert not submission.is_locked


def test_a_submitted_tool_is_not_submitted_again(world, chair):
    """The first submission's time and person stay."""
    audit, case, housing, _ = world
    question = ToolQuestionFactory(section__audit=audit)
    submitted_at = timezone.now() - datetime.timedelta(days=2)
    submission = AgencySubmissionFactory(
        case=case,
        agency=housing,
        status=AgencySubmission.Status.SUBMITTED,
        submitted_at=submitted_at,
    )
    ToolAnswer.objects.create(submission=submission, question=question, grade="good")
    refused = submission_refusal(tool.submission_submit, submission=submission, user=chair)
    assert refused.messages == ["This audit tool has been submitted and can no longer be changed."]
    submission.refresh_from_db()
    assert (submission.submitted_at, submission.submitted_by) == (submitted_at, None)


@pytest.fixture
def graded(world):
    """Housing's fully graded tool for Case 1."""
    audit, case, housing, _ = world
    question = ToolQuestionFactory(section__audit=audit)
    submission = AgencySubmissionFactory(case=case, agency=housing)
    ToolAnswer.objects.create(submission=submission, question=question, grade="good")
    return submission


def submit(submission, user, version):
    return tool.submission_submit(submission=submission, user=user, loaded_version=version)


def reopen(submission, user, version):
    return tool.submission_reopen(
        submission=submission, user=user, reason="Grades to check", loaded_version=version
    )


PRESSES = [
    pytest.param(
        AgencySubmission.Status.DRAFT, submit, AgencySubmission.Status.SUBMITTED, id="submit"
    ),
    pytest.param(
        AgencySubmission.Status.SUBMITTED, reopen, AgencySubmission.Status.DRAFT, id="reopen"
    ),
]


@pytest.mark.parametrize("status, press, pressed", PRESSES)
def test_a_press_on_a_page_older_than_the_tool_is_refused(graded, chair, status, press, pressed):
    """Answers saved, or the tool reopened and submitted again, since the page was drawn: the
    press would submit or undo what the person has not seen."""
    AgencySubmission.objects.filter(pk=graded.pk).update(status=status)
    graded.refresh_from_db()
    seen = version_of(graded)
    AgencySubmission.objects.filter(pk=graded.pk).update(
        updated_at=graded.updated_at + datetime.timedelta(seconds=1)
    )
    refused = submission_refusal(press, submission=graded, user=chair, version=seen)
    assert refused.code == CONFLICT
    assert refused.messages == [
        "Someone else changed this audit tool after you opened the page, so nothing was changed. "
        "Check it as it is now, then try again."
    ]
    graded.refresh_from_db()
    assert graded.status == status
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("status, press, pressed", PRESSES)
def test_a_press_on_the_page_of_the_tool_as_it_is_goes_through(
    graded, chair, status, press, pressed
):
    AgencySubmission.objects.filter(pk=graded.pk).update(status=status)
    graded.refresh_from_db()
    press(graded, chair, version_of(graded))
    graded.refresh_from_db()
    assert graded.status == pressed


def test_a_reopen_records_the_case_the_agency_and_the_reason(graded, chair):
    AgencySubmission.objects.filter(pk=graded.pk).update(status=AgencySubmission.Status.SUBMITTED)
    event = tool.submission_reopen(submission=graded, user=chair, reason="  Grades to check \n")
    assert (event.audit, event.kind, event.actor) == (
        graded.case.audit,
        AuditEvent.Kind.REOPEN,
        chair,
    )
    assert event.detail == {"case": "Case 1", "agency": "Housing", "reason": "Grades to check"}
    graded.refresh_from_db()
    assert (graded.status, graded.submitted_at, graded.submitted_by) == (
        AgencySubmission.Status.DRAFT,
        None,
        None,
    )


def test_a_closed_audits_submitted_tool_is_not_reopened(world, graded, chair):
    """A closed audit's returns stand as they were submitted: reopened, a tool could never be
    submitted again, and the closed record would show it as a draft."""
    AgencySubmission.objects.filter(pk=graded.pk).update(status=AgencySubmission.Status.SUBMITTED)
    graded.refresh_from_db()
    Audit.objects.filter(pk=world[0].pk).update(status=Audit.Status.CLOSED)
    refused = submission_refusal(reopen, submission=graded, user=chair, version=version_of(graded))
    assert refused.messages == [
        "This audit is closed: its submitted audit tools can no longer be reopened."
    ]
    graded.refresh_from_db()
    assert graded.status == AgencySubmission.Status.SUBMITTED
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    "status, reason, message",
    [
        (
            AgencySubmission.Status.DRAFT,
            "Grades to check",
            "This audit tool has not been submitted, so it is already open.",
        ),
        (AgencySubmission.Status.SUBMITTED, "", "Say why it is being reopened."),
        (AgencySubmission.Status.SUBMITTED, " \n\t", "Say why it is being reopened."),
    ],
)
def test_a_reopen_needs_a_submitted_tool_and_a_reason(graded, chair, status, reason, message):
    AgencySubmission.objects.filter(pk=graded.pk).update(status=status)
    refused = submission_refusal(
        tool.submission_reopen, submission=graded, user=chair, reason=reason
    )
    assert refused.messages == [message]
    graded.refresh_from_db()
    assert graded.status == status
    assert not AuditEvent.objects.exists()


def test_releasing_the_pack_stamps_the_time_records_who_and_emails_the_members(
    audit, chair, django_capture_on_commit_callbacks
):
    """Another audit's pack stays unreleased."""
    audit.status = Audit.Status.MEETING
    audit.save()
    other = AuditFactory(status=Audit.Status.MEETING)
    before = timezone.now()
    with django_capture_on_commit_callbacks() as emails:
        tool.pack_release(audit=audit, user=chair)
    audit.refresh_from_db()
    other.refresh_from_db()
    assert before <= audit.pack_released_at <= timezone.now()
    assert other.pack_released_at is None
    assert list(AuditEvent.objects.values_list("audit", "kind", "actor")) == [
        (audit.pk, AuditEvent.Kind.PACK_RELEASED, chair.pk)
    ]
    assert len(emails) == 1


@pytest.mark.parametrize(
    "released, status, message",
    [
        (True, Audit.Status.MEETING, "The meeting pack has already been released."),
        (True, Audit.Status.CLOSED, "The meeting pack has already been released."),
        (
            False,
            Audit.Status.CLOSED,
            "This audit is closed: its meeting pack is no longer released.",
        ),
    ],
)
def test_a_pack_is_released_once_and_never_once_the_audit_is_closed(
    audit, chair, django_capture_on_commit_callbacks, released, status, message
):
    released_at = timezone.now() - datetime.timedelta(days=3) if released else None
    Audit.objects.filter(pk=audit.pk).update(status=status, pack_released_at=released_at)
    with django_capture_on_commit_callbacks() as emails:
        refused = submission_refusal(tool.pack_release, audit=audit, user=chair)
    assert refused.messages == [message]
    audit.refresh_from_db()
    assert audit.pack_released_at == released_at
    assert not AuditEvent.objects.exists()
    assert emails == []


def test_a_section_with_answers_is_kept_and_one_without_is_deleted(world):
    audit, case, housing, _ = world
    answered, empty = (
        ToolQuestionFactory(section__audit=audit),
        ToolQuestionFactory(section__audit=audit),
    )
    submission = AgencySubmissionFactory(case=case, agency=housing)
    ToolAnswer.objects.create(submission=submission, question=answered, grade="good")
    assert tool.section_has_answers(answered.section)
    assert not tool.section_has_answers(empty.section)
    with pytest.raises(ValidationError):
        tool.section_delete(section=answered.section)
    tool.section_delete(section=empty.section)
    assert list(ToolSection.objects.all()) == [answered.section]


def titles(audit) -> list[tuple[str, int]]:
    return list(audit.tool_sections.order_by("order").values_list("title", "order"))


@pytest.fixture
def sections():
    audit = AuditFactory()
    made = [
        ToolSectionFactory(audit=audit, title=t, order=o)
        for t, o in zip("ABC", (4, 7, 9), strict=True)
    ]
    ToolSectionFactory(title="Elsewhere", order=0)  # another audit's: never moved
    return audit, made


@pytest.mark.parametrize(
    "which, direction, after",
    [
        (1, "up", "BAC"),
        (2, "up", "ACB"),
        (1, "down", "ACB"),
        (0, "down", "BAC"),
        (0, "up", "ABC"),  # already first
        (2, "down", "ABC"),  # already last
        (1, "sideways", "ABC"),
        (1, "UP", "ABC"),
    ],
)
def test_a_section_moves_one_place_and_the_orders_are_made_whole(sections, which, direction, after):
    audit, made = sections
    tool.section_move(section=made[which], direction=direction)
    assert titles(audit) == [(title, order) for order, title in enumerate(after)]


def test_a_question_moves_within_its_section(sections):
    audit, made = sections
    questions = [
        ToolQuestionFactory(section=made[0], text=t, order=o) for t, o in (("x", 3), ("y", 5))
    ]
    tool.question_move(question=questions[1], direction="up")
    assert list(made[0].questions.order_by("order").values_list("text", "order")) == [
        ("y", 0),
        ("x", 1),
    ]


def versions(records) -> list[str]:
    return [version_of(type(record).objects.get(pk=record.pk)) for record in records]


@pytest.mark.parametrize("direction", ["up", "down"])
def test_moving_a_section_or_a_question_leaves_their_edit_pages_current(sections, direction):
    """Putting them in order is not a change of their wording: a rename or an edit page opened
    before the move, of the one moved or of any renumbered, still saves without a conflict."""
    _, made = sections
    questions = [
        ToolQuestionFactory(section=made[0], text=t, order=o) for t, o in (("x", 3), ("y", 5))
    ]
    seen = versions(made), versions(questions)
    tool.section_move(section=made[1], direction=direction)
    tool.question_move(question=questions[0 if direction == "down" else 1], direction=direction)
    assert (versions(made), versions(questions)) == seen
    assert [ToolSection.objects.get(pk=s.pk).order for s in made] == (
        [1, 0, 2] if direction == "up" else [0, 2, 1]
    )
