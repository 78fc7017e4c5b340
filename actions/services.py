"""Writes for the composite action plan. Every change is kept in the action's history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import Action, ActionUpdate


@transaction.atomic
def action_create(*, form, audit, user) -> Action:
    action = form.save(commit=False)
    action.audit = audit
    last = audit.actions.aggregate(last=Max("order"))["last"]
    action.order = 0 if last is None else last + 1
    action._change_reason = "Created"
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def action_edit(*, form, user) -> Action:
    action = form.save(commit=False)
    action._change_reason = "Edited by the chair"
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def action_post_update(*, action: Action, user, date, text: str, status: str, at_risk: bool):
    """The owner agency reports progress: a dated note, the status while open, the risk flag."""
    if not action.is_open:
        raise ValidationError("This action is closed: it takes no more updates.")
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
def action_complete(*, action: Action, user, outcome_statement: str) -> Action:
    """The chair signs the action off as complete, with what it achieved."""
    if not outcome_statement.strip():
        raise ValidationError({"outcome_statement": "Say what the action achieved."})
    action.status = Action.Status.COMPLETE
    action.outcome_statement = outcome_statement.strip()
    action.signed_off_by = user
    action.signed_off_at = timezone.now()
    action.at_risk = False
    action._change_reason = "Signed off as complete"
    action.save()
    return action


@transaction.atomic
def action_cancel(*, action: Action, user, cancel_reason: str) -> Action:
    if not cancel_reason.strip():
        raise ValidationError({"cancel_reason": "Say why the action is cancelled."})
    action.status = Action.Status.CANCELLED
    action.cancel_reason = cancel_reason.strip()
    action._change_reason = "Cancelled"
    action.save()
    return action


@transaction.atomic
def action_reopen(*, action: Action, user) -> Action:
    action.status = Action.Status.IN_PROGRESS
    action.signed_off_by = None
    action.signed_off_at = None
    action.cancel_reason = ""
    action._change_reason = "Reopened by the chair"
    action.save()
    return action
