"""The retention rules, called directly: when the period ends (leap days included), what each
purge deletes and reports, and what a legal hold or an open audit keeps."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from cases.models import (
    AgencySubmission,
    Audit,
    AuditEvent,
    ChronologyEntry,
    ChronologyFile,
    Nomination,
    NominationIdentity,
    PurgeRecord,
    SelectionDraw,
    ToolAnswer,
)
from cases.services import retention
from documents.models import RequestedDocument
from findings.models import CaseMeetingNote
from maca.concurrency import version_of

from .factories import (
    AgencyFactory,
    AgencySubmissionFactory,
    AuditFactory,
    CaseFactory,
    ChronologyEntryFactory,
    NominationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.storage]

TODAY = datetime.date(2026, 11, 23)


def end_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def test_the_period_ends_at_the_end_of_the_same_day_years_before(settings):
    settings.MACA_RETENTION_YEARS = 6
    assert retention.retention_cutoff(TODAY) == end_of(datetime.date(2020, 11, 23))
    settings.MACA_RETENTION_YEARS = 4
    assert retention.retention_cutoff(datetime.date(2028, 2, 29)) == end_of(
        datetime.date(2024, 2, 29)
    )


def test_counted_from_a_29_february_the_period_ends_on_28_february(settings):
    settings.MACA_RETENTION_YEARS = 6
    assert retention.retention_cutoff(datetime.date(2028, 2, 29)) == end_of(
        datetime.date(2022, 2, 28)
    )


def full_audit(title="Neglect", closed=datetime.date(2019, 1, 1)) -> Audit:
    """A closed audit holding one of each kind of case-level data."""
    audit = AuditFactory(status=Audit.Status.CLOSED, title=title)
    housing = AgencyFactory(name=f"Housing {title}")
    case = CaseFactory(audit=audit, label="Case 1")
    nomination = NominationFactory(audit=audit, label="Case 1", case=case)
    NominationIdentity.objects.create(nomination=nomination, child_name="Robin Invented")
    ChronologyEntryFactory(case=case, agency=housing)
    upload = ChronologyFile(
        case=case, agency=housing, original_name="c.csv", kind="csv", size=3, sha256="a" * 64
    )
    upload.file.save("c.csv", ContentFile(b"a,b"), save=False)
    upload.save()
    AgencySubmissionFactory(case=case, agency=housing)
    CaseMeetingNote.objects.create(case=case, text="Discussed the move in March.")
    SelectionDraw.objects.create(audit=audit, seed="s" * 64).nominations.add(nomination)
    AuditEvent.objects.create(audit=audit, kind=AuditEvent.Kind.REOPEN, detail={"reason": "x"})
    AuditEvent.objects.create(audit=audit, kind=AuditEvent.Kind.REOPEN, detail={"case": "1"})
    made_chronology(audit, case)
    Audit.objects.filter(pk=audit.pk).update(closed_at=end_of(closed))
    return audit


def made_chronology(audit, case, **fields) -> RequestedDocument:
    """An integrated chronology PDF the background worker made of a case, waiting to be fetched."""
    return RequestedDocument.objects.create(
        audit=audit,
        case=case,
        kind=RequestedDocument.Kind.INTEGRATED_CHRONOLOGY,
        requested_by=UserFactory(),
        status=RequestedDocument.Status.READY,
        filename=f"{case.label} integrated chronology.pdf",
        content=b"%PDF-1.7 Robin Invented moved in March",
        **fields,
    )


def name_of(audit) -> str:
    return f"{audit.theme.name} — {audit.title} ({audit.partnership.name})"


EVERYTHING = (
    "nominations: 1, children's identifying details: 1, random draws: 1, chronology files: 1, "
    "chronology rows: 1, audit tools: 1, meeting notes: 1, reasons for reopening: 1, "
    "requested documents: 1"
)
COUNTS = {
    "nominations": 1,
    "children's identifying details": 1,
    "random draws": 1,
    "chronology files": 1,
    "chronology rows": 1,
    "audit tools": 1,
    "meeting notes": 1,
    "reasons for reopening": 1,
    "requested documents": 1,
}


def test_retention_names_and_counts_everything_it_deletes_and_nothing_of_other_audits():
    due = full_audit("Neglect")
    kept = full_audit("Exploitation", closed=TODAY)
    report = retention.retention_enforce(today=TODAY)
    assert report.deleted == [f"{name_of(due)}: {EVERYTHING}"]
    assert report.held == []
    record = PurgeRecord.objects.get()
    assert (record.kind, record.detail, record.audit_id_kept) == ("retention", COUNTS, due.pk)
    assert record.audit_name == name_of(due)
    assert retention._case_level_counts(kept) == COUNTS
    assert not Nomination.objects.filter(audit=due).exists()
    assert list(RequestedDocument.objects.values_list("audit", flat=True)) == [kept.pk]


def test_a_dry_run_lists_the_same_and_deletes_nothing():
    due = full_audit()
    report = retention.retention_enforce(today=TODAY, dry_run=True)
    assert report.deleted == [f"{name_of(due)}: {EVERYTHING}"]
    assert retention._case_level_counts(due) == COUNTS
    assert not PurgeRecord.objects.exists()


def test_an_audit_under_legal_hold_is_listed_with_the_reason_and_kept():
    held = full_audit()
    Audit.objects.filter(pk=held.pk).update(
        legal_hold_at=timezone.now(), legal_hold_reason="Needed by a practice review."
    )
    report = retention.retention_enforce(today=TODAY)
    assert report.held == [f"{name_of(held)}: Needed by a practice review."]
    assert report.deleted == []
    assert retention._case_level_counts(held) == COUNTS


def test_an_audit_held_after_it_was_listed_is_left_alone():
    audit = full_audit()
    listed = retention.audits_due_for_deletion(TODAY).get()
    Audit.objects.filter(pk=audit.pk).update(legal_hold_at=timezone.now())
    assert retention._delete_case_level_data(listed, COUNTS) is False
    assert retention._case_level_counts(audit) == COUNTS


@pytest.mark.parametrize("status", [s for s in Audit.Status.values if s != Audit.Status.CLOSED])
def test_an_audit_not_closed_is_never_due_however_old(status):
    audit = full_audit()
    Audit.objects.filter(pk=audit.pk).update(status=status)
    assert not retention.audits_due_for_deletion(TODAY).exists()
    assert retention.retention_enforce(today=TODAY).deleted == []


def test_only_the_reasons_for_reopening_count_not_the_reopening_itself():
    audit = full_audit()
    assert list(retention._reopen_reasons(audit).values_list("detail", flat=True)) == [
        {"reason": "x"}
    ]
    AuditEvent.objects.create(audit=audit, kind=AuditEvent.Kind.DRAW, detail={"reason": "y"})
    assert retention._reopen_reasons(audit).count() == 1


def test_the_description_leaves_out_what_there_is_none_of():
    assert retention._describe({"nominations": 2, "chronology files": 0, "audit tools": 1}) == (
        "nominations: 2, audit tools: 1"
    )
    assert retention._describe({"chronology rows": 12000}) == "chronology rows: 12,000"


def test_a_model_registered_for_retention_is_counted_with_the_case(monkeypatch):
    audit = full_audit()
    monkeypatch.setattr(retention, "_case_level_models", {})
    retention.register_case_level_model("notes again", CaseMeetingNote)
    assert retention._case_level_counts(audit)["notes again"] == 1


def held_audits(number):
    for _ in range(number):
        audit = full_audit()
        Audit.objects.filter(pk=audit.pk).update(legal_hold_at=timezone.now())


def test_the_audits_kept_by_a_hold_are_listed_in_a_constant_number_of_queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    held_audits(1)
    with CaptureQueriesContext(connection) as one:
        retention.retention_enforce(today=TODAY)
    held_audits(2)
    with CaptureQueriesContext(connection) as three:
        assert len(retention.retention_enforce(today=TODAY).held) == 3
    assert len(three.captured_queries) == len(one.captured_queries)


def test_a_purge_refuses_an_audit_that_is_open_or_held(django_user_model):
    chair = django_user_model.objects.create(username="chair")
    audit = full_audit()
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.MEETING)
    with pytest.raises(ValidationError) as raised:
        retention.identifiers_purge(audit=audit, user=chair)
    assert raised.value.messages == ["Only a closed audit can be purged: close it first."]
    Audit.objects.filter(pk=audit.pk).update(
        status=Audit.Status.CLOSED, legal_hold_at=timezone.now()
    )
    with pytest.raises(ValidationError) as raised:
        retention.identifiers_purge(audit=audit, user=chair)
    assert raised.value.messages == [
        "This audit is under a legal hold, so nothing of it may be deleted: lift the hold "
        "first if it is no longer needed."
    ]
    assert NominationIdentity.objects.exists() and not PurgeRecord.objects.exists()


def test_purging_files_deletes_them_their_history_and_only_this_audits(django_user_model):
    chair = django_user_model.objects.create(username="chair")
    audit, other = full_audit("Neglect"), full_audit("Exploitation")
    theirs = ChronologyFile.objects.get(case__audit=other)
    record = retention.identifiers_purge(audit=audit, user=chair, include_files=True)
    assert record.detail == {
        "identifying details": 1,
        "chronology documents": 1,
        "requested documents": 1,
    }
    assert list(ChronologyFile.objects.all()) == [theirs]
    assert list(RequestedDocument.objects.values_list("audit", flat=True)) == [other.pk]
    assert theirs.file.storage.exists(theirs.file.name)
    assert set(ChronologyFile.history.values_list("id", flat=True)) == {theirs.pk}
    assert AgencySubmission.objects.count() == 2 and ChronologyEntry.objects.count() == 2


def test_an_audit_with_nothing_left_to_delete_does_not_stop_the_next_one():
    due = full_audit()
    empty = AuditFactory(status=Audit.Status.CLOSED, title="Nothing left")  # listed first
    Audit.objects.filter(pk=empty.pk).update(closed_at=end_of(datetime.date(2018, 1, 1)))
    assert list(retention.audits_due_for_deletion(TODAY)) == [empty, due]
    assert retention.retention_enforce(today=TODAY).deleted == [f"{name_of(due)}: {EVERYTHING}"]


def test_a_hold_on_an_audit_not_yet_due_is_not_listed():
    audit = full_audit(closed=TODAY)
    Audit.objects.filter(pk=audit.pk).update(legal_hold_at=timezone.now())
    assert retention.retention_enforce(today=TODAY).held == []


def test_each_audit_due_costs_one_count_per_kind_of_data_and_no_more():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    full_audit()
    with CaptureQueriesContext(connection) as one:
        retention.retention_enforce(today=TODAY, dry_run=True)
    full_audit("Exploitation")
    with CaptureQueriesContext(connection) as two:
        assert len(retention.retention_enforce(today=TODAY, dry_run=True).deleted) == 2
    assert len(two.captured_queries) - len(one.captured_queries) == len(COUNTS)


def with_draw(audit) -> Audit:
    draw = SelectionDraw.objects.create(audit=audit, seed="invented-seed")
    draw.nominations.set(audit.nominations.all())
    AuditEvent.objects.create(audit=audit, kind=AuditEvent.Kind.DRAW, detail={"drawn": ["Case 1"]})
    return audit


def test_retention_deletes_every_row_and_history_of_the_due_audits_cases_and_keeps_the_others():
    due, kept = with_draw(full_audit("Neglect")), with_draw(full_audit("Exploitation", TODAY))
    retention.retention_enforce(today=TODAY)
    for model in (ChronologyEntry, ChronologyFile, AgencySubmission, CaseMeetingNote):
        assert not model.objects.filter(case__audit=due).exists(), model
        assert model.objects.filter(case__audit=kept).count() == 1, model
        assert not model.history.filter(case__audit=due).exists(), model
    assert not ToolAnswer.history.filter(submission__case__audit=due).exists()
    assert not Nomination.history.filter(audit_id=due.pk).exists()
    assert set(SelectionDraw.objects.values_list("audit", flat=True)) == {kept.pk}
    draws = AuditEvent.objects.filter(kind=AuditEvent.Kind.DRAW)
    assert draws.get(audit=due).detail == {}
    assert draws.get(audit=kept).detail == {"drawn": ["Case 1"]}
    reopened = AuditEvent.objects.filter(audit=due, kind=AuditEvent.Kind.REOPEN)
    assert sorted(map(str, reopened.values_list("detail", flat=True))) == ["{'case': '1'}", "{}"]
    assert due.cases.get().label == "Case 1"  # the case keeps its label


def test_an_audit_reopened_since_it_was_closed_is_not_listed_as_held():
    reopened = full_audit()
    Audit.objects.filter(pk=reopened.pk).update(
        status=Audit.Status.MEETING, legal_hold_at=timezone.now(), legal_hold_reason="Review"
    )
    assert retention.retention_enforce(today=TODAY).held == []


def test_a_purge_of_identifiers_alone_keeps_the_chronologies_and_says_what_it_did(
    django_user_model,
):
    chair = django_user_model.objects.create(username="chair")
    audit = full_audit()
    record = retention.identifiers_purge(audit=audit, user=chair)
    assert not NominationIdentity.objects.exists()
    assert ChronologyFile.objects.filter(case__audit=audit).count() == 1
    assert (record.kind, record.detail) == (
        "identifiers",
        {"identifying details": 1, "requested documents": 1},
    )
    assert not RequestedDocument.objects.filter(audit=audit).exists()
    assert (record.audit_id_kept, record.audit_name, record.purged_by) == (
        audit.pk,
        name_of(audit),
        chair,
    )


def test_a_hold_is_set_and_lifted_with_who_why_and_when_and_nothing_else_of_the_audit(
    django_user_model,
):
    chair = django_user_model.objects.create(username="chair")
    audit = full_audit()
    Audit.objects.filter(pk=audit.pk).update(title="Renamed by someone else")
    retention.legal_hold_set(audit=audit, user=chair, reason="  Needed by a review.  ")
    stored = Audit.objects.get(pk=audit.pk)
    assert (stored.legal_hold_reason, stored.legal_hold_by, stored.title) == (
        "Needed by a review.",
        chair,
        "Renamed by someone else",
    )
    assert stored.legal_hold_at is not None
    retention.legal_hold_lift(audit=audit, user=chair)
    stored = Audit.objects.get(pk=audit.pk)
    assert (stored.legal_hold_at, stored.legal_hold_reason, stored.legal_hold_by) == (
        None,
        "",
        None,
    )
    assert stored.title == "Renamed by someone else"


def test_a_hold_without_a_reason_is_refused_next_to_the_reason(django_user_model):
    chair = django_user_model.objects.create(username="chair")
    audit = full_audit()
    with pytest.raises(ValidationError) as raised:
        retention.legal_hold_set(audit=audit, user=chair, reason="   ")
    assert raised.value.message_dict == {"reason": ["Say why the audit's data must be kept."]}
    assert Audit.objects.get(pk=audit.pk).legal_hold_at is None


STALE = (
    "Someone else changed this audit after you opened the page, so nothing was changed. "
    "Check it as it is now, then try again."
)


@pytest.mark.parametrize("held_first", [False, True])
def test_a_hold_set_or_lifted_from_an_older_page_is_refused(django_user_model, held_first):
    chair = django_user_model.objects.create(username="chair")
    audit = full_audit()
    if held_first:
        retention.legal_hold_set(audit=audit, user=chair, reason="Review")
    loaded = version_of(Audit.objects.get(pk=audit.pk))
    Audit.objects.filter(pk=audit.pk).update(
        updated_at=timezone.now() + datetime.timedelta(seconds=5)
    )
    change = retention.legal_hold_lift if held_first else retention.legal_hold_set
    extra = {} if held_first else {"reason": "Another"}
    with pytest.raises(ValidationError) as raised:
        change(audit=audit, user=chair, loaded_version=loaded, **extra)
    assert raised.value.messages == [STALE]
    assert (Audit.objects.get(pk=audit.pk).legal_hold_at is not None) is held_first


def test_the_run_deletes_every_document_past_its_keeping_time_but_a_held_audits():
    from documents.models import KEEP_FOR

    audit, held = full_audit("Neglect", closed=TODAY), full_audit("Exploitation", closed=TODAY)
    Audit.objects.filter(pk=held.pk).update(legal_hold_at=timezone.now())
    report_across_audits = RequestedDocument.objects.create(
        partnership=audit.partnership,
        kind=RequestedDocument.Kind.ASSURANCE_REPORT,
        requested_by=UserFactory(),
    )
    too_old = timezone.now() - KEEP_FOR - datetime.timedelta(minutes=1)
    RequestedDocument.objects.update(requested_at=too_old)
    fresh = made_chronology(audit, audit.cases.get())

    dry_run = retention.retention_enforce(today=TODAY, dry_run=True)
    assert dry_run.expired == ["requested documents past their keeping time: 2"]
    assert RequestedDocument.objects.count() == 4

    report = retention.retention_enforce(today=TODAY)
    assert report.expired == ["requested documents past their keeping time: 2"]
    assert report.deleted == []  # neither audit is due: only the documents' time had passed
    kept = RequestedDocument.objects.all()
    assert {(d.audit_id, d.requested_at == too_old) for d in kept} == {
        (held.pk, True),  # nothing of a held audit is deleted
        (audit.pk, False),
    }
    assert fresh in kept and report_across_audits not in kept


def test_an_audit_already_cleared_is_not_cleared_again_for_a_document_asked_for_since():
    from cases.models import PurgeRecord

    due = full_audit("Neglect")
    retention.retention_enforce(today=TODAY)
    assert PurgeRecord.objects.filter(audit_id_kept=due.pk).count() == 1
    fresh = made_chronology(due, due.cases.get())  # of what is left: the labels and items

    report = retention.retention_enforce(today=TODAY)
    assert report.deleted == []
    assert PurgeRecord.objects.filter(audit_id_kept=due.pk).count() == 1
    assert RequestedDocument.objects.filter(pk=fresh.pk).exists()  # until its time has passed
