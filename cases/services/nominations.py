"""Writes for nominations, their identifiers (kept apart), random draws and the selection."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import (
    Audit,
    AuditEvent,
    Case,
    LocalReference,
    Nomination,
    NominationIdentity,
    SelectionDraw,
)
from cases.selectors.nominations import identifiers_deleted_at
from cases.services.stages import record_move
from maca.concurrency import differs_from_saved

NOT_SELECTED_REASON = "Not selected for this audit's cross-section"
# Set by the system, and emptied when a person's account is deleted: not checked on each save.
KEPT_FIELDS = ["nominated_by", "case"]
NOMINATION_FIELDS = Nomination.WRITTEN_FIELDS


def _require_open(audit: Audit) -> None:
    if not audit.accepts_nominations:
        raise ValidationError(
            f"Nominations are closed: this audit is at the stage '{audit.get_status_display()}'."
        )


def _check_agencies(audit: Audit, agencies) -> list:
    agencies = list(agencies or [])
    taking_part = set(audit.agencies.values_list("pk", flat=True))
    if any(agency.pk not in taking_part for agency in agencies):
        raise ValidationError({"agencies": "Choose agencies taking part in this audit."})
    return agencies


def _has_identity(identity: dict | None) -> bool:
    identity = identity or {}
    return bool(
        (identity.get("child_name") or "").strip()
        or identity.get("date_of_birth")
        or any((ref or "").strip() for ref in (identity.get("references") or {}).values())
    )


_NOMINATION_LABEL_TAKEN = (
    "There is already a nomination labelled '{}' in this audit. Choose another label."
)


def label_clash(*, audit: Audit, label: str, nomination: Nomination | None = None) -> str:
    """Why `label` cannot name a nomination of `audit` (empty when it can): another nomination
    holds it, or a case does (one carried forward into a re-audit), which the chair could not
    select under the same label."""
    others = audit.nominations.filter(label__iexact=label)
    if nomination is not None and nomination.pk:
        others = others.exclude(pk=nomination.pk)
    if others.exists():
        return (
            f"There is already a nomination labelled '{label}' in this audit. Choose another label."
        )
    if audit.cases.filter(label__iexact=label).exists():
        return (
            f"The audit already has a case labelled '{label}' (carried forward from the original "
            "audit). Choose another label."
        )
    return ""


@transaction.atomic
def nomination_create(*, audit: Audit, user, data: dict, identity: dict | None) -> Nomination:
    """Nominate a case. `data` holds the nomination's fields and `agencies`; `identity` the
    child's name, date of birth and {agency id: reference}, stored apart and only if given."""
    _require_open(audit)
    agencies = _check_agencies(audit, data.get("agencies"))
    nomination = Nomination(
        audit=audit,
        nominated_by=user,
        **{
            field: data.get(field) or ("" if field != "tags" else []) for field in NOMINATION_FIELDS
        },
    )
    if clash := label_clash(audit=audit, label=nomination.label):
        raise ValidationError({"label": clash})
    nomination.full_clean(exclude=KEPT_FIELDS)
    try:
        with transaction.atomic():
            nomination.save()
    except IntegrityError:  # the same label saved by someone else a moment ago
        raise ValidationError({"label": _NOMINATION_LABEL_TAKEN.format(nomination.label)}) from None
    nomination.agencies.set(agencies)
    if _has_identity(identity):
        identity_save(nomination=nomination, user=user, identity=identity)
    return nomination


def can_edit_nomination(*, nomination: Nomination, user, is_chair: bool) -> bool:
    return (is_chair or nomination.nominated_by_id == user.pk) and (
        nomination.status == Nomination.Status.NOMINATED
    )


@transaction.atomic
def nomination_update(*, nomination: Nomination, user, data: dict) -> bool:
    """Change a nomination still in the running while nominations are open. Whether anything
    changed: a save that changes nothing is not kept."""
    audit = nomination.audit
    _require_open(audit)
    if nomination.status != Nomination.Status.NOMINATED:
        raise ValidationError("Only a nomination not yet selected or declined can be changed.")
    agencies = _check_agencies(audit, data.get("agencies"))
    for field in NOMINATION_FIELDS:
        setattr(nomination, field, data.get(field) or ("" if field != "tags" else []))
    if clash := label_clash(audit=audit, label=nomination.label, nomination=nomination):
        raise ValidationError({"label": clash})
    nomination.full_clean(exclude=KEPT_FIELDS)
    if not differs_from_saved(nomination, agencies=agencies):
        return False
    nomination.save()
    nomination.agencies.set(agencies)
    return True


