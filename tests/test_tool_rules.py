"""The audit tool's rules at the service: when an agency's answers may change, when a tool may
be submitted, and how sections and questions are put in order."""

import pytest
from django.core.exceptions import ValidationError

from cases.models import AgencySubmission, Audit, ToolAnswer, ToolSection
from cases.services import tool

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
    with pytest.raises(ValidationError, match="Give every question a grade before submitting."):
        tool.submission_submit(submission=submission, user=chair)
    ToolAnswer.objects.filter(question=second).update(grade="good")
    tool.submission_submit(submission=submission, user=chair)
    assert AgencySubmission.objects.get().is_locked


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
