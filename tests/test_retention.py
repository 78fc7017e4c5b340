import datetime
import html
import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    Audit,
    AuditEvent,
    ChronologyEntry,
    ChronologyFile,
    LocalReference,
    Nomination,
    NominationIdentity,
    PurgeRecord,
)
from cases.services.retention import identifiers_purge, retention_enforce
from documents.models import KEEP_FOR, RequestedDocument
from findings.models import BriefingVersion, CaseMeetingNote
from findings.publishing import briefing_publish
from maca.concurrency import version_of
from maca.models import Membership

from .conftest import member
from .factories import (
    ActionFactory,
    AgencyFactory,
    AuditFactory,
    CaseFactory,
    ChronologyEntryFactory,
    NominationFactory,
    StrengthFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.storage]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def closed_audit(audit, chair):
    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    nomination = NominationFactory(audit=audit, label="Case 1")
    identity = NominationIdentity.objects.create(nomination=nomination, child_name="Robin Invented")
    LocalReference.objects.create(identity=identity, agency=housing, reference="REF-1")
    case = CaseFactory(audit=audit, label="Case 1")
    nomination.case = case
    nomination.save()
    StrengthFactory(case=case, text="Kept in the briefing.")
    ChronologyEntryFactory(case=case, agency=housing)
    upload = ChronologyFile(
        case=case, agency=housing, original_name="c.csv", kind="csv", size=3, sha256="a" * 64
    )
    upload.file.save("c.csv", ContentFile(b"a,b"), save=False)
    upload.save()
    ActionFactory(audit=audit, owner_agency=housing)
    briefing_publish(audit=audit, user=chair)
    audit.move_to(Audit.Status.CLOSED)
    audit.save()
    return audit


def test_purging_identifiers_keeps_the_briefing_and_plan(
    closed_audit, chair, django_capture_on_commit_callbacks
):
    stored = ChronologyFile.objects.get().file
    storage, name = stored.storage, stored.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        record = identifiers_purge(audit=closed_audit, user=chair, include_files=True)
    assert not NominationIdentity.objects.exists() and not LocalReference.objects.exists()
    assert not ChronologyFile.objects.exists() and not ChronologyFile.history.exists()
    assert not storage.exists(name)
    assert record.detail == {
        "identifying details": 1,
        "chronology documents": 1,
        "requested documents": 0,
    }
    assert record.purged_by == chair
    assert BriefingVersion.objects.filter(audit=closed_audit).exists()
    assert closed_audit.actions.exists() and closed_audit.cases.get().strengths.exists()
    assert ChronologyEntry.objects.exists()  # rows stay until retention ends


def test_only_a_closed_audit_is_purged(audit, chair):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        identifiers_purge(audit=audit, user=chair)


def test_the_chair_purges_from_the_page_after_confirming(client, closed_audit, chair):
    client.force_login(chair)
    url = reverse("retention_purge", args=[closed_audit.pk])
    unconfirmed = client.post(url, {})
    assert unconfirmed.status_code == 422
    assert "Tick to confirm" in unconfirmed.content.decode()
    assert NominationIdentity.objects.exists()
    client.post(url, {"confirm": "on"})
    assert not NominationIdentity.objects.exists()
    assert ChronologyFile.objects.exists()
    page = client.get(reverse("retention", args=[closed_audit.pk])).content.decode()
    assert "identifying details: 1," in page  # never "1 identifying details"


def test_only_the_chair_reaches_retention(client, closed_audit):
    client.force_login(member(closed_audit, Membership.Role.QA_MEMBER))
    assert client.get(reverse("retention", args=[closed_audit.pk])).status_code == 403


def test_a_purge_that_fails_keeps_the_documents_its_records_name(
    closed_audit, chair, django_capture_on_commit_callbacks
):
    stored = ChronologyFile.objects.get().file
    storage, name = stored.storage, stored.name
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        identifiers_purge(audit=closed_audit, user=chair, include_files=True)
        raise RuntimeError("the database went away before the purge was saved")
    assert ChronologyFile.objects.get().file.name == name
    assert storage.exists(name)