@transaction.atomic
def identity_save(*, nomination: Nomination, user, identity: dict) -> NominationIdentity | None:
    """Store the child's identifiers for `nomination`, replacing what was there. Nothing
    entered removes them."""
    # Locked as a purge locks it: details entered while a purge runs wait for it, then are
    # refused, rather than being kept behind a purge record that says they were deleted.
    audit = Audit.objects.select_for_update().get(pk=nomination.audit_id)
    if audit.legal_hold_at:
        raise ValidationError(
            "This audit is under a legal hold: its identifying details cannot be changed or "
            "deleted until the hold is lifted."
        )
    if _has_identity(identity) and identifiers_deleted_at(audit):
        raise ValidationError(
            "The children's identifying details of this audit were deleted (its Keeping and "
            "deleting data page says when): they cannot be entered again."
        )
    existing = NominationIdentity.objects.filter(nomination=nomination).first()
    if not _has_identity(identity):
        if existing:
            existing.delete()
        return None
    record = existing or NominationIdentity(nomination=nomination)
    record.child_name = (identity.get("child_name") or "").strip()
    record.date_of_birth = identity.get("date_of_birth")
    record.full_clean()
    record.save()
    references = {
        int(agency_id): ref.strip()
        for agency_id, ref in (identity.get("references") or {}).items()
        if (ref or "").strip()
    }
    record.references.exclude(agency_id__in=references).delete()
    for agency_id, reference in references.items():
        LocalReference.objects.update_or_create(
            identity=record, agency_id=agency_id, defaults={"reference": reference}
        )
    return record


@transaction.atomic
def nomination_decline(*, nomination: Nomination, user, reason: str) -> Nomination:
    _require_open(nomination.audit)
    if nomination.status != Nomination.Status.NOMINATED:
        raise ValidationError("Only a nomination still in the running can be declined.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason for declining."})
    nomination.status = Nomination.Status.DECLINED
    nomination.decline_reason = reason
    nomination.full_clean(exclude=KEPT_FIELDS)
    nomination.save(update_fields=["status", "decline_reason", "updated_at"])
    return nomination


# Selection -----------------------------------------------------------------------------------


def draw_from(pool_ids: Sequence[int], size: int, seed: str) -> list[int]:
    """A random choice of `size` ids from `pool_ids` (in the pool's order), repeatable from
    the same seed and pool."""
    chosen = set(random.Random(seed).sample(list(pool_ids), min(size, len(pool_ids))))  # noqa: S311
    return [pk for pk in pool_ids if pk in chosen]


def _pool(audit: Audit):
    """Nominations still in the running, in the order they were made."""
    return audit.nominations.filter(status=Nomination.Status.NOMINATED).order_by("created_at", "id")


@transaction.atomic
def selection_draw(*, audit: Audit, user, seed: str | None = None) -> SelectionDraw:
    """Draw the target number of cases at random and record who drew them, when, and the seed."""
    audit = Audit.objects.select_for_update().get(pk=audit.pk)
    _require_open(audit)
    pool = list(_pool(audit).values_list("pk", "label"))
    if not pool:
        raise ValidationError("There are no nominations in the running to draw from.")
    seed = seed or secrets.token_hex(8)
    chosen = draw_from([pk for pk, _ in pool], audit.target_case_count, seed)
    labels = dict(pool)
    draw = SelectionDraw.objects.create(audit=audit, drawn_by=user, seed=seed)
    draw.nominations.set(chosen)
    AuditEvent.objects.create(
        audit=audit,
        kind=AuditEvent.Kind.DRAW,
        actor=user,
        detail={"seed": seed, "labels": [labels[pk] for pk in chosen]},
    )
    return draw


