"""An email at each stage: nominations open, submissions open, pack released, briefing
published; each once per person, only to people the access gate lets see the audit."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from cases.models import Audit
from cases.services import stages
from cases.services.tool import pack_release
from findings.publishing import briefing_publish
from maca.models import Membership, SentReminder

from .conftest import member
from .factories import AgencyFactory, CaseFactory, StrengthFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def people(audit, settings):
    settings.SITE_URL = "https://maca.example.org"
    housing, police, school = (AgencyFactory(name=n) for n in ("Housing", "Police", "School"))
    audit.agencies.add(housing, police)
    audit.submission_deadline = datetime.date(2099, 3, 1)
    audit.save()
    first = CaseFactory(audit=audit, label="Case 1")
    first.agencies.add(housing)
    CaseFactory(audit=audit, label="Case 2")  # no agencies recorded: every agency is asked
    return {
        "chair": member(audit, Role.CHAIR, email="chair@example.org"),
        "qa": member(audit, Role.QA_MEMBER, email="qa@example.org"),
        "housing": member(audit, Role.COORDINATOR, agency=housing, email="housing@example.org"),
        "police": member(audit, Role.COORDINATOR, agency=police, email="police@example.org"),
        # A co-ordinator of an agency not taking part may not see the audit: never emailed.
        "school": member(audit, Role.COORDINATOR, agency=school, email="school@example.org"),
        "viewer": member(audit, Role.VIEWER, email="viewer@example.org"),
    }


def sent_to(subject_start):
    return sorted(
        address
        for message in mail.outbox
        if message.subject.startswith(subject_start)
        for address in message.to
    )


def move(audit, user, to, capture):
    with capture(execute=True):
        stages.record_move(audit=audit, user=user, to=to)


def test_each_stage_emails_the_people_concerned_once(
    audit, people, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    move(audit, people["chair"], Audit.Status.NOMINATING, capture)
    assert sent_to("Nominations are open") == ["qa@example.org"]
    assert reverse("nomination_create", args=[audit.pk]) in mail.outbox[0].body

    move(audit, people["chair"], Audit.Status.SUBMISSIONS, capture)
    assert sent_to("Submissions are open") == ["housing@example.org", "police@example.org"]
    by_address = {m.to[0]: m.body for m in mail.outbox if m.subject.startswith("Submissions")}
    assert "Housing: Case 1, Case 2" in by_address["housing@example.org"]
    assert "Police: Case 2" in by_address["police@example.org"]
    assert "due by 1 March 2099" in by_address["police@example.org"]

    with capture(execute=True):
        pack_release(audit=audit, user=people["chair"])
    assert sent_to("The meeting pack is released") == [
        "housing@example.org",
        "police@example.org",
        "qa@example.org",
    ]

    StrengthFactory(case=audit.cases.first(), text="Quick referral.")
    with capture(execute=True):
        briefing_publish(audit=audit, user=people["chair"])
    assert sent_to("Briefing published") == [
        "chair@example.org",
        "housing@example.org",
        "police@example.org",
        "qa@example.org",
        "viewer@example.org",
    ]
    assert all("school@example.org" not in m.to for m in mail.outbox)

    # The daily run sends none of them again, and what was sent is recorded per person.
    count = len(mail.outbox)
    call_command("send_reminders", stdout=io.StringIO())
    assert len(mail.outbox) == count
    assert SentReminder.objects.filter(key=f"stage:{audit.pk}:published:1").count() == 5


def test_someone_who_may_no_longer_see_the_audit_is_not_emailed(
    audit, people, django_capture_on_commit_callbacks
):
    from cases.access import recipients_who_may_see

    Membership.objects.filter(user=people["police"]).delete()
    people["qa"].is_active = False
    people["qa"].save()
    assert recipients_who_may_see(audit, list(people.values())) == [
        people["chair"],
        people["housing"],
    ]
    move(audit, people["chair"], Audit.Status.SUBMISSIONS, django_capture_on_commit_callbacks)
    assert sent_to("Submissions are open") == ["housing@example.org"]

    # The sender asks the gate as it sends, whoever the source named.
    from cases.services.reminders import Reminder, due_reminders_send

    def source(today):
        for user in (people["school"], people["housing"]):
            yield Reminder(
                key="stage:test",
                user=user,
                subject="Test",
                body="",
                audit_id=audit.pk,
                permission="view_audit",
            )

    result = due_reminders_send(today=datetime.date.today(), sources=[source])
    assert (result.sent, result.not_allowed) == (1, 1)
    assert sent_to("Test") == ["housing@example.org"]


def test_with_the_database_queue_the_worker_sends_the_stage_emails(
    audit, people, settings, run_worker, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    move(audit, people["chair"], Audit.Status.NOMINATING, django_capture_on_commit_callbacks)
    assert mail.outbox == []  # queued, not sent in the request
    run_worker()
    assert sent_to("Nominations are open") == ["qa@example.org"]