def age(audit, years):
    Audit.objects.filter(pk=audit.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=365 * years + 2)
    )


def test_retention_deletes_case_level_data_after_six_years(closed_audit):
    today = timezone.localdate()
    assert retention_enforce(today=today).deleted == []
    age(closed_audit, 6)
    out = io.StringIO()
    call_command("enforce_retention", "--dry-run", stdout=out)
    assert "Would delete" in out.getvalue()
    assert Nomination.objects.exists()  # dry run deletes nothing
    call_command("enforce_retention", stdout=io.StringIO())
    assert not Nomination.objects.exists() and not Nomination.history.exists()
    assert not NominationIdentity.objects.exists()
    assert not ChronologyEntry.objects.exists() and not ChronologyEntry.history.exists()
    assert not ChronologyFile.objects.exists()
    assert BriefingVersion.objects.filter(audit=closed_audit).exists()
    assert closed_audit.actions.exists()
    assert PurgeRecord.objects.get(kind="retention").purged_by is None


def test_legal_hold_stops_retention(client, closed_audit, chair):
    age(closed_audit, 7)
    client.force_login(chair)
    url = reverse("legal_hold", args=[closed_audit.pk])
    assert client.post(url, {"reason": ""}).status_code == 422
    client.post(url, {"reason": "Needed by a safeguarding practice review."})
    out = io.StringIO()
    call_command("enforce_retention", stdout=out)
    assert "Kept (legal hold)" in out.getvalue()
    assert Nomination.objects.exists()
    client.post(url, {"lift": "1"})
    call_command("enforce_retention", stdout=io.StringIO())
    assert not Nomination.objects.exists()


def test_closing_an_audit_stamps_the_time_retention_counts_from(audit):
    audit.move_to(Audit.Status.CLOSED)
    assert audit.closed_at is not None
    audit.move_to(Audit.Status.REPORTING)
    assert audit.closed_at is None


def test_a_legal_hold_also_stops_purging_identifiers(client, closed_audit, chair):
    client.force_login(chair)
    client.post(reverse("legal_hold", args=[closed_audit.pk]), {"reason": "Court order."})
    answer = client.post(
        reverse("retention_purge", args=[closed_audit.pk]), {"confirm": "on"}, follow=True
    )
    assert "under a legal hold" in answer.content.decode()
    assert NominationIdentity.objects.exists()
    assert not PurgeRecord.objects.exists()


def test_retention_deletes_meeting_notes_and_reopen_reasons_left_alone_by_the_rest(audit, chair):
    """An audit whose only case-level data left is the meeting's notes and the reasons given for
    reopening submissions still has them deleted."""
    case = CaseFactory(audit=audit, label="Case 1")
    CaseMeetingNote.objects.create(case=case, text="Discussed the family's move in March.")
    AuditEvent.objects.create(
        audit=audit,
        kind=AuditEvent.Kind.REOPEN,
        actor=chair,
        detail={"case": "Case 1", "agency": "Housing", "reason": "Wrong tenancy dates."},
    )
    audit.move_to(Audit.Status.CLOSED)
    audit.save()
    age(audit, 6)
    report = retention_enforce(today=timezone.localdate())
    assert report.deleted == [
        f"{audit.theme.name} — {audit.title} ({audit.partnership.name}): "
        "meeting notes: 1, reasons for reopening: 1"
    ]
    assert not CaseMeetingNote.objects.exists() and not CaseMeetingNote.history.exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.REOPEN)
    assert event.detail == {"case": "Case 1", "agency": "Housing"}
    assert retention_enforce(today=timezone.localdate()).deleted == []  # nothing left to do


def test_a_legal_hold_keeps_a_childs_details_from_being_cleared(client, closed_audit, chair):
    client.force_login(chair)
    client.post(reverse("legal_hold", args=[closed_audit.pk]), {"reason": "Court order."})
    nomination = Nomination.objects.get()
    identity = NominationIdentity.objects.get()
    answer = client.post(
        reverse("nomination_identifiers", args=[closed_audit.pk, nomination.pk]),
        {"child_name": "", "date_of_birth": "", "loaded_version": version_of(identity)},
    )
    assert "under a legal hold" in answer.content.decode()
    assert NominationIdentity.objects.get().child_name == "Robin Invented"