@transaction.atomic
def selection_confirm(*, audit: Audit, user, nomination_ids: Iterable[int]) -> list[Case]:
    """Make the chosen nominations the audit's cases, decline the rest, move to 'selected'."""
    locked = Audit.objects.select_for_update().get(pk=audit.pk)
    _require_open(locked)
    wanted = {int(pk) for pk in nomination_ids}
    if not wanted:
        raise ValidationError("Choose at least one nomination to select.")
    pool = list(_pool(locked).prefetch_related("agencies"))
    chosen = [nomination for nomination in pool if nomination.pk in wanted]
    if len(chosen) != len(wanted):
        raise ValidationError(
            "Some of the chosen nominations are no longer in the running. Review the selection."
        )
    taken = set(locked.cases.values_list("label", flat=True))
    clash = [nomination.label for nomination in chosen if nomination.label in taken]
    if clash:
        raise ValidationError(
            f"The audit already has a case labelled {', '.join(clash)}: change that nomination's "
            "label, then select it."
        )

    start = len(taken)
    cases = []
    for order, nomination in enumerate(chosen, start=start + 1):
        case = Case(audit=locked, label=nomination.label, order=order)
        case.full_clean()
        case.save()
        case.agencies.set(nomination.agencies.all())
        nomination.status = Nomination.Status.SELECTED
        nomination.case = case
        nomination.save(update_fields=["status", "case", "updated_at"])
        cases.append(case)
    _pool(locked).exclude(pk__in=wanted).update(
        status=Nomination.Status.DECLINED,
        decline_reason=NOT_SELECTED_REASON,
        updated_at=timezone.now(),
    )

    latest = locked.draws.prefetch_related("nominations").first()
    draw_seed = None
    if latest and {n.pk for n in latest.nominations.all()} == wanted:
        latest.confirmed = True
        latest.save(update_fields=["confirmed"])
        draw_seed = latest.seed
    AuditEvent.objects.create(
        audit=locked,
        kind=AuditEvent.Kind.SELECTION,
        actor=user,
        detail={"labels": [case.label for case in cases], "draw_seed": draw_seed},
    )
    record_move(audit=locked, user=user, to=Audit.Status.SELECTED)
    audit.status = locked.status
    return cases


def _relabel_refused(audit: Audit) -> str:
    if audit.is_closed:
        return "This audit is closed: its cases keep their labels."
    if audit.briefing_published_at is not None:
        return "The briefing is published: the cases keep the labels it went out with."
    return ""


def case_labels_allowed(audit: Audit) -> bool:
    return not _relabel_refused(audit)


@transaction.atomic
def case_labels_update(
    *, audit: Audit, labels: dict[int, str], loaded: dict[int, str] | None = None
) -> list[Case]:
    """Give the audit's selected cases new labels ({case id: label}), unique within the audit
    whatever their capitals; refused once the briefing is published or the audit is closed, and
    when `loaded` (the labels as the page showed them) differs from those saved since, unless
    the labels wanted are those saved (a second press). Labels unchanged are not saved again."""
    locked = Audit.objects.select_for_update().get(pk=audit.pk)
    if refused := _relabel_refused(locked):
        raise ValidationError(refused)
    cases = list(locked.cases.all())
    if set(labels) != {case.pk for case in cases}:
        raise ValidationError("The audit's cases have changed since you opened this page.")
    wanted = {pk: " ".join(label.split()) for pk, label in labels.items()}
    saved = {case.pk: case.label for case in cases}
    if wanted == saved:
        return cases
    if loaded is not None and loaded != saved:
        now = ", ".join(case.label for case in cases)
        raise ValidationError(
            f"Someone else saved the cases' labels after you opened this page: they now read "
            f"{now}. Your labels are kept below: check them, and save again to keep yours.",
            code="changed_meanwhile",
        )
    seen: dict[str, int] = {}
    errors = {}
    for pk, label in wanted.items():
        if not label:
            errors[pk] = "Enter a label."
        elif label.casefold() in seen:
            errors[pk] = f"Another case is labelled “{label}”: each label must be different."
        seen.setdefault(label.casefold(), pk)
    if errors:
        raise ValidationError({f"case_{pk}": message for pk, message in errors.items()})
    # Through labels no case holds, so that two cases may swap theirs under the unique rule.
    for case in cases:
        Case.objects.filter(pk=case.pk).update(label=f"~relabel-{case.pk}")
    for case in cases:
        case.label = wanted[case.pk]
        case.full_clean(validate_unique=False)
        case.save(update_fields=["label"])
    return cases


def cases_in_order_labels(audit: Audit) -> dict[int, str]:
    """ "Case 1", "Case 2", … in the cases' order."""
    return {
        pk: f"Case {number}"
        for number, pk in enumerate(audit.cases.values_list("pk", flat=True), start=1)
    }
