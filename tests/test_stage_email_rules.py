"""The stage emails on their own: at each stage, who is written to, about what, and with which
permission the sender asks the access gate for just before sending; what the daily run catches
up on; and that a queue that does not answer loses nothing."""

from __future__ import annotations

import datetime
import io
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cases.models import Audit
from cases.services import stage_emails
from cases.services.stage_emails import (
    send_stage_emails,
    stage_emails_of,
    stage_emails_send,
)
from findings.models import BriefingVersion
from maca.models import Membership

from .conftest import member
from .factories import AgencyFactory, AuditFactory, PartnershipFactory
from .test_stage_emails import people  # noqa: F401 -- the fixture

pytestmark = pytest.mark.django_db


def emails(audit) -> list[tuple]:
    return sorted(
        (r.key, r.user.email, r.subject, r.permission, r.audit_id) for r in stage_emails_of(audit)
    )


def at(audit, **fields) -> Audit:
    Audit.objects.filter(pk=audit.pk).update(**fields)
    return Audit.objects.select_related("theme").get(pk=audit.pk)


def version(audit, number, published_at=None):
    return BriefingVersion.objects.create(
        audit=audit, number=number, published_at=published_at or timezone.now()
    )


def test_nominations_open_write_to_qa_members_who_may_nominate(audit, people):  # noqa: F811
    member(audit, Membership.Role.QA_MEMBER, email="")  # no address: no email
    elsewhere = AuditFactory(partnership=PartnershipFactory(name="Elsewhere"))
    member(elsewhere, Membership.Role.QA_MEMBER, email="qa@elsewhere.org")
    key = f"stage:{audit.pk}:nominating"
    audit = at(audit, status=Audit.Status.NOMINATING)
    assert emails(audit) == [
        (
            key,
            "qa@example.org",
            f"Nominations are open: Neglect and housing — {audit.partnership.name}",
            "nominate",
            audit.pk,
        )
    ]
    body = next(stage_emails_of(audit)).body
    # The partnership is named: someone in two partnerships knows whose audit it is.
    assert (
        f"Nominations are open for {audit.partnership.name}'s multi-agency case audit "
        '"Neglect and housing". Please put forward cases' in body
    )
    assert f"https://maca.example.org/audits/{audit.pk}/nominations/new/" in body
    assert emails(at(audit, status=Audit.Status.DRAFT)) == []


def test_submissions_open_write_to_each_coordinator_of_the_agencies_taking_part(audit, people):  # noqa: F811
    # A QA member recorded with an agency taking part is no co-ordinator of it.
    member(audit, Membership.Role.QA_MEMBER, agency=people["housing"].memberships.get().agency)
    audit = at(audit, status=Audit.Status.SUBMISSIONS)
    key = f"stage:{audit.pk}:submissions"
    subject = f"Submissions are open: Neglect and housing — {audit.partnership.name}"
    assert emails(audit) == [
        (key, "housing@example.org", subject, "view_audit", audit.pk),
        (key, "police@example.org", subject, "view_audit", audit.pk),
    ]
    body = {r.user.email: r.body for r in stage_emails_of(audit)}["police@example.org"]
    assert "Police: Case 2" in body and "due by 1 March 2099" in body
    assert f"https://maca.example.org/audits/{audit.pk}/" in body


def test_the_pack_released_writes_to_qa_members_and_coordinators_until_closed(audit, people):  # noqa: F811
    audit = at(audit, status=Audit.Status.MEETING, pack_released_at=timezone.now())
    key = f"stage:{audit.pk}:pack"
    subject = f"The meeting pack is released: Neglect and housing — {audit.partnership.name}"
    assert emails(audit) == [
        (key, address, subject, "view_meeting_pack", audit.pk)
        for address in ("housing@example.org", "police@example.org", "qa@example.org")
    ]
    body = next(stage_emails_of(audit)).body
    assert f"https://maca.example.org/audits/{audit.pk}/pack/" in body
    assert (
        f"The chair has released the meeting pack for {audit.partnership.name}'s multi-agency "
        'case audit "Neg' in body
    )
    assert emails(at(audit, status=Audit.Status.CLOSED)) == []


def test_each_briefing_version_writes_to_everyone_on_the_audit(audit, people):  # noqa: F811
    version(audit, 1)
    version(audit, 2)
    audit = at(audit, status=Audit.Status.CLOSED)
    key = f"stage:{audit.pk}:published:2"
    subject = f"Briefing published: Neglect and housing (version 2) — {audit.partnership.name}"
    assert emails(audit) == [
        (key, address, subject, "view_briefing", audit.pk)
        for address in (
            "chair@example.org",
            "housing@example.org",
            "police@example.org",
            "qa@example.org",
            "viewer@example.org",
        )
    ]
    body = next(stage_emails_of(audit)).body
    assert "Version 2 of the briefing" in body
    assert f"/audits/{audit.pk}/briefing/versions/2/" in body


