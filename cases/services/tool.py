"""Writes for the audit tool: the questionnaire each agency answers for each case."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import (
    AgencySubmission,
    Audit,
    AuditEvent,
    Case,
    ToolAnswer,
    ToolQuestion,
    ToolSection,
)
from cases.selectors.progress import asked_of, not_asked_message
from cases.services.stage_emails import send_stage_emails
from maca.concurrency import check_current, differs_from_saved
from maca.models import Agency

# The default questionnaire: what partnerships' MACA audit tools commonly ask of each agency.
DEFAULT_TOOL = [
    (
        "Recognition of need and risk",
        [
            "Were the child's needs and the risks to them recognised early?",
            "Was the history of the family taken into account?",
        ],
    ),
    (
        "Assessment",
        ["Was the assessment timely, thorough and informed by all agencies involved?"],
    ),
    (
        "Planning and intervention",
        [
            "Was there a clear plan with outcomes for the child, including a contingency plan?",
            "Was the help offered the right help, at the right time?",
        ],
    ),
    (
        "Voice of the child",
        ["Were the child's wishes, feelings and lived experience sought and recorded?"],
    ),
    (
        "Multi-agency working and information sharing",
        [
            "Was information shared promptly with the agencies who needed it?",
            "Were concerns escalated when agencies disagreed or progress stalled?",
        ],
    ),
    (
        "Management oversight and supervision",
        ["Is there evidence of management oversight and reflective supervision?"],
    ),
    (
        "Impact and outcome",
        ["What difference did the work make to the child's life?"],
    ),
    (
        "Overall quality of practice",
        ["Overall, how good was this agency's practice with this child?"],
    ),
]


@transaction.atomic
def default_tool_create(*, audit: Audit) -> None:
    """Give `audit` the default questionnaire, unless it already has one."""
    if audit.tool_sections.exists():
        return
    for section_order, (title, questions) in enumerate(DEFAULT_TOOL):
        section = ToolSection.objects.create(audit=audit, title=title, order=section_order)
        ToolQuestion.objects.bulk_create(
            ToolQuestion(section=section, text=text, order=order)
            for order, text in enumerate(questions)
        )


# The questionnaire ---------------------------------------------------------------------------


def _renumber(items) -> list:
    """Give `items` (already in display order) the orders 0, 1, 2… and return them as a list."""
    items = list(items)
    for index, item in enumerate(items):
        if item.order != index:
            item.order = index
            item.save(update_fields=["order"])
    return items


def _move(items: list, item, direction: str) -> None:
    items = _renumber(items)
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= target < len(items):
        return
    other = items[target]
    mine, theirs = items[index].order, other.order
    items[index].order, other.order = theirs, mine
    items[index].save(update_fields=["order"])
    other.save(update_fields=["order"])


@transaction.atomic
def section_add(*, audit: Audit, title: str) -> ToolSection:
    last = audit.tool_sections.order_by("-order").values_list("order", flat=True).first()
    section = ToolSection(audit=audit, title=title, order=0 if last is None else last + 1)
    section.full_clean()
    section.save()
    return section


@transaction.atomic
def section_rename(*, section: ToolSection, title: str) -> ToolSection:
    section.title = title
    section.full_clean()
    section.save(update_fields=["title", "updated_at"])
    return section


@transaction.atomic
def section_move(*, section: ToolSection, direction: str) -> None:
    sections = ToolSection.objects.select_for_update().filter(audit_id=section.audit_id)
    _move(sections.order_by("order", "id"), section, direction)


def section_has_answers(section: ToolSection) -> bool:
    return ToolAnswer.objects.filter(question__section=section).exists()


@transaction.atomic
def section_delete(*, section: ToolSection) -> None:
    """Delete a section and its questions, unless agencies have already answered any of them."""
    if section_has_answers(section):
        raise ValidationError(
            "Agencies have already answered questions in this section, so it cannot be deleted."
        )
    section.delete()


@transaction.atomic
def question_add(*, section: ToolSection, text: str, guidance: str = "") -> ToolQuestion:
    last = section.questions.order_by("-order").values_list("order", flat=True).first()
    question = ToolQuestion(
        section=section, text=text, guidance=guidance, order=0 if last is None else last + 1
    )
    question.full_clean()
    question.save()
    return question


@transaction.atomic
def question_update(*, question: ToolQuestion, text: str, guidance: str = "") -> bool:
    """Whether anything changed: a save that changes nothing is not kept."""
    question.text = text
    question.guidance = guidance
    question.full_clean()
    if not differs_from_saved(question):
        return False
    question.save(update_fields=["text", "guidance", "updated_at"])
    return True


@transaction.atomic
def question_move(*, question: ToolQuestion, direction: str) -> None:
    questions = ToolQuestion.objects.select_for_update().filter(section_id=question.section_id)
    _move(questions.order_by("order", "id"), question, direction)


@transaction.atomic
def question_delete(*, question: ToolQuestion) -> None:
    """Delete a question nobody has answered yet: answers are never thrown away."""
    if question.answers.exists():
        raise ValidationError(
            "Agencies have already answered this question, so it cannot be deleted. "
            "You can change its wording instead."
        )
    question.delete()


# Answers -------------------------------------------------------------------------------------


def check_answerable(
    *, audit: Audit, case: Case, agency: Agency, submission: AgencySubmission | None
) -> None:
    """Refuse, with the writer's message, a change to `agency`'s audit tool for `case` now."""
    if not audit.accepts_submissions:
        raise ValidationError("This audit is not taking submissions at the moment.")
    if not asked_of(case, agency):
        raise ValidationError(not_asked_message(case, agency))
    if submission is not None and submission.is_locked:
        raise ValidationError("This audit tool has been submitted and can no longer be changed.")


def answers_save(
    *, case: Case, agency: Agency, answers: dict[int, tuple[str, str]]
) -> AgencySubmission:
    """Save a draft of `agency`'s audit tool for `case`: {question id: (text, grade)}.

    Creates the submission on first save. Blank answers are not kept, so only real answers
    count when deciding whether a question may be deleted.
    """
    with transaction.atomic():
        audit = case.audit
        submission = (
            AgencySubmission.objects.select_for_update().filter(case=case, agency=agency).first()
        )
        check_answerable(audit=audit, case=case, agency=agency, submission=submission)
        if submission is None:
            submission = AgencySubmission(case=case, agency=agency)
            submission.full_clean()
            submission.save()
        else:
            submission.save(update_fields=["updated_at"])
        question_ids = set(
            ToolQuestion.objects.filter(section__audit=audit, pk__in=answers).values_list(
                "pk", flat=True
            )
        )
        existing = {answer.question_id: answer for answer in submission.answers.all()}
        for question_id, (text, grade) in answers.items():
            if question_id not in question_ids:
                continue
            answer = existing.get(question_id)
            if not text.strip() and not grade:
                if answer is not None:
                    answer.delete()
                continue
            if answer is None:
                answer = ToolAnswer(submission=submission, question_id=question_id)
            answer.text, answer.grade = text, grade
            answer.full_clean(exclude=["submission", "question"])
            answer.save()
        return submission


def has_ungraded_questions(submission: AgencySubmission) -> bool:
    """Whether the audit has a question that `submission` has not graded yet."""
    graded = submission.answers.exclude(grade="").values("question_id")
    return (
        ToolQuestion.objects.filter(section__audit_id=submission.case.audit_id)
        .exclude(pk__in=graded)
        .exists()
    )


def submission_submit(
    *, submission: AgencySubmission, user, loaded_version: str | None = None
) -> AgencySubmission:
    """Lock the audit tool: every question must have a grade.

    `loaded_version` is the version the person confirmed: answers saved by someone else since
    are not submitted unseen.
    """
    with transaction.atomic():
        submission = AgencySubmission.objects.select_for_update().get(pk=submission.pk)
        check_answerable(
            audit=submission.case.audit,
            case=submission.case,
            agency=submission.agency,
            submission=submission,
        )
        check_current(submission, loaded_version=loaded_version, label="this audit tool")
        if not ToolQuestion.objects.filter(section__audit_id=submission.case.audit_id).exists():
            raise ValidationError("This audit tool has no questions yet.")
        if has_ungraded_questions(submission):
            raise ValidationError("Give every question a grade before submitting.")
        submission.status = AgencySubmission.Status.SUBMITTED
        submission.submitted_at = timezone.now()
        submission.submitted_by = user
        submission.full_clean()
        submission.save()
        return submission


def submission_reopen(
    *, submission: AgencySubmission, user, reason: str, loaded_version: str | None = None
) -> AuditEvent:
    """Send a submitted audit tool back to draft so the agency can change it; the reason stays.
    Refused if it changed since the chair's page was drawn (reopened and submitted again), and
    once the audit is closed: a closed audit's returns stand as they were submitted."""
    with transaction.atomic():
        submission = (
            AgencySubmission.objects.select_for_update()
            .select_related("case__audit", "agency")
            .get(pk=submission.pk)
        )
        if submission.case.audit.is_closed:
            raise ValidationError(
                "This audit is closed: its submitted audit tools can no longer be reopened."
            )
        check_current(submission, loaded_version=loaded_version, label="this audit tool")
        if not submission.is_locked:
            raise ValidationError("This audit tool has not been submitted, so it is already open.")
        if not reason.strip():
            raise ValidationError("Say why it is being reopened.")
        submission.status = AgencySubmission.Status.DRAFT
        submission.submitted_at = None
        submission.submitted_by = None
        submission.full_clean()
        submission.save()
        event = AuditEvent(
            audit=submission.case.audit,
            kind=AuditEvent.Kind.REOPEN,
            actor=user,
            detail={
                "case": submission.case.label,
                "agency": submission.agency.name,
                "reason": reason.strip(),
            },
        )
        event.full_clean()
        event.save()
        return event


# The meeting pack ----------------------------------------------------------------------------


def pack_release(*, audit: Audit, user) -> Audit:
    """Open the meeting pack to the QA members and agency co-ordinators."""
    with transaction.atomic():
        audit = Audit.objects.select_for_update().get(pk=audit.pk)
        if audit.pack_released_at is not None:
            raise ValidationError("The meeting pack has already been released.")
        if audit.is_closed:
            raise ValidationError("This audit is closed: its meeting pack is no longer released.")
        audit.pack_released_at = timezone.now()
        audit.save(update_fields=["pack_released_at", "updated_at"])
        AuditEvent.objects.create(audit=audit, kind=AuditEvent.Kind.PACK_RELEASED, actor=user)
        send_stage_emails(audit)
        return audit