def test_a_childs_details_cannot_be_entered_again_once_purged(client, closed_audit, chair):
    identifiers_purge(audit=closed_audit, user=chair)
    nomination = Nomination.objects.get()
    client.force_login(chair)
    answer = client.post(
        reverse("nomination_identifiers", args=[closed_audit.pk, nomination.pk]),
        {"child_name": "Robin Invented", "date_of_birth": ""},
    )
    assert "were deleted (its Keeping and deleting data page says when)" in html.unescape(
        answer.content.decode()
    )
    assert not NominationIdentity.objects.exists()
    # Clearing is still allowed: there is nothing to clear, and nothing is refused.
    cleared = client.post(
        reverse("nomination_identifiers", args=[closed_audit.pk, nomination.pk]),
        {"child_name": "", "date_of_birth": ""},
    )
    assert cleared.status_code == 302


def test_once_purged_a_childs_page_says_the_details_were_deleted_and_offers_no_form(
    client, closed_audit, chair
):
    """Not "No identifying details were recorded. You can add them below." over a form that
    would refuse every detail typed into it: they were recorded, and were deleted."""
    nomination = Nomination.objects.get()
    url = reverse("nomination_identifiers", args=[closed_audit.pk, nomination.pk])
    client.force_login(chair)
    assert "Save the identifying details" in client.get(url).content.decode()  # before: a form
    identifiers_purge(audit=closed_audit, user=chair)
    page = html.unescape(client.get(url).content.decode())
    deleted_on = f"{timezone.localdate():%-d %B %Y}"
    assert (
        f"The children's identifying details of this audit were deleted on {deleted_on}: none "
        "can be entered again." in page
    )
    assert "No identifying details were recorded" not in page
    assert "You can add them below" not in page
    assert "Save the identifying details" not in page
    assert reverse("retention", args=[closed_audit.pk]) in page


