"""Emails asked for by a page: queued in the request's transaction, sent by the background worker.

The request only records the email and, once its transaction commits, enqueues the task that
sends it. The task re-checks the recipient against the access gate at the moment it runs, sends
the email at most once (its idempotency key), and on failure logs it and leaves it waiting for a
retry (`retry_emails`), so nothing is lost.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from cases import access
from cases.models import OutgoingEmail
from maca.invitations import invitation_link_make
from maca.text import one_line

logger = logging.getLogger(__name__)
Status = OutgoingEmail.Status

# Where an invitation's link goes: the link is made when the email is sent, so no working link
# is ever stored in the database.
INVITATION_LINK = "[[invitation-link]]"
MAX_ATTEMPTS = 5
RETRY_AFTER = datetime.timedelta(minutes=5)


def email_queue(
    *,
    key: str,
    subject: str,
    body: str,
    recipient=None,
    invitation=None,
    audit=None,
    permission: str = "view_audit",
    agency_ids=(),
    partnership=None,
) -> OutgoingEmail:
    """Record an email to an account (`recipient`) or an invited address (`invitation`) and have
    the worker send it once the current transaction commits. `permission` is what the recipient
    must be allowed to do with `audit` when it is sent, and `agency_ids` the agencies whose work
    in it they must still be allowed to see; a notice to a chair of `partnership` is
    sent only while they chair it. Queuing the same key again changes nothing: it is sent
    once."""
    email, created = OutgoingEmail.objects.get_or_create(
        key=key,
        defaults={
            "recipient": recipient,
            "invitation": invitation,
            "audit": audit,
            "permission": permission,
            "agency_ids": sorted(agency_ids),
            "partnership": partnership,
            "subject": subject,
            "body": body,
        },
    )
    if created:
        transaction.on_commit(lambda: _enqueue(email.pk))
    return email


def _enqueue(email_id: int, run_after: datetime.datetime | None = None) -> None:
    from cases.tasks import send_queued_email

    task = send_queued_email
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # a backend that cannot wait (immediate) leaves it to retry_emails
        task = task.using(run_after=run_after)
    try:
        task.enqueue(email_id)
    except Exception:
        # The queue did not answer: the email stays waiting and retry_emails sends it later.
        logger.exception("Could not queue email %s; it will be retried", email_id)


def recipient_may_receive(email: OutgoingEmail) -> bool:
    """Whether the email may still go to its recipient now, asked as it is sent: an invitation
    while it is open (not accepted, not expired); an email to an account while the account is
    active with an address and, for an audit's email, the access gate lets them take the email's
    `permission` on that audit and see the work of each agency it describes; a notice to a
    partnership's chair while they chair it."""
    if email.recipient_id is None:
        return email.invitation is not None and email.invitation.is_open()
    if INVITATION_LINK in email.body and email.invitation is None:
        return False  # queued before invitations were records: its link could not be made
    user = email.recipient
    if not (user.is_active and user.email):
        return False
    if email.partnership_id is not None:
        return email.partnership_id in access.memberships_of(user).chaired
    if email.audit is None:
        return email.invitation is None or email.invitation.is_open()
    if not access.recipients_who_may_see(email.audit, [user], email.permission):
        return False
    return all(
        access.can_view_agency_work(user, email.audit, agency_id) for agency_id in email.agency_ids
    )


def queued_email_send(*, email_id: int) -> str:
    """Send a queued email unless it went already; returns its status afterwards."""
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(of=("self",))
            .select_related("recipient", "audit", "invitation")
            .filter(pk=email_id)
            .first()
        )
        if email is None or email.status != Status.QUEUED:
            return email.status if email else Status.WITHHELD
        if not recipient_may_receive(email):
            logger.info("Email %s withheld: its recipient may no longer receive it", email.key)
            _finish(email, Status.WITHHELD)
            return email.status
        email.attempts += 1
        try:
            _message(email).send()
        except Exception as error:
            logger.exception("Could not send email %s (attempt %s)", email.key, email.attempts)
            email.last_error = type(error).__name__[:200]
            if email.attempts >= MAX_ATTEMPTS:
                _finish(email, Status.FAILED)
            else:
                email.save(update_fields=["attempts", "last_error"])
                transaction.on_commit(
                    lambda: _enqueue(email.pk, run_after=timezone.now() + RETRY_AFTER)
                )
            return email.status
        email.sent_at = timezone.now()
        _finish(email, Status.SENT)
        return email.status


def _message(email: OutgoingEmail) -> EmailMessage:
    body = email.body
    if INVITATION_LINK in body and email.invitation is not None:
        body = body.replace(INVITATION_LINK, invitation_link_make(email.invitation))
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "maca"
    return EmailMessage(
        one_line(email.subject),
        body,
        None,
        [email.address],
        # The same key gives the same Message-ID, so a mail server can drop a repeat.
        headers={"Message-ID": f"<{email.key}@{domain}>", "X-MACA-Idempotency-Key": email.key},
    )


def _finish(email: OutgoingEmail, status: str) -> None:
    email.status = status
    email.subject = email.body = ""  # the fact that it went (or not) is kept, not its content
    email.save(update_fields=["status", "subject", "body", "attempts", "last_error", "sent_at"])


def waiting_emails_retry(*, older_than: datetime.timedelta = RETRY_AFTER) -> int:
    """Enqueue again every email still waiting after `older_than`: one whose worker stopped
    mid-task, whose sending failed, or whose queue did not answer. Returns how many."""
    waiting = list(
        OutgoingEmail.objects.filter(
            status=Status.QUEUED, created_at__lt=timezone.now() - older_than
        ).values_list("pk", flat=True)
    )
    for email_id in waiting:
        _enqueue(email_id)
    return len(waiting)
