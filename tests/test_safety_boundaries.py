"""The safety checks at their edges, against the service or model itself, so that a check made
only by a page cannot hide a missing one underneath."""

import datetime
import itertools
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from actions.models import Action, Rag
from cases.models import AgencySubmission, Audit, Nomination
from cases.services import retention
from cases.services.tool import answers_save

from .factories import (
    ActionFactory,
    AgencyFactory,
    AgencySubmissionFactory,
    AuditFactory,
    CaseFactory,
    NominationFactory,
    ToolQuestionFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)
LONDON = zoneinfo.ZoneInfo("Europe/London")


# The RAG rule: the database's and Python's agree on every combination ---------------------------

DUE_OFFSETS = (None, -365, -1, 0, 1, 13, 14, 15, 365)


def _expected_rag(status: str, due_offset: int | None, at_risk: bool, amber_days: int) -> str:
    """The rule as the user guide states it, written out independently of the code."""
    if status == "complete":
        return Rag.COMPLETE
    if status == "cancelled":
        return Rag.CANCELLED
    if due_offset is not None and due_offset < 0:
        return Rag.RED  # overdue is red, even when also flagged at risk
    if at_risk or (due_offset is not None and due_offset <= amber_days):
        return Rag.AMBER
    return Rag.GREEN


def test_the_rag_rule_in_the_database_and_in_python_agree_on_every_combination(settings):
    amber_days = settings.MACA_RAG_AMBER_DAYS
    combinations = list(itertools.product(Action.Status.values, DUE_OFFSETS, (False, True)))
    actions = {}
    for status, offset, at_risk in combinations:
        due = None if offset is None else TODAY + datetime.timedelta(days=offset)
        action = ActionFactory(due_date=due, status=status, at_risk=at_risk, cancel_reason="x")
        actions[action.pk] = (status, offset, at_risk)
    in_database = dict(
        Action.objects.with_rag(TODAY).filter(pk__in=actions).values_list("pk", "rag_rating")
    )
    wrong = []
    for action in Action.objects.filter(pk__in=actions):
        combination = actions[action.pk]
        expected = _expected_rag(*combination, amber_days)
        if not (action.rag(TODAY) == in_database[action.pk] == expected):
            wrong.append((combination, action.rag(TODAY), in_database[action.pk], expected))
    assert not wrong
    assert len(actions) == len(combinations)


# Retention: exactly at the limit, a day before and a day after --------------------------------


def _closed_on(day: datetime.date, hour: int = 12) -> Audit:
    audit = AuditFactory(status=Audit.Status.CLOSED)
    NominationFactory(audit=audit, label="Case 1", case=CaseFactory(audit=audit, label="Case 1"))
    closed_at = datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)
    Audit.objects.filter(pk=audit.pk).update(closed_at=closed_at)
    return audit


def _years_before(day: datetime.date, years: int) -> datetime.date:
    return day.replace(year=day.year - years)


@pytest.mark.parametrize(
    "days_after_limit, hour, deleted",
    [
        (-1, 12, True),  # closed a day longer ago than the retention period
        (0, 0, True),  # closed on the very day the period ends
        (0, 23, True),
        (1, 0, False),  # a day short of the period
        (1, 12, False),
    ],
)
def test_retention_deletes_exactly_at_the_limit_and_not_a_day_before(
    settings, days_after_limit, hour, deleted
):
    limit = _years_before(TODAY, settings.MACA_RETENTION_YEARS)
    audit = _closed_on(limit + datetime.timedelta(days=days_after_limit), hour)
    due = retention.audits_due_for_deletion(TODAY)
    assert (audit in due) is deleted
    retention.retention_enforce(today=TODAY)
    assert Nomination.objects.filter(audit=audit).exists() is not deleted


def test_retention_keeps_an_audit_closed_a_year_short_of_the_period(settings):
    years = settings.MACA_RETENTION_YEARS
    audit = _closed_on(_years_before(TODAY, years - 1) - datetime.timedelta(days=1))
    retention.retention_enforce(today=TODAY)
    assert Nomination.objects.filter(audit=audit).exists()


def test_retention_never_touches_an_audit_that_is_not_closed(settings):
    audit = _closed_on(_years_before(TODAY, settings.MACA_RETENTION_YEARS + 2))
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.MEETING)
    retention.retention_enforce(today=TODAY)
    assert Nomination.objects.filter(audit=audit).exists()


def test_retention_never_touches_an_audit_under_legal_hold(settings):
    audit = _closed_on(_years_before(TODAY, settings.MACA_RETENTION_YEARS + 2))
    Audit.objects.filter(pk=audit.pk).update(legal_hold_at=timezone.now())
    report = retention.retention_enforce(today=TODAY)
    assert Nomination.objects.filter(audit=audit).exists()
    assert len(report.held) == 1 and not report.deleted


# The audit tool's submit lock, at the service ---------------------------------------------------


@pytest.fixture
def submitted_tool():
    audit = AuditFactory(status=Audit.Status.SUBMISSIONS)
    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    case = CaseFactory(audit=audit, label="Case 1")
    question = ToolQuestionFactory(section__audit=audit)
    submission = AgencySubmissionFactory(
        case=case, agency=housing, status=AgencySubmission.Status.SUBMITTED
    )
    return submission, question


def test_the_service_refuses_to_change_a_submitted_audit_tool(submitted_tool):
    submission, question = submitted_tool
    with pytest.raises(ValidationError, match="can no longer be changed"):
        answers_save(
            case=submission.case,
            agency=submission.agency,
            answers={question.pk: ("Written after the submit", "good")},
        )
    assert not submission.answers.exists()


def test_the_service_reads_the_lock_under_its_row_lock_not_from_the_callers_copy(submitted_tool):
    """A save that loaded the tool before another person submitted it still finds it locked."""
    submission, question = submitted_tool
    stale = AgencySubmission.objects.get(pk=submission.pk)
    stale.status = AgencySubmission.Status.DRAFT  # what the page showed before the submit
    with pytest.raises(ValidationError):
        answers_save(case=stale.case, agency=stale.agency, answers={question.pk: ("x", "good")})
    assert not submission.answers.exists()
