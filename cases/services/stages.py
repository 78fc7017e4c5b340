"""Moving an audit through its stages: draft → nominating → selected → submissions → meeting →
reporting → closed. Every move is checked here and recorded as an AuditEvent."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from cases.models import Audit, AuditEvent
from cases.services.stage_emails import send_stage_emails

Status = Audit.Status
ORDER: list[str] = [value for value, _ in Status.choices]


def next_status(status: str) -> str | None:
    """The stage after `status`, or None at the end."""
    index = ORDER.index(status)
    return ORDER[index + 1] if index + 1 < len(ORDER) else None


def refusal(audit: Audit) -> str | None:
    """Why `audit` may not move to its next stage by the stage button, or None if it may.

    May run one query (the agencies taking part) for a draft audit.
    """
    if audit.status == Status.CLOSED:
        return "This audit is closed: there is no later stage."
    if audit.status == Status.DRAFT and not audit.agencies.exists():
        return (
            "Add at least one agency taking part before opening nominations "
            "(Edit the audit's details)."
        )
    if audit.status == Status.NOMINATING:
        return (
            "Cases are selected by confirming the selection: go to 'Select the cross-section', "
            "choose the cases and confirm them."
        )
    if audit.status == Status.SELECTED and not audit.submission_deadline:
        return "Set a submission deadline before opening submissions (Edit the audit's details)."
    return None


def record_move(*, audit: Audit, user, to: str) -> None:
    """Set the audit's stage to `to` and record the move. The caller holds the transaction."""
    before = audit.status
    audit.move_to(to)
    audit.full_clean()
    audit.save(update_fields=["status", "closed_at", "updated_at"])
    AuditEvent.objects.create(
        audit=audit, kind=AuditEvent.Kind.STATUS, actor=user, detail={"from": before, "to": to}
    )
    send_stage_emails(audit)


@transaction.atomic
def audit_advance(*, audit: Audit, user, expected_status: str | None = None) -> str:
    """Move `audit` to its next stage and return the new stage; ValidationError when refused.

    `expected_status` is the stage the person saw when they pressed the button: a second press
    (or a colleague's press) after the audit has moved on is refused instead of moving it twice.
    """
    locked = Audit.objects.select_for_update().get(pk=audit.pk)
    if expected_status and locked.status != expected_status:
        raise ValidationError(
            f"The audit has already moved on to '{locked.get_status_display()}'. Nothing changed."
        )
    reason = refusal(locked)
    if reason:
        raise ValidationError(reason)
    to = next_status(locked.status)
    record_move(audit=locked, user=user, to=to)
    audit.status = locked.status
    return to
