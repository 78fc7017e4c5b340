"""Deleting what is no longer needed: identifiers when an audit closes, case-level data when its
retention period ends. The briefing and the action plan are always kept."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
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
from maca.concurrency import check_current

# Models of the apps built on this one that hold free text about a case, deleted with the rest
# of its case-level data: name -> model (with a `case` and a `history`), registered in their
# AppConfig.ready (the meeting's notes on each case: findings/apps.py).
_case_level_models: dict[str, type] = {}


def register_case_level_model(name: str, model) -> None:
    """Have retention count and delete `model`'s rows (and their history) with a case's data."""
    _case_level_models[name] = model


# Copies made of an audit's case-level data by the apps built on this one, deleted with its
# identifying details and with its case-level data: name -> function giving the audit's rows
# (the documents the background worker made of it: documents/apps.py).
_audit_copies: dict[str, Callable] = {}
# Rows kept only for a while, whatever their audit, deleted by the retention run once their
# keeping time has passed: name -> function giving the rows past it, leaving out those of an
# audit under legal hold (the documents the background worker made: documents/apps.py).
_kept_for_a_while: dict[str, Callable] = {}


def register_audit_copies(name: str, rows: Callable) -> None:
    """Have the chair's purge and retention count and delete `rows(audit)` with the audit's
    identifying details and case-level data."""
    _audit_copies[name] = rows


def register_kept_for_a_while(name: str, rows: Callable) -> None:
    """Have the retention run delete `rows()`, the rows past their keeping time."""
    _kept_for_a_while[name] = rows


def _copies_delete(audit: Audit) -> dict[str, int]:
    return {name: _rows_delete(rows(audit)) for name, rows in _audit_copies.items()}


def _rows_delete(queryset) -> int:
    return queryset.delete()[1].get(queryset.model._meta.label, 0)


def _audit_name(audit: Audit) -> str:
    return f"{audit.theme.name} — {audit.title} ({audit.partnership.name})"


def _require_closed_and_free(audit: Audit) -> None:
    if not audit.is_closed:
        raise ValidationError("Only a closed audit can be purged: close it first.")
    if audit.legal_hold_at:
        raise ValidationError(
            "This audit is under a legal hold, so nothing of it may be deleted: lift the hold "
            "first if it is no longer needed."
        )


def _delete_files(queryset) -> int:
    """Delete the rows, their stored files, and their history (which names the files). Each
    file goes once the deletion is committed (maca.files.delete_file_with_record), so that a
    purge that fails keeps the documents its records still name.

    History is deleted after the rows, because deleting a row writes one last history entry.
    """
    ids = list(queryset.values_list("pk", flat=True))
    queryset.model.objects.filter(pk__in=ids).delete()
    queryset.model.history.filter(id__in=ids).delete()
    return len(ids)


def identifiers_purge(*, audit: Audit, user, include_files: bool = False) -> PurgeRecord:
    """Delete the children's identifying details (and optionally the uploaded chronologies)."""
    with transaction.atomic():
        audit = Audit.objects.select_for_update().get(pk=audit.pk)  # one purge at a time
        _require_closed_and_free(audit)
        identities = NominationIdentity.objects.filter(nomination__audit=audit)
        detail = {"identifying details": identities.count()}
        identities.delete()
        kind = PurgeRecord.Kind.IDENTIFIERS
        if include_files:
            detail["chronology documents"] = _delete_files(
                ChronologyFile.objects.filter(case__audit=audit)
            )
            kind = PurgeRecord.Kind.FILES
        detail.update(_copies_delete(audit))  # the documents made of the audit
        return PurgeRecord.objects.create(
            audit_id_kept=audit.pk,
            audit_name=_audit_name(audit),
            kind=kind,
            detail=detail,
            purged_by=user,
        )


def legal_hold_set(*, audit: Audit, user, reason: str, loaded_version: str | None = None) -> None:
    """Keep the audit's data from retention; `loaded_version` is the audit as the chair saw it."""
    with transaction.atomic():
        check_current(audit, loaded_version=loaded_version, label="this audit")
        if not reason.strip():
            raise ValidationError({"reason": "Say why the audit's data must be kept."})
        audit.legal_hold_at = timezone.now()
        audit.legal_hold_reason = reason.strip()
        audit.legal_hold_by = user
        audit.save(
            update_fields=["legal_hold_at", "legal_hold_reason", "legal_hold_by", "updated_at"]
        )


def legal_hold_lift(*, audit: Audit, user, loaded_version: str | None = None) -> None:
    """End the legal hold: refused if the audit changed since the chair saw it (a hold set
    again meanwhile is not lifted unseen)."""
    with transaction.atomic():
        check_current(audit, loaded_version=loaded_version, label="this audit")
        audit.legal_hold_at = None
        audit.legal_hold_reason = ""
        audit.legal_hold_by = None
        audit.save(
            update_fields=["legal_hold_at", "legal_hold_reason", "legal_hold_by", "updated_at"]
        )


