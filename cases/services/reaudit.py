"""Scheduling a re-audit: the same theme audited again, to see whether practice has changed."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from cases.models import (
    Audit,
    AuditEvent,
    Case,
    LocalReference,
    Nomination,
    NominationIdentity,
    ToolQuestion,
    ToolSection,
)
from cases.services.tool import default_tool_create
from maca.models import Membership

COPIED_FIELDS = ("title", "protective_marking", "target_case_count", "include_good_practice")
NOMINATION_FIELDS = (
    "label",
    "reason",
    "age_band",
    "gender",
    "ethnicity",
    "disability",
    "legal_status",
    "tags",
)


def reaudit_refusal(*, original: Audit, user) -> str | None:
    """Why `user` may not schedule a re-audit of `original`, or None."""
    chairs = Membership.objects.filter(
        user=user, partnership_id=original.partnership_id, role=Membership.Role.CHAIR
    )
    if not chairs.exists():
        return "Only a chair of the audit's own partnership can schedule its re-audit."
    if not original.is_closed:
        return (
            "Only a closed audit can be audited again: this one is at the stage "
            f"'{original.get_status_display()}'."
        )
    return None


def open_reaudit_of(original: Audit) -> Audit | None:
    """The re-audit of `original` already scheduled and not yet closed, if any."""
    return original.reaudits.exclude(status=Audit.Status.CLOSED).order_by("pk").first()


def carried_labels(reaudit: Audit) -> list[str]:
    """The labels of the cases carried forward when `reaudit` was scheduled."""
    event = AuditEvent.objects.filter(audit=reaudit, kind=AuditEvent.Kind.CARRIED_FORWARD).first()
    return event.detail.get("labels", []) if event else []


@transaction.atomic
def reaudit_schedule(
    *,
    original: Audit,
    user,
    meeting_date: datetime.date | None,
    carry_forward: Iterable[int] = (),
) -> tuple[Audit, bool]:
    """A new draft audit of `original`'s theme, linked to it, with its agencies and audit tool
    questions, its meeting on `meeting_date`, and the cases of `carry_forward` (ids) carried
    forward with their labels and identifiers. Returns (audit, created): a re-audit already
    scheduled and still open is returned as it is, so a second press makes no second audit."""
    original = Audit.objects.select_for_update().select_related("theme").get(pk=original.pk)
    refusal = reaudit_refusal(original=original, user=user)
    if refusal:
        raise ValidationError(refusal)
    existing = open_reaudit_of(original)
    if existing is not None:
        return existing, False
    cases = list(original.cases.filter(pk__in=list(carry_forward)).prefetch_related("agencies"))
    if len(cases) != len(set(carry_forward)):
        raise ValidationError({"carry_forward": "Choose cases of the audit being re-audited."})
    reaudit = Audit(
        partnership_id=original.partnership_id,
        theme=original.theme,
        status=Audit.Status.DRAFT,
        meeting_date=meeting_date,
        reaudit_of=original,
        **{field: getattr(original, field) for field in COPIED_FIELDS},
    )
    reaudit.full_clean()
    reaudit.save()
    reaudit.agencies.set(original.agencies.all())
    if not _copy_tool(original, reaudit):
        default_tool_create(audit=reaudit)
    carried = _carry_forward(cases, reaudit, user)
    AuditEvent.objects.create(
        audit=original,
        kind=AuditEvent.Kind.REAUDIT_SCHEDULED,
        actor=user,
        detail={"reaudit": reaudit.pk},
    )
    if cases:
        AuditEvent.objects.create(
            audit=reaudit,
            kind=AuditEvent.Kind.CARRIED_FORWARD,
            actor=user,
            detail={
                "from_audit": original.pk,
                "labels": [case.label for case in cases],
                "identifiers": carried,
            },
        )
    return reaudit, True


def _copy_tool(original: Audit, reaudit: Audit) -> bool:
    """The original's audit tool sections and questions, in order; False when it had none."""
    sections = list(original.tool_sections.prefetch_related("questions"))
    for section in sections:
        copy = ToolSection.objects.create(audit=reaudit, title=section.title, order=section.order)
        ToolQuestion.objects.bulk_create(
            ToolQuestion(section=copy, text=q.text, guidance=q.guidance, order=q.order)
            for q in section.questions.all()
        )
    return bool(sections)


def _carry_forward(cases: list[Case], reaudit: Audit, user) -> int:
    """The cases again, by the same labels, and their nominations with the children's
    identifiers copied afresh: kept for the re-audit's own retention period, which counts from
    when the re-audit closes. Returns how many children's identifiers were carried."""
    nominations = {
        n.case_id: n
        for n in Nomination.objects.filter(case__in=cases)
        .select_related("identity")
        .prefetch_related("agencies", "identity__references")
    }
    carried = 0
    for order, case in enumerate(cases, start=1):
        copy = Case.objects.create(audit=reaudit, label=case.label, order=order)
        copy.agencies.set(case.agencies.all())
        nomination = nominations.get(case.pk)
        if nomination is None:
            continue
        new = Nomination.objects.create(
            audit=reaudit,
            status=Nomination.Status.SELECTED,
            nominated_by=user,
            case=copy,
            **{field: getattr(nomination, field) for field in NOMINATION_FIELDS},
        )
        new.agencies.set(nomination.agencies.all())
        identity = getattr(nomination, "identity", None)
        if identity is None:
            continue
        fresh = NominationIdentity.objects.create(
            nomination=new, child_name=identity.child_name, date_of_birth=identity.date_of_birth
        )
        LocalReference.objects.bulk_create(
            LocalReference(identity=fresh, agency_id=ref.agency_id, reference=ref.reference)
            for ref in identity.references.all()
        )
        carried += 1
    return carried
