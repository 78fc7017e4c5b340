"""Reminder emails: sources yield reminders, one sender sends each once and records it in the
same transaction (docs/architecture.md); other apps add sources with `register_source`."""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from cases.access import recipients_who_may_see
from cases.models import Audit, AuditEvent
from cases.selectors.progress import missing_by_agency, progress_matrix
from cases.services.emails import email_queue
from maca.models import Membership, SentReminder
from maca.text import one_line

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    key: str  # names the reminder, e.g. "deadline:3:before"; sent once per key and person
    user: object
    subject: str
    body: str
    audit_id: int | None = None  # recorded on the audit's history when sent
    # What the person must be allowed to do with the audit at the moment it is sent, to receive
    # it (asked of the access gate, `recipients_who_may_see`, by the sender).
    permission: str = "view_audit"
    # A further question the source's own app asks of the person at the moment it is sent, for
    # what the email describes beyond the audit (the action plan: may they still open this
    # action?). A reminder about no audit must carry one.
    may_see: Callable[[object], bool] | None = None


def audit_subject(audit, text: str) -> str:
    """An email's subject about `audit`, naming its partnership: people in several
    partnerships (or a shared mailbox) can tell at a glance whose audit it is."""
    return f"{text} — {audit.partnership.name}"


Source = Callable[[datetime.date], Iterable[Reminder]]
SOURCES: list[Source] = []


def register_source(source: Source) -> Source:
    """Add a source of reminders to the daily run (usable as a decorator)."""
    if source not in SOURCES:
        SOURCES.append(source)
    return source


# What each agency still owes -----------------------------------------------------------------

STAGE_SUBJECTS = {
    "manual": "Reminder: audit submissions for {theme} are due on {deadline}",
    "before": "Audit submissions for {theme} are due on {deadline}",
    "due": "Audit submissions for {theme} are due today",
    "overdue": "Audit submissions for {theme} are overdue",
}


def _day(date: datetime.date | None) -> str:
    return date_format(date, "j F Y") if date else ""