def retention_cutoff(today: datetime.date) -> datetime.datetime:
    years = settings.MACA_RETENTION_YEARS
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


def audits_due_for_deletion(today: datetime.date):
    return (
        Audit.objects.filter(status=Audit.Status.CLOSED, closed_at__lte=retention_cutoff(today))
        .filter(legal_hold_at__isnull=True)
        .select_related("theme", "partnership")
    )


@dataclass
class RetentionReport:
    deleted: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    # Rows past their keeping time, whatever their audit: "what: how many".
    expired: list[str] = field(default_factory=list)


def retention_enforce(*, today: datetime.date, dry_run: bool = False) -> RetentionReport:
    """Delete the case-level data of audits closed longer than the retention period."""
    report = RetentionReport()
    cutoff = retention_cutoff(today)
    held = Audit.objects.filter(
        status=Audit.Status.CLOSED, closed_at__lte=cutoff, legal_hold_at__isnull=False
    ).select_related("theme", "partnership")
    report.held = [f"{_audit_name(a)}: {a.legal_hold_reason}" for a in held]
    for audit in audits_due_for_deletion(today):
        counts = _case_level_counts(audit)
        # Documents made of an audit already cleared hold nothing of what was deleted: they go
        # when their keeping time has passed (below), not as another clearing of the audit.
        if not any(number for what, number in counts.items() if what not in _audit_copies):
            continue
        if dry_run or _delete_case_level_data(audit, counts):
            report.deleted.append(f"{_audit_name(audit)}: " + _describe(counts))
    for name, rows in _kept_for_a_while.items():
        with transaction.atomic():
            number = rows().count() if dry_run else _rows_delete(rows())
        if number:
            report.expired.append(f"{name} past their keeping time: {number:,}")
    return report


def _case_level_counts(audit) -> dict[str, int]:
    return {
        "nominations": Nomination.objects.filter(audit=audit).count(),
        "children's identifying details": NominationIdentity.objects.filter(
            nomination__audit=audit
        ).count(),
        "random draws": SelectionDraw.objects.filter(audit=audit).count(),
        "chronology files": ChronologyFile.objects.filter(case__audit=audit).count(),
        "chronology rows": ChronologyEntry.objects.filter(case__audit=audit).count(),
        "audit tools": AgencySubmission.objects.filter(case__audit=audit).count(),
        **{
            name: model.objects.filter(case__audit=audit).count()
            for name, model in _case_level_models.items()
        },
        "reasons for reopening": _reopen_reasons(audit).count(),
        **{name: rows(audit).count() for name, rows in _audit_copies.items()},
    }


def _reopen_reasons(audit):
    """Reopening events that still carry the chair's reason (free text about the case)."""
    return AuditEvent.objects.filter(
        audit=audit, kind=AuditEvent.Kind.REOPEN, detail__has_key="reason"
    )


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{what}: {number:,}" for what, number in counts.items() if number)


def _delete_case_level_data(audit: Audit, counts: dict[str, int]) -> bool:
    """Nominations with their identifiers, chronologies, audit tools and draws go, with their
    history; the cases keep their labels, and the briefing and the action plan stay. An audit
    put under legal hold since it was listed is left alone."""
    with transaction.atomic():
        if Audit.objects.select_for_update().get(pk=audit.pk).legal_hold_at:
            return False
        case_ids = list(audit.cases.values_list("pk", flat=True))
        submission_ids = list(
            AgencySubmission.objects.filter(case_id__in=case_ids).values_list("pk", flat=True)
        )
        _delete_files(ChronologyFile.objects.filter(case_id__in=case_ids))
        ChronologyEntry.objects.filter(case_id__in=case_ids).delete()
        AgencySubmission.objects.filter(pk__in=submission_ids).delete()  # and their answers
        SelectionDraw.objects.filter(audit=audit).delete()
        Nomination.objects.filter(audit=audit).delete()  # and their identifiers
        ToolAnswer.history.filter(submission_id__in=submission_ids).delete()
        AgencySubmission.history.filter(case_id__in=case_ids).delete()
        ChronologyEntry.history.filter(case_id__in=case_ids).delete()
        Nomination.history.filter(audit_id=audit.pk).delete()
        for model in _case_level_models.values():  # the meeting's notes on each case
            model.objects.filter(case_id__in=case_ids).delete()
            model.history.filter(case_id__in=case_ids).delete()
        _copies_delete(audit)  # the documents made of the audit
        # A draw's event named the nominations drawn; the labels go with them.
        AuditEvent.objects.filter(audit=audit, kind=AuditEvent.Kind.DRAW).update(detail={})
        for event in _reopen_reasons(audit):  # who reopened which case stays; why goes
            event.detail.pop("reason")
            event.save(update_fields=["detail"])
        PurgeRecord.objects.create(
            audit_id_kept=audit.pk,
            audit_name=_audit_name(audit),
            kind=PurgeRecord.Kind.RETENTION,
            detail=counts,
            purged_by=None,
        )
        return True
