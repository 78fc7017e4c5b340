"""The action plan's words that go out with the briefing when the plan is published with it, so
that publishing checks them for a child's details too, and the actions the briefing's annex
lists."""

from __future__ import annotations

from findings.publishing import register_plan_texts
from findings.selectors import AnnexAction, register_annex_actions

from .models import Action

PLAN_FIELDS = (
    ("text", "action"),
    ("intended_outcome", "intended outcome"),
    ("impact_measure", "impact measure"),
    ("lead", "lead"),
    ("outcome_statement", "outcome"),
    ("cancel_reason", "reason for cancelling"),
)


@register_plan_texts
def plan_texts(audit) -> list[tuple[str, str]]:
    """The action plan's words that viewers read when it is published with the briefing."""
    actions = Action.objects.filter(audit=audit).order_by("order", "pk")  # not their updates
    return [
        (f"The action plan, action {number} ({described})", getattr(action, field))
        for number, action in enumerate(actions, start=1)
        for field, described in PLAN_FIELDS
    ]


@register_annex_actions
def annex_actions(audit) -> list[AnnexAction]:
    """The audit's actions, not the cancelled ones, in the plan's order: one query."""
    actions = Action.objects.filter(audit=audit).exclude(status="cancelled")
    return [
        AnnexAction(action.pk, action.text, action.owner_agency, action.due_date)
        for action in actions.select_related("owner_agency")
        .only("text", "due_date", "owner_agency__name")
        .order_by("order", "id")
    ]
