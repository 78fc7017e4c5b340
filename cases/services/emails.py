"""Emails asked for by a page: queued in the request's transaction, sent by the background worker.

The request only records the email and, once its transaction commits, enqueues the task that
sends it. The task re-checks the recipient against the access gate at the moment it runs, sends
the email at most once (its idempotency key), and on failure logs it and leaves it waiting for a
retry (`retry_emails`), so nothing is lost.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
import uuid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cases import access
from cases.models import OutgoingEmail
from maca.invitations import invitation_link_make, still_offered
from maca.text import one_line

logger = logging.getLogger(__name__)
Status = OutgoingEmail.Status

# Where an invitation's link goes: the link is made when the email is sent, so no working link
# is ever stored in the database.
INVITATION_LINK = "[[invitation-link]]"
MAX_ATTEMPTS = 5
RETRY_AFTER = datetime.timedelta(minutes=5)
# How long a worker's claim on an email lasts: far longer than a send may take (EMAIL_TIMEOUT
# bounds each step), and no longer than an email waits before it is retried.
SENDING_CLAIM = RETRY_AFTER


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
    # A theme and a partnership name of up to 200 characters each, and the words around them,
    # can run past the column (which PostgreSQL refuses, failing the press that queued it).
    most = OutgoingEmail._meta.get_field("subject").max_length
    if len(subject) > most:
        subject = subject[: most - 1].rstrip() + "\u2026"
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
        invitation = email.invitation
        return invitation is not None and invitation.is_open() and still_offered(invitation)
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
    """Send a queued email unless it went already, or another worker is sending it; returns its
    status afterwards.

    The email is claimed in one short transaction and marked sent or failed in another; it is
    sent between them, outside any transaction, so a slow mail server holds no lock that pages
    wait on. A worker that stops mid-send leaves its claim to run out, and the retry sends the
    email again under the same Message-ID, which a mail server can drop as a repeat."""
    email, status = _claimed(email_id)
    if email is None:
        return status
    try:
        _message(email).send()
    except Exception as error:
        logger.error(
            "Could not send email %s (attempt %s): %s", email.key, email.attempts, _said(error)
        )
        return _failed(email, error)
    with transaction.atomic():
        email.sent_at = timezone.now()
        _finish(email, Status.SENT)
    return email.status


def _claimed(email_id: int) -> tuple[OutgoingEmail | None, str]:
    """(The email, now claimed for sending, and its status), or (None, its status) when it is
    not to be sent now: gone, sent, given up, claimed by another worker, or withheld because its
    recipient may no longer receive it (the access gate, asked at this moment)."""
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(of=("self",))
            .select_related("recipient", "audit", "invitation")
            .filter(pk=email_id)
            .first()
        )
        if email is None:
            return None, Status.WITHHELD
        now = timezone.now()
        if email.status != Status.QUEUED or (email.sending_until and email.sending_until > now):
            return None, email.status
        if not recipient_may_receive(email):
            logger.info("Email %s withheld: its recipient may no longer receive it", email.key)
            _finish(email, Status.WITHHELD)
            return None, email.status
        email.attempts += 1
        email.sending_until = now + SENDING_CLAIM
        email.save(update_fields=["attempts", "sending_until"])
        return email, email.status


def _said(error: Exception) -> str:
    """What a failed send is logged with: the error's kind and the mail server's reply code or
    the system's reason, never its text, which names the addresses refused (a log is kept
    longer, and read by more people, than the email)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({code for code, _reply in error.recipients.values()})
        return (
            f"SMTPRecipientsRefused: {len(error.recipients)} refused ({', '.join(map(str, codes))})"
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}: {error.smtp_code}"
    if isinstance(error, OSError) and error.strerror:
        return f"{type(error).__name__}: {error.strerror}"
    return type(error).__name__


def _failed(email: OutgoingEmail, error: Exception) -> str:
    """Record a failed attempt: given up after MAX_ATTEMPTS, else left waiting and retried."""
    with transaction.atomic():
        email.last_error = type(error).__name__[:200]
        email.sending_until = None
        if email.attempts >= MAX_ATTEMPTS:
            _finish(email, Status.FAILED)
        else:
            _store(email, "last_error", "sending_until")
            transaction.on_commit(
                lambda: _enqueue(email.pk, run_after=timezone.now() + RETRY_AFTER)
            )
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
    email.sending_until = None
    _store(email, "status", "subject", "body", "attempts", "last_error", "sent_at", "sending_until")


def _store(email: OutgoingEmail, *fields: str) -> None:
    """Save these fields; nothing, with no error, when the email was deleted meanwhile (with
    its recipient's account, say) while it was being sent."""
    OutgoingEmail.objects.filter(pk=email.pk).update(
        **{name: getattr(email, name) for name in fields}
    )


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


def password_change_notify(sender, user, **kwargs) -> None:
    """Email `user` that their password was changed (`maca.models.password_changed`), in case it
    was not them: with the time, and where to set a new one."""
    if not user.email:
        return
    changed_at = timezone.localtime()
    context = {
        "user": user,
        "changed_at": f"{changed_at:%-d %B %Y at %H:%M}",
        "reset_link": settings.SITE_URL + reverse("password_reset"),
    }
    email_queue(
        key=f"password-changed:{user.pk}:{uuid.uuid4().hex}",
        recipient=user,
        audit=None,
        subject="Your MACA password was changed",
        body=render_to_string("emails/password_changed.txt", context),
    )