def test_details_entered_while_a_purge_runs_wait_for_it_and_are_refused(
    closed_audit, chair, monkeypatch
):
    """The purge holds the audit's row: details sent meanwhile are looked at once it is done,
    so that none are kept behind a purge record saying they were deleted."""
    from django.core.exceptions import ValidationError
    from django.db.models import QuerySet

    from cases.services.nominations import identity_save

    lock = QuerySet.select_for_update
    purged = []

    def locking(queryset, *args, **kwargs):
        if queryset.model is Audit and not purged:  # the purge got the audit's row first
            purged.append(True)
            identifiers_purge(audit=closed_audit, user=chair)
        return lock(queryset, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", locking)
    nomination = Nomination.objects.get()
    with pytest.raises(ValidationError, match="cannot be entered again"):
        identity_save(nomination=nomination, user=chair, identity={"child_name": "Robin Invented"})
    assert purged  # (the purge ran inside this test's refused save, and was undone with it)


def made_chronology(client, audit, chair) -> RequestedDocument:
    """The chair asks for a case's integrated chronology PDF; the worker makes it at once."""
    client.force_login(chair)
    case = audit.cases.get()
    client.get(reverse("integrated_chronology_pdf", args=[audit.pk, case.pk]))
    document = RequestedDocument.objects.get(audit=audit, case=case)
    assert document.status == RequestedDocument.Status.READY and document.content
    return document


def another_audits_case_pack() -> RequestedDocument:
    other = AuditFactory(title="Another audit")
    return RequestedDocument.objects.create(
        audit=other,
        kind=RequestedDocument.Kind.CASE_PACK,
        requested_by=member(other, Membership.Role.CHAIR),
        status=RequestedDocument.Status.READY,
        content=b"%PDF-1.7",
    )


def test_the_chairs_purge_deletes_the_pdfs_made_of_the_audit_and_no_others(
    client, closed_audit, chair
):
    made_chronology(client, closed_audit, chair)
    client.get(reverse("case_pack_pdf", args=[closed_audit.pk]))
    theirs = another_audits_case_pack()
    assert RequestedDocument.objects.filter(audit=closed_audit).count() == 2
    client.post(reverse("retention_purge", args=[closed_audit.pk]), {"confirm": "on"})
    assert list(RequestedDocument.objects.all()) == [theirs]
    page = client.get(reverse("retention", args=[closed_audit.pk])).content.decode()
    assert "identifying details: 1, requested documents: 2" in page


def test_the_retention_run_deletes_the_pdfs_made_of_the_audit_and_no_others(
    client, closed_audit, chair
):
    made_chronology(client, closed_audit, chair)
    theirs = another_audits_case_pack()
    age(closed_audit, 6)
    out = io.StringIO()
    call_command("enforce_retention", stdout=out)
    assert "requested documents: 1" in out.getvalue()
    assert list(RequestedDocument.objects.all()) == [theirs]
    assert PurgeRecord.objects.get(kind="retention").detail["requested documents"] == 1


def test_a_held_audits_pdfs_stay_through_the_retention_run(client, closed_audit, chair):
    document = made_chronology(client, closed_audit, chair)
    age(closed_audit, 7)
    client.post(reverse("legal_hold", args=[closed_audit.pk]), {"reason": "Court order."})
    call_command("enforce_retention", stdout=io.StringIO())
    assert list(RequestedDocument.objects.all()) == [document]
    too_old = timezone.now() - KEEP_FOR - datetime.timedelta(minutes=1)
    RequestedDocument.objects.update(requested_at=too_old)
    call_command("enforce_retention", stdout=io.StringIO())
    assert list(RequestedDocument.objects.all()) == [document]  # past its time, but held


def test_the_retention_run_deletes_a_pdf_past_its_keeping_time_though_no_one_asks_again(
    client, closed_audit, chair
):
    made_chronology(client, closed_audit, chair)  # the audit is not due for retention
    theirs = another_audits_case_pack()
    too_old = timezone.now() - KEEP_FOR - datetime.timedelta(minutes=1)
    RequestedDocument.objects.filter(audit=closed_audit).update(requested_at=too_old)
    out = io.StringIO()
    call_command("enforce_retention", stdout=out)
    assert "Deleted: requested documents past their keeping time: 1" in out.getvalue()
    assert list(RequestedDocument.objects.all()) == [theirs]
    assert Nomination.objects.exists()  # nothing else of the audit went


def case_pack_waiting(client, audit, chair, settings) -> RequestedDocument:
    """The chair's case pack, asked for and waiting for the worker (none runs)."""
    settings.TASKS = DATABASE_TASKS
    client.force_login(chair)
    client.get(reverse("case_pack_pdf", args=[audit.pk]))
    return RequestedDocument.objects.get()


def test_a_pdf_purged_while_it_waits_for_the_worker_is_not_made(
    client, closed_audit, chair, settings, run_worker
):
    from documents.services import document_make

    waiting = case_pack_waiting(client, closed_audit, chair, settings)
    assert waiting.status == RequestedDocument.Status.WAITING
    client.post(reverse("retention_purge", args=[closed_audit.pk]), {"confirm": "on"})
    document_make(document_id=waiting.pk)  # the worker comes to it: nothing to make
    run_worker()
    assert not RequestedDocument.objects.exists()


def test_a_pdf_purged_while_the_worker_makes_it_is_not_kept(
    client, closed_audit, chair, settings, monkeypatch
):
    from documents import kinds
    from documents.services import document_make

    waiting = case_pack_waiting(client, closed_audit, chair, settings)
    making = kinds.KINDS[RequestedDocument.Kind.CASE_PACK]

    def purged_meanwhile(document):
        made = making.make(document)
        identifiers_purge(audit=closed_audit, user=chair)
        return made

    monkeypatch.setitem(
        kinds.KINDS,
        RequestedDocument.Kind.CASE_PACK,
        kinds.DocumentKind(make=purged_meanwhile, allowed=making.allowed),
    )
    document_make(document_id=waiting.pk)
    assert not RequestedDocument.objects.exists()  # what was made is not written back
    assert PurgeRecord.objects.get().detail["requested documents"] == 1
