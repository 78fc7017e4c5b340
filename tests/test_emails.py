"""Invitation and reminder emails are queued by the page and sent by the background worker:
once each, only to someone who may still receive them, and a failure is retried, not lost."""

import datetime
import io
import re
import smtplib
import socket

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cases.models import Audit, OutgoingEmail, Theme
from cases.services import emails
from cases.services.stage_emails import stage_emails_send
from maca.models import Invitation, Membership, Partnership, User

pytestmark = pytest.mark.django_db
Role = Membership.Role
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def invite(client, audit, chair, capture, email="new.person@example.org", role=Role.QA_MEMBER):
    client.force_login(chair)
    with capture(execute=True):
        response = client.post(
            reverse("audit_members", args=[audit.pk]), {"email": email, "role": role}
        )
    assert response.status_code == 302
    return Invitation.objects.get(email=email)


def test_the_page_queues_the_invitation_and_the_worker_sends_it_once(
    client, audit, chair, settings, mailoutbox, run_worker, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    settings.SITE_URL = "https://maca.example.org"
    invitation = invite(client, audit, chair, django_capture_on_commit_callbacks)
    assert mailoutbox == []  # not sent inside the request
    queued = OutgoingEmail.objects.get(invitation=invitation)
    assert queued.status == OutgoingEmail.Status.QUEUED and queued.recipient is None
    assert "/invitations/" not in queued.body  # no working link is stored
    assert invitation.token_hash == ""
    assert DBTaskResult.objects.count() == 1

    run_worker()
    assert [message.to for message in mailoutbox] == [["new.person@example.org"]]
    message = mailoutbox[0]
    token = re.search(r"https://maca\.example\.org/invitations/(\S+)/", message.body).group(1)
    invitation.refresh_from_db()
    assert invitation.token_hash and token not in invitation.token_hash  # only its digest
    assert message.extra_headers["X-MACA-Idempotency-Key"] == queued.key
    assert message.extra_headers["Message-ID"] == f"<{queued.key}@maca.example.org>"
    queued.refresh_from_db()
    assert queued.status == OutgoingEmail.Status.SENT and queued.sent_at
    assert queued.body == "" and queued.subject == ""  # only the fact that it went is kept

    # The task run again (a worker stopped after sending, say) sends nothing more.
    emails.queued_email_send(email_id=queued.pk)
    assert len(mailoutbox) == 1


def test_a_key_queued_twice_is_sent_once(
    audit, chair, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            emails.email_queue(key="k:1", recipient=chair, subject="S", body="B", audit=audit)
    assert len(mailoutbox) == 1 and OutgoingEmail.objects.count() == 1


def test_a_subject_naming_a_long_theme_and_partnership_is_queued_shortened(audit, chair):
    """A theme and a partnership name of 200 characters each, with the words of a reminder's
    subject, run past its column: PostgreSQL would refuse the row, and the chair's press of
    "Send reminders" would fail. The subject is cut, with an ellipsis, and the email queued."""
    from cases.services.reminders import audit_subject

    audit.theme.name, audit.partnership.name = "T" * 200, "P" * 200
    subject = audit_subject(audit, f"Reminder: audit submissions for {audit.theme.name} are due")
    queued = emails.email_queue(key="k:2", recipient=chair, subject=subject, body="B", audit=audit)
    most = OutgoingEmail._meta.get_field("subject").max_length
    assert len(subject) > most
    assert len(queued.subject) == most and queued.subject.endswith("P\u2026")
    assert OutgoingEmail.objects.get(pk=queued.pk).subject == queued.subject


def test_an_invitation_accepted_or_expired_before_the_worker_runs_is_not_sent(
    client, audit, chair, settings, mailoutbox, run_worker, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    invitation = invite(client, audit, chair, django_capture_on_commit_callbacks)
    invitation.expires = timezone.now()
    invitation.save()
    run_worker()
    assert mailoutbox == []
    assert OutgoingEmail.objects.get(invitation=invitation).status == OutgoingEmail.Status.WITHHELD


def test_a_viewer_invited_before_the_briefing_is_published_is_emailed(
    client, audit, chair, mailoutbox, django_capture_on_commit_callbacks
):
    invite(client, audit, chair, django_capture_on_commit_callbacks, role=Role.VIEWER)
    assert [message.to for message in mailoutbox] == [["new.person@example.org"]]


def test_a_queued_email_goes_only_to_someone_who_may_see_what_it_describes(audit, mailoutbox):
    """Asked as it is sent, with the email's permission: a viewer holds a role in the audit,
    but may not see its progress before anything is published."""
    from .conftest import member

    viewer = member(audit, Role.VIEWER)
    qa = member(audit, Role.QA_MEMBER)
    for person in (viewer, qa):
        email = emails.email_queue(
            key=f"k:p:{person.pk}",
            recipient=person,
            subject="S",
            body="B",
            audit=audit,
            permission="view_progress",
        )
        emails.queued_email_send(email_id=email.pk)
    assert [message.to for message in mailoutbox] == [[qa.email]]
    Membership.objects.filter(user=qa).delete()
    email = emails.email_queue(key="k:p:again", recipient=qa, subject="S", body="B", audit=audit)
    assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.WITHHELD


def test_a_coordinator_whose_agency_left_the_audit_is_not_emailed(audit, mailoutbox):
    from .conftest import member
    from .factories import AgencyFactory

    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    coordinator = member(audit, Role.COORDINATOR, agency=police)
    email = emails.email_queue(key="k:6", recipient=coordinator, subject="S", body="B", audit=audit)
    audit.agencies.remove(police)
    assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.WITHHELD
    assert mailoutbox == []


def test_a_deactivated_account_is_not_emailed(audit, chair, mailoutbox):
    email = emails.email_queue(key="k:2", recipient=chair, subject="S", body="B", audit=audit)
    User.objects.filter(pk=chair.pk).update(is_active=False)
    assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.WITHHELD
    assert mailoutbox == []


def test_a_failure_is_logged_and_retried_not_lost(audit, chair, settings, mailoutbox, caplog):
    settings.EMAIL_BACKEND = "tests.test_emails.BrokenEmailBackend"
    email = emails.email_queue(key="k:3", recipient=chair, subject="S", body="B", audit=audit)
    assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.QUEUED
    assert "Could not send email k:3" in caplog.text
    email.refresh_from_db()
    assert email.attempts == 1 and email.last_error == "ConnectionRefusedError"
    assert email.body == "B"  # kept until it is sent

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    out = io.StringIO()
    call_command("retry_emails", "--older-than", "0", stdout=out)
    assert "Queued 1 waiting emails again" in out.getvalue()
    assert [message.to for message in mail.outbox] == [[chair.email]]
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT


def test_a_mail_server_that_stops_answering_fails_the_send_in_time(audit, chair, settings):
    # As shipped, a send gives up well before a save waiting on SQLite's lock would (20 s).
    assert 0 < settings.EMAIL_TIMEOUT < 20
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, then never says a word
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
    settings.EMAIL_TIMEOUT = 0.5
    email = emails.email_queue(key="k:6", recipient=chair, subject="S", body="B", audit=audit)
    try:
        assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.QUEUED
    finally:
        silent.close()
    email.refresh_from_db()
    assert email.attempts == 1 and email.last_error  # to be tried again later


def test_an_email_failing_every_time_is_given_up_and_says_so(audit, chair, settings, caplog):
    settings.EMAIL_BACKEND = "tests.test_emails.BrokenEmailBackend"
    email = emails.email_queue(key="k:4", recipient=chair, subject="S", body="B", audit=audit)
    for _ in range(emails.MAX_ATTEMPTS):
        emails.queued_email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED and email.attempts == emails.MAX_ATTEMPTS


def test_a_failure_with_the_database_queue_is_queued_again_for_later(
    audit, chair, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    settings.EMAIL_BACKEND = "tests.test_emails.BrokenEmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        email = emails.email_queue(key="k:5", recipient=chair, subject="S", body="B", audit=audit)
    with django_capture_on_commit_callbacks(execute=True):
        emails.queued_email_send(email_id=email.pk)
    later = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert DBTaskResult.objects.count() == 2 and later.run_after is not None


def test_an_invitation_goes_when_the_partnership_s_name_holds_a_line_break(
    client, audit, chair, mailoutbox, django_capture_on_commit_callbacks
):
    Partnership.objects.filter(pk=audit.partnership_id).update(name="Northshire\r\nPartnership")
    invite(client, audit, chair, django_capture_on_commit_callbacks)
    assert [message.subject for message in mailoutbox] == [
        "You are invited to join Northshire Partnership in MACA"
    ]


def test_a_stage_email_goes_when_the_theme_s_name_holds_a_line_break(audit, mailoutbox):
    from .conftest import member

    Theme.objects.filter(pk=audit.theme_id).update(name="Neglect\nBcc: someone@example.org")
    member(audit, Role.QA_MEMBER, email="qa@example.org")
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.NOMINATING)
    stage_emails_send(audit_id=audit.pk)
    assert [(message.subject, message.to, message.bcc) for message in mailoutbox] == [
        (
            f"Nominations are open: Neglect Bcc: someone@example.org — {audit.partnership.name}",
            ["qa@example.org"],
            [],
        )
    ]


class RefusingEmailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        address = messages[0].to[0]
        raise smtplib.SMTPRecipientsRefused(
            {address: (550, f"5.1.1 <{address}>: unknown".encode())}
        )


def test_a_refused_address_is_logged_as_a_code_not_by_its_address(audit, chair, settings, caplog):
    settings.EMAIL_BACKEND = "tests.test_emails.RefusingEmailBackend"
    email = emails.email_queue(key="k:9", recipient=chair, subject="S", body="B", audit=audit)
    assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.QUEUED
    assert "Could not send email k:9 (attempt 1): SMTPRecipientsRefused: 1 refused (550)" in (
        caplog.text
    )
    assert chair.email not in caplog.text and chair.email.split("@")[0] not in caplog.text


class BrokenEmailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


class RecordingEmailBackend(locmem.EmailBackend):
    """Notes how many transactions were open on the database when each message went."""

    depths: list[int] = []

    def send_messages(self, messages):
        RecordingEmailBackend.depths.append(len(connection.atomic_blocks))
        return super().send_messages(messages)


def test_an_email_is_sent_outside_any_transaction_so_a_slow_server_blocks_no_page(
    audit, chair, settings, mailoutbox
):
    """A mail server answering slowly would otherwise hold the database's write lock (SQLite) or
    the email's row (PostgreSQL) while pages wait."""
    settings.EMAIL_BACKEND = "tests.test_emails.RecordingEmailBackend"
    RecordingEmailBackend.depths = []
    email = emails.email_queue(key="k:7", recipient=chair, subject="S", body="B", audit=audit)
    outside = len(connection.atomic_blocks)  # the test's own transaction
    assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.SENT
    assert RecordingEmailBackend.depths == [outside]
    email.refresh_from_db()
    assert (email.status, email.attempts, email.sending_until) == ("sent", 1, None)


def test_an_email_another_worker_is_sending_is_left_to_it_until_its_claim_runs_out(
    audit, chair, mailoutbox
):
    email = emails.email_queue(key="k:8", recipient=chair, subject="S", body="B", audit=audit)
    sending = timezone.now() + datetime.timedelta(minutes=1)
    OutgoingEmail.objects.filter(pk=email.pk).update(sending_until=sending, attempts=1)
    assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.QUEUED
    assert mailoutbox == []

    # That worker stopped mid-send: once its claim has run out, the retry sends the email.
    stopped = timezone.now() - datetime.timedelta(seconds=1)
    OutgoingEmail.objects.filter(pk=email.pk).update(sending_until=stopped)
    assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.SENT
    assert [message.to for message in mailoutbox] == [[chair.email]]
    email.refresh_from_db()
    assert email.attempts == 2 and email.sending_until is None


class DeletingEmailBackend(locmem.EmailBackend):
    """The recipient's account is deleted, with its emails, while the message is on its way."""

    def send_messages(self, messages):
        OutgoingEmail.objects.all().delete()
        return super().send_messages(messages)


def test_an_email_deleted_while_it_was_being_sent_ends_quietly(audit, chair, settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.test_emails.DeletingEmailBackend"
    email = emails.email_queue(key="k:9", recipient=chair, subject="S", body="B", audit=audit)
    assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.SENT
    assert not OutgoingEmail.objects.exists()


def test_a_reminder_naming_an_agency_its_recipient_no_longer_speaks_for_is_not_sent(
    audit, chair, mailoutbox
):
    """The chair's reminder names what each of the co-ordinator's agencies still owes, case by
    case: it goes only while they still speak for every agency it names."""
    from cases.services.reminders import progress_reminders_send

    from .conftest import member
    from .factories import AgencyFactory, CaseFactory, MembershipFactory

    audit.status = Audit.Status.SUBMISSIONS
    audit.save()
    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    CaseFactory(audit=audit, label="Case 1")
    both = member(audit, Role.COORDINATOR, agency=housing, email="both@example.org")
    MembershipFactory(
        user=both, partnership=audit.partnership, role=Role.COORDINATOR, agency=police
    )
    assert progress_reminders_send(audit=audit, user=chair) == 1
    email = OutgoingEmail.objects.get(recipient=both)
    assert "Police" in email.body and "Housing" in email.body

    Membership.objects.filter(user=both, agency=police).delete()
    assert emails.queued_email_send(email_id=email.pk) == OutgoingEmail.Status.WITHHELD
    assert mailoutbox == []


def test_an_invitation_whose_inviter_lost_the_role_before_the_worker_runs_is_not_sent(
    client, audit, chair, settings, mailoutbox, run_worker, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    invitation = invite(client, audit, chair, django_capture_on_commit_callbacks)
    Membership.objects.filter(user=chair, partnership=audit.partnership).delete()
    run_worker()
    assert mailoutbox == []
    assert OutgoingEmail.objects.get(invitation=invitation).status == OutgoingEmail.Status.WITHHELD