def missing_work_messages(audit: Audit, *, stage: str, today=None) -> Iterator[tuple]:
    """(user, agency ids, subject, body) for each co-ordinator whose agency has something
    missing: the agencies are those whose missing work the message names.

    A co-ordinator of several agencies taking part gets one message covering them all.
    """
    progress = progress_matrix(audit, today=today)
    missing = missing_by_agency(progress)
    if not missing:
        return
    memberships = (
        Membership.objects.filter(
            partnership_id=audit.partnership_id,
            role=Membership.Role.COORDINATOR,
            agency_id__in=missing,
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user", "agency")
        .order_by("user_id", "agency__name")
    )
    by_user: dict[int, tuple] = {}
    for membership in memberships:
        user, agencies = by_user.setdefault(membership.user_id, (membership.user, []))
        agencies.append((membership.agency, missing[membership.agency_id]))
    deadline = _day(audit.submission_deadline)
    subject = audit_subject(
        audit, STAGE_SUBJECTS[stage].format(theme=audit.theme.name, deadline=deadline or "—")
    )
    link = settings.SITE_URL + reverse("progress", args=[audit.pk])
    for user, agencies in by_user.values():
        body = render_to_string(
            "emails/submission_reminder.txt",
            {
                "user": user,
                "audit": audit,
                "stage": stage,
                "deadline": deadline,
                "agencies": agencies,
                "link": link,
            },
        )
        yield user, [agency.pk for agency, _ in agencies], subject, body


# The chair's reminders go out at most once in this time: a second press, or a second chair, a
# moment later would send everyone the same email again.
REMIND_AGAIN_AFTER = datetime.timedelta(hours=1)


def last_manual_reminder(audit: Audit) -> AuditEvent | None:
    """When the chair's reminders last went out, and to how many: one query."""
    sent = audit.events.filter(kind=AuditEvent.Kind.REMINDER, detail__stage="manual")
    return sent.select_related("actor").order_by("-created_at", "-id").first()


def reminders_again_at(last: AuditEvent | None):
    """When the chair's reminders may go out again, if not yet (local time); else None."""
    if last is None or timezone.now() - last.created_at >= REMIND_AGAIN_AFTER:
        return None
    return timezone.localtime(last.created_at + REMIND_AGAIN_AFTER)


@transaction.atomic
def progress_reminders_send(*, audit: Audit, user) -> int:
    """The chair's "remind co-ordinators" button: email everyone with something missing now,
    unless reminders went out less than REMIND_AGAIN_AFTER ago."""
    Audit.objects.select_for_update().filter(pk=audit.pk).first()  # one press at a time
    last = last_manual_reminder(audit)
    if again := reminders_again_at(last):
        raise ValidationError(
            f"Reminders went out at {date_format(timezone.localtime(last.created_at), 'H:i')}, "
            f"less than an hour ago. They can be sent again from {date_format(again, 'H:i')}."
        )
    messages = list(missing_work_messages(audit, stage="manual"))
    if not messages:
        return 0
    event = AuditEvent(
        audit=audit,
        kind=AuditEvent.Kind.REMINDER,
        actor=user,
        detail={"stage": "manual", "recipients": len(messages)},
    )
    event.full_clean()
    event.save()
    for recipient, agency_ids, subject, body in messages:
        email_queue(
            key=f"reminder:{event.pk}:{recipient.pk}",
            recipient=recipient,
            audit=audit,
            permission="view_progress",
            agency_ids=agency_ids,
            subject=subject,
            body=body,
        )
    return len(messages)


# The deadline source -------------------------------------------------------------------------


# Further from its deadline than this, an audit gets no deadline reminder: far more than either
# setting of days, and small enough that the dates worked out from a deadline never pass year 9999.
MAX_REMINDER_DAYS = 3660


def deadline_stage(deadline: datetime.date, today: datetime.date) -> str | None:
    """Which deadline reminder is due on `today`: "before", "due", "overdue" or none.

    "before" from MACA_REMINDER_DAYS_BEFORE days ahead until the day before the deadline,
    "due" on the day, "overdue" from MACA_REMINDER_DAYS_AFTER days after it.
    """
    if today == deadline:
        return "due"
    if abs((deadline - today).days) > MAX_REMINDER_DAYS:
        return None  # too far either way for any reminder (and for date arithmetic near 9999)
    before = deadline - datetime.timedelta(days=settings.MACA_REMINDER_DAYS_BEFORE)
    after = deadline + datetime.timedelta(days=settings.MACA_REMINDER_DAYS_AFTER)
    if before <= today < deadline:
        return "before"
    if today >= after and today > deadline:
        return "overdue"
    return None


@register_source
def deadline_reminders(today: datetime.date) -> Iterator[Reminder]:
    audits = Audit.objects.filter(
        status=Audit.Status.SUBMISSIONS, submission_deadline__isnull=False
    ).select_related("theme", "partnership")
    for audit in audits:
        stage = deadline_stage(audit.submission_deadline, today)
        if stage is None:
            continue
        key = f"deadline:{audit.pk}:{stage}"
        for user, _, subject, body in missing_work_messages(audit, stage=stage, today=today):
            yield Reminder(
                key=key,
                user=user,
                subject=subject,
                body=body,
                audit_id=audit.pk,
                permission="view_progress",
            )


# The sender ----------------------------------------------------------------------------------


@dataclass
class RunResult:
    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    not_allowed: int = 0  # no longer allowed to see the audit: not sent
    would_send: list[Reminder] | None = None


def due_reminders_send(
    *, today: datetime.date, dry_run: bool = False, sources: Iterable[Source] | None = None
) -> RunResult:
    """Send every reminder due `today` that has not gone to that person before."""
    result = RunResult(would_send=[] if dry_run else None)
    per_audit: Counter = Counter()
    keys_per_audit: dict[int, set[str]] = {}
    audits: dict[int, Audit] = {}
    for source in SOURCES if sources is None else sources:
        for reminder in source(today):
            if SentReminder.objects.filter(key=reminder.key, user=reminder.user).exists():
                result.already_sent += 1
                continue
            if not _may_receive(reminder, audits):
                result.not_allowed += 1
                continue
            if dry_run:
                result.would_send.append(reminder)
                continue
            try:
                sent = _send_once(reminder)
            except Exception:
                # Nothing was recorded, so the next run tries again; the others still go out.
                logger.exception(
                    "Could not send reminder %s to user %s", reminder.key, reminder.user.pk
                )
                result.failed += 1
                continue
            if sent:
                result.sent += 1
                if reminder.audit_id:
                    per_audit[reminder.audit_id] += 1
                    keys_per_audit.setdefault(reminder.audit_id, set()).add(reminder.key)
            else:
                result.already_sent += 1
    for audit_id, count in per_audit.items():
        AuditEvent.objects.create(
            audit_id=audit_id,
            kind=AuditEvent.Kind.REMINDER,
            detail={
                "automatic": True,
                "recipients": count,
                "keys": sorted(keys_per_audit[audit_id]),
            },
        )
    return result


def _may_receive(reminder: Reminder, audits: dict[int, Audit]) -> bool:
    """Whether the access gate lets the person see what the reminder describes, now: its audit
    (with its permission) and whatever its source asks besides. A reminder that names neither
    an audit nor a question is about nothing the gate guards, and is not sent."""
    user = reminder.user
    if not (user.is_active and user.email):
        return False
    if reminder.audit_id is None and reminder.may_see is None:
        logger.warning("Reminder %s names nothing to check its recipient against", reminder.key)
        return False
    if reminder.audit_id is not None:
        if reminder.audit_id not in audits:
            audits[reminder.audit_id] = Audit.objects.filter(pk=reminder.audit_id).first()
        audit = audits[reminder.audit_id]
        if audit is None or not recipients_who_may_see(audit, [user], reminder.permission):
            return False
    return reminder.may_see is None or reminder.may_see(user)


def _send_once(reminder: Reminder) -> bool:
    """Record and send in one transaction: if sending fails nothing is recorded, and if another
    run recorded it first the unique constraint stops this one."""
    try:
        with transaction.atomic():
            SentReminder.objects.create(key=reminder.key, user=reminder.user)
            send_mail(one_line(reminder.subject), reminder.body, None, [reminder.user.email])
    except IntegrityError:
        return False
    return True
