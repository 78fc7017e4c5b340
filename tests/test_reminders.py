"""Deadline reminders: the daily command and the sources it draws on."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from cases.models import AgencySubmission, Audit, AuditEvent
from cases.services.reminders import Reminder, deadline_stage, due_reminders_send
from maca.models import Membership, SentReminder

from .conftest import member
from .factories import AgencyFactory, AgencySubmissionFactory, CaseFactory, ChronologyEntryFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role
DEADLINE = datetime.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def reminder_days(settings):
    settings.MACA_REMINDER_DAYS_BEFORE = 7
    settings.MACA_REMINDER_DAYS_AFTER = 1
    settings.SITE_URL = "https://maca.example.org"


@pytest.fixture(autouse=True)
def deadline_reminders_only(monkeypatch):
    """These tests are about deadline reminders: the stage emails have their own."""
    from cases.services import reminders
    from cases.services.stage_emails import recent_stage_emails

    kept = [source for source in reminders.SOURCES if source is not recent_stage_emails]
    monkeypatch.setattr(reminders, "SOURCES", kept)


@pytest.fixture
def open_audit(audit):
    """Housing has sent everything in; Police has nothing in for Case 1."""
    audit.status = Audit.Status.SUBMISSIONS
    audit.submission_deadline = DEADLINE
    audit.save()
    housing, police = AgencyFactory(name="Housing Trust"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    case = CaseFactory(audit=audit, label="Case 1")
    ChronologyEntryFactory(case=case, agency=housing)
    AgencySubmissionFactory(case=case, agency=housing, status=AgencySubmission.Status.SUBMITTED)
    member(audit, Role.COORDINATOR, agency=housing, email="housing@example.org")
    member(audit, Role.COORDINATOR, agency=police, email="police@example.org")
    return audit


def run(*args):
    out = io.StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    "day, stage",
    [
        (DEADLINE - datetime.timedelta(days=8), None),
        (DEADLINE - datetime.timedelta(days=7), "before"),
        (DEADLINE - datetime.timedelta(days=1), "before"),
        (DEADLINE, "due"),
        (DEADLINE + datetime.timedelta(days=1), "overdue"),
        (DEADLINE + datetime.timedelta(days=30), "overdue"),
    ],
)
def test_deadline_stages(day, stage):
    assert deadline_stage(DEADLINE, day) == stage


def test_a_deadline_in_year_9999_is_simply_not_due_and_the_daily_run_goes_on(open_audit):
    """A date that date arithmetic cannot go past stops neither this audit's run nor others'."""
    last = datetime.date(9999, 12, 31)
    assert deadline_stage(last, DEADLINE) is None
    assert deadline_stage(DEADLINE, last) is None  # ten years and more overdue: no reminder
    assert deadline_stage(last, last) == "due"
    Audit.objects.filter(pk=open_audit.pk).update(submission_deadline=last)
    run()


def test_before_due_and_overdue_each_once(open_audit, mailoutbox):
    assert run("--today", "2026-11-15") == "Sent 0 reminders (0 already sent)\n"
    assert mailoutbox == []

    assert run("--today", "2026-11-16") == "Sent 1 reminder (0 already sent)\n"
    assert [mail.to for mail in mailoutbox] == [["police@example.org"]]
    assert "due on 23 November 2026" in mailoutbox[0].subject
    assert mailoutbox[0].subject.endswith(f" — {open_audit.partnership.name}")  # whose audit
    # Whose audit it is, for someone who co-ordinates in two partnerships.
    assert (
        f"Submissions for {open_audit.partnership.name}'s multi-agency case audit"
        in mailoutbox[0].body
    )
    assert "Case 1: chronology not uploaded, audit tool not started" in mailoutbox[0].body
    assert f"https://maca.example.org/audits/{open_audit.pk}/progress/" in mailoutbox[0].body

    # Run twice the same day, or later in the same stage: nothing more.
    assert run("--today", "2026-11-16") == "Sent 0 reminders (1 already sent)\n"
    assert run("--today", "2026-11-20") == "Sent 0 reminders (1 already sent)\n"
    assert len(mailoutbox) == 1

    run("--today", "2026-11-23")
    assert len(mailoutbox) == 2
    assert "due today" in mailoutbox[1].subject
    run("--today", "2026-11-23")
    run("--today", "2026-11-24")
    assert len(mailoutbox) == 3
    assert "overdue" in mailoutbox[2].subject
    run("--today", "2026-12-01")
    assert len(mailoutbox) == 3

    keys = set(SentReminder.objects.values_list("key", flat=True))
    assert keys == {f"deadline:{open_audit.pk}:{stage}" for stage in ("before", "due", "overdue")}
    events = AuditEvent.objects.filter(audit=open_audit, kind=AuditEvent.Kind.REMINDER)
    assert events.count() == 3


def test_dry_run_sends_nothing(open_audit, mailoutbox):
    out = run("--dry-run", "--today", "2026-11-23")
    assert "Would send" in out and "police@example.org" in out
    assert out.endswith("Dry run: would send 1 reminder (0 already sent)\n")
    assert mailoutbox == []
    assert not SentReminder.objects.exists()
    assert run("--today", "2026-11-23") == "Sent 1 reminder (0 already sent)\n"


def test_audits_not_taking_submissions_send_nothing(open_audit, mailoutbox):
    open_audit.status = Audit.Status.MEETING
    open_audit.save()
    run("--today", "2026-11-23")
    assert mailoutbox == []


def test_nothing_missing_nothing_sent(open_audit, mailoutbox):
    police = open_audit.agencies.get(name="Police")
    case = open_audit.cases.get()
    ChronologyEntryFactory(case=case, agency=police)
    AgencySubmissionFactory(case=case, agency=police, status=AgencySubmission.Status.SUBMITTED)
    assert run("--today", "2026-11-23") == "Sent 0 reminders (0 already sent)\n"
    assert mailoutbox == []


def test_a_bad_date_is_a_clear_error(open_audit):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("--today", "23/11/2026")


def test_other_sources_plug_in_and_send_once(audit, mailoutbox):
    person = member(audit, email="lead@example.org")

    def action_due(today):
        yield Reminder(
            key="action:1:due",
            user=person,
            subject="Action due",
            body="Due soon.",
            audit_id=audit.pk,
        )

    result = due_reminders_send(today=DEADLINE, sources=[action_due])
    assert (result.sent, result.already_sent) == (1, 0)
    result = due_reminders_send(today=DEADLINE, sources=[action_due])
    assert (result.sent, result.already_sent) == (0, 1)
    assert [mail.subject for mail in mailoutbox] == ["Action due"]


def test_a_failed_send_is_not_recorded(audit, monkeypatch):
    person = member(audit, email="lead@example.org")

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("cases.services.reminders.send_mail", broken)

    def source(today):
        yield Reminder(
            key="action:2:due", user=person, subject="Action due", body="Due.", audit_id=audit.pk
        )

    result = due_reminders_send(today=DEADLINE, sources=[source])
    assert (result.sent, result.failed) == (0, 1)
    assert not SentReminder.objects.exists()  # so the next run tries again


def test_a_reminder_about_an_audit_goes_only_to_someone_still_on_it(open_audit, mailoutbox):
    """Whatever the source, the sender asks the access gate as it sends: someone removed from
    the partnership, or whose agency left the audit, is not emailed about it."""
    removed = member(open_audit, Role.QA_MEMBER, email="removed@example.org")
    Membership.objects.filter(user=removed).delete()
    left = AgencyFactory(name="Left Agency")
    coordinator = member(open_audit, Role.COORDINATOR, agency=left, email="left@example.org")
    staying = member(open_audit, Role.QA_MEMBER, email="staying@example.org")

    def source(today):
        for user in (removed, coordinator, staying):
            yield Reminder(
                key="about:audit", user=user, subject="S", body="B", audit_id=open_audit.pk
            )

    result = due_reminders_send(today=DEADLINE, sources=[source])
    assert (result.sent, result.not_allowed) == (1, 2)
    assert [mail.to for mail in mailoutbox] == [["staying@example.org"]]


def test_a_reminder_about_nothing_the_gate_guards_is_not_sent(audit, mailoutbox):
    person = member(audit, email="someone@example.org")

    def source(today):
        yield Reminder(key="about:nothing", user=person, subject="S", body="B")

    assert due_reminders_send(today=DEADLINE, sources=[source]).not_allowed == 1
    assert mailoutbox == []