def test_the_daily_run_sends_what_was_missed_in_the_last_week(audit, people):  # noqa: F811
    week_ago = timezone.now() - datetime.timedelta(days=stage_emails.CATCH_UP_DAYS, hours=1)
    at(audit, status=Audit.Status.MEETING, pack_released_at=week_ago)
    version(audit, 1, published_at=week_ago)
    call_command("send_reminders", stdout=io.StringIO())
    assert mail.outbox == []  # older than a week: not caught up

    at(audit, pack_released_at=timezone.now() - datetime.timedelta(days=6))
    call_command("send_reminders", stdout=io.StringIO())
    assert {m.subject for m in mail.outbox} == {
        f"The meeting pack is released: Neglect and housing — {audit.partnership.name}",
        f"Briefing published: Neglect and housing (version 1) — {audit.partnership.name}",
    }
    mail.outbox.clear()
    at(audit, status=Audit.Status.NOMINATING, pack_released_at=None)
    call_command("send_reminders", stdout=io.StringIO())
    assert [m.subject for m in mail.outbox] == [
        f"Nominations are open: Neglect and housing — {audit.partnership.name}"
    ]


def test_a_briefing_published_this_week_is_caught_up_on(audit, people):  # noqa: F811
    version(audit, 1, published_at=timezone.now() - datetime.timedelta(days=6))
    at(audit, status=Audit.Status.CLOSED)
    call_command("send_reminders", stdout=io.StringIO())
    assert len(mail.outbox) == 5


def test_the_worker_sends_an_audits_stage_emails_once_and_skips_a_deleted_audit(audit, people):  # noqa: F811
    at(audit, status=Audit.Status.NOMINATING)
    stage_emails_send(audit_id=audit.pk)
    stage_emails_send(audit_id=audit.pk)
    assert [m.to for m in mail.outbox] == [["qa@example.org"]]
    stage_emails_send(audit_id=0)
    assert len(mail.outbox) == 1


def test_the_worker_sends_only_the_emails_of_the_audit_it_was_given(audit, people):  # noqa: F811
    other = AuditFactory(partnership=audit.partnership, status=Audit.Status.NOMINATING)
    at(audit, status=Audit.Status.NOMINATING)
    stage_emails_send(audit_id=audit.pk)
    assert [m.subject for m in mail.outbox] == [
        f"Nominations are open: Neglect and housing — {audit.partnership.name}"
    ]
    assert f"/audits/{other.pk}/" not in mail.outbox[0].body


def test_submissions_without_a_deadline_name_none(audit, people):  # noqa: F811
    audit = at(audit, status=Audit.Status.SUBMISSIONS, submission_deadline=None)
    body = next(stage_emails_of(audit)).body
    assert (
        f"Submissions are open for {audit.partnership.name}'s multi-agency case audit "
        '"Neglect and housing". ' in body
    )
    assert "due by" not in body


def test_a_queue_that_does_not_answer_is_logged_and_changes_nothing(
    audit,
    monkeypatch,
    caplog,
    django_capture_on_commit_callbacks,
):
    from cases import tasks

    def refuse(audit_id):
        raise ConnectionError("no queue")

    monkeypatch.setattr(tasks, "send_stage_emails_of_audit", SimpleNamespace(enqueue=refuse))
    with django_capture_on_commit_callbacks(execute=True):
        send_stage_emails(audit)
    assert [r.getMessage() for r in caplog.records] == [
        f"Could not queue the stage emails of audit {audit.pk}"
    ]


def test_a_coordinator_of_several_agencies_gets_one_email_listing_them_by_name(audit, people):  # noqa: F811
    zeta, alpha = AgencyFactory(name="Zeta service"), AgencyFactory(name="Alpha service")
    audit.agencies.add(zeta, alpha)
    both = member(audit, Membership.Role.COORDINATOR, agency=zeta, email="both@example.org")
    Membership.objects.create(
        user=both, partnership=audit.partnership, role=Membership.Role.COORDINATOR, agency=alpha
    )
    audit = at(audit, status=Audit.Status.SUBMISSIONS)
    [body] = [r.body for r in stage_emails_of(audit) if r.user == both]
    assert body.index("Alpha service: Case 2") < body.index("Zeta service: Case 2")
