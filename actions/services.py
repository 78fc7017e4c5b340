"""Writes for the composite action plan. Every change is kept in the action's history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateformat import format as date_format

from cases import uploads
from cases.services.confirmations import texts_confirm
from maca.concurrency import check_current, differs_from_saved
from maca.once import AlreadyAdded, added_moments_ago

from .access import lead_refusal
from .models import Action, ActionUpdate, Evidence

EVIDENCE_KINDS = (
    uploads.PDF,
    uploads.DOCX,
    uploads.XLSX,
    uploads.CSV,
    uploads.PNG,
    uploads.JPEG,
)
EVIDENCE_DESCRIBED = "a PDF, Word (DOCX), Excel (XLSX) or CSV document, or a PNG or JPEG image"


def _check_lead(action: Action) -> None:
    """The service's own guard of the form's check: whoever writes, the lead can open it."""
    refusal = lead_refusal(action.lead_user, action.audit, action.owner_agency)
    if refusal:
        raise ValidationError({"lead_user": refusal})


def _set_plan_fields(
    action: Action,
    *,
    text: str,
    owner_agency,
    recommendation=None,
    intended_outcome: str = "",
    impact_measure: str = "",
    lead_user=None,
    lead: str = "",
    due_date=None,
) -> None:
    action.recommendation = recommendation
    action.text = text
    action.intended_outcome = intended_outcome
    action.impact_measure = impact_measure
    action.owner_agency = owner_agency
    action.lead_user = lead_user
    action.lead = lead
    action.due_date = due_date


@transaction.atomic
def action_create(*, audit, user, confirmed_texts=(), **fields) -> Action:
    """Add an action at the end of `audit`'s plan: `fields` are the chair's values (text,
    owner_agency, recommendation, intended_outcome, impact_measure, lead_user, lead, due_date);
    `confirmed_texts` those of its words that look identifying and the chair confirmed are not."""
    texts_confirm(audit=audit, texts=confirmed_texts, user=user)
    action = Action(audit=audit)
    _set_plan_fields(action, **fields)
    _check_lead(action)
    last = audit.actions.aggregate(last=Max("order"))["last"]
    action.order = 0 if last is None else last + 1
    action._change_reason = "Created"
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def action_edit(*, action: Action, user, confirmed_texts=(), **fields) -> bool:
    """Change what the action says and who owns and leads it (the same values as creating).
    Whether anything changed: a save that changes nothing is not kept."""
    texts_confirm(audit=action.audit, texts=confirmed_texts, user=user)
    leader_before = (action.lead_user_id, action.owner_agency_id)
    _set_plan_fields(action, **fields)
    if (action.lead_user_id, action.owner_agency_id) != leader_before:
        _check_lead(action)  # as it was: editing something else does not force a new lead
    action.full_clean()
    if not differs_from_saved(action):
        return False
    action._change_reason = "Edited by the chair"
    action.save()
    return True


@transaction.atomic
def action_post_update(
    *,
    action: Action,
    user,
    date,
    text: str,
    status: str,
    at_risk: bool,
    confirmed_texts=(),
):
    """The owner agency reports progress: a dated note, the status while open, the risk flag."""
    if not action.is_open:
        raise ValidationError("This action is closed: it takes no more updates.")
    texts_confirm(audit=action.audit, texts=confirmed_texts, user=user)
    same = action.updates.filter(author=user, date=date, text=text.strip())
    if (action.status, action.at_risk) == (status, at_risk) and added_moments_ago(same):
        raise AlreadyAdded  # sent again with nothing changed (a status changed is a new update)
    update = ActionUpdate(action=action, date=date, text=text.strip(), author=user)
    update.full_clean()
    update.save()
    if status not in (Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS):
        raise ValidationError("Only the chair can complete or cancel an action.")
    if (action.status, action.at_risk) != (status, at_risk):
        action.status, action.at_risk = status, at_risk
        action._change_reason = "Progress update"
        action.save()
    return update


@transaction.atomic
def action_evidence_add(*, action: Action, user, uploaded_file, description: str = "") -> Evidence:
    """Keep `uploaded_file` as evidence of `action`'s progress or impact.

    The same rules as chronology documents: identified from its content, size-limited, streamed
    and hashed in one pass, stored under MEDIA_ROOT with a random name. A refused file leaves
    nothing behind: no row and no file.
    """
    if not action.is_open:
        raise ValidationError("This action is closed: it takes no more evidence.", code="closed")
    inspection, kind = uploads.accept(uploaded_file, EVIDENCE_KINDS, EVIDENCE_DESCRIBED)
    earlier = action.evidence.filter(sha256=inspection.sha256).first()
    if earlier:
        day = date_format(timezone.localtime(earlier.uploaded_at), "j F Y")
        raise ValidationError(
            f"This file is already evidence for this action "
            f"(as “{earlier.original_name}”, added on {day}).",
            code="duplicate",
        )
    extension = uploads.FILE_EXTENSIONS[kind]
    evidence = Evidence(
        action=action,
        original_name=uploads.display_name(uploaded_file.name, kind),
        kind=kind,
        size=inspection.size,
        sha256=inspection.sha256,
        description=(description or "").strip(),
        uploaded_by=user,
    )
    return uploads.store_with_record(evidence, uploaded_file, f"evidence.{extension}")


@transaction.atomic
def action_complete(*, action: Action, user, outcome_statement: str, confirmed_texts=()) -> Action:
    """The chair signs the action off as complete, with what it achieved."""
    if not outcome_statement.strip():
        raise ValidationError({"outcome_statement": "Say what the action achieved."})
    texts_confirm(audit=action.audit, texts=confirmed_texts, user=user)
    action.status = Action.Status.COMPLETE
    action.outcome_statement = outcome_statement.strip()
    action.signed_off_by = user
    action.signed_off_at = timezone.now()
    action.at_risk = False
    action._change_reason = "Signed off as complete"
    action.save()
    return action


@transaction.atomic
def action_cancel(*, action: Action, user, cancel_reason: str, confirmed_texts=()) -> Action:
    if not cancel_reason.strip():
        raise ValidationError({"cancel_reason": "Say why the action is cancelled."})
    texts_confirm(audit=action.audit, texts=confirmed_texts, user=user)
    action.status = Action.Status.CANCELLED
    action.cancel_reason = cancel_reason.strip()
    action._change_reason = "Cancelled"
    action.save()
    return action


@transaction.atomic
def action_reopen(*, action: Action, user, loaded_version: str | None = None) -> Action:
    """The chair opens a completed or cancelled action again, as it was when they pressed."""
    check_current(action, loaded_version=loaded_version, label="this action")
    action.status = Action.Status.IN_PROGRESS
    action.signed_off_by = None
    action.signed_off_at = None
    action.cancel_reason = ""
    action._change_reason = "Reopened by the chair"
    action.save()
    return action
