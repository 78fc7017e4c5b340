"""Reads for the composite action plan, in a constant number of queries."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from maca import access

from .models import Action, Rag

SORTS = {
    "due": ("due_date", "pk"),
    "-due": ("-due_date", "-pk"),
    "status": ("status", "due_date"),
    "owner": ("owner_agency__name", "due_date"),
    "audit": ("audit__theme__name", "due_date"),
}


def plan_for(user, *, filters: dict | None = None, today: datetime.date | None = None):
    """The actions `user` may see, with RAG, filtered; and counts per RAG before the RAG filter."""
    today = today or timezone.localdate()
    filters = filters or {}
    actions = (
        access.restrict_actions(Action.objects.all(), user)
        .with_rag(today)
        .select_related("audit__theme", "owner_agency", "lead_user", "recommendation")
    )
    if filters.get("audit"):
        actions = actions.filter(audit=filters["audit"])
    if filters.get("theme"):
        actions = actions.filter(audit__theme__name=filters["theme"])
    if filters.get("owner_agency"):
        actions = actions.filter(owner_agency=filters["owner_agency"])
    if filters.get("owner_agencies") is not None:
        actions = actions.filter(owner_agency__in=filters["owner_agencies"])
    if filters.get("status"):
        actions = actions.filter(status=filters["status"])
    if filters.get("overdue"):
        actions = actions.filter(rag_rating=Rag.RED)
    if filters.get("due_from"):
        actions = actions.filter(due_date__gte=filters["due_from"])
    if filters.get("due_to"):
        actions = actions.filter(due_date__lte=filters["due_to"])
    counts = rag_counts(actions)
    if filters.get("rag"):
        actions = actions.filter(rag_rating=filters["rag"])
    return actions.order_by(*SORTS.get(filters.get("sort") or "due", SORTS["due"])), counts


def rag_counts(actions) -> dict[str, int]:
    totals = actions.aggregate(
        **{rag.value: Count("pk", filter=Q(rag_rating=rag.value)) for rag in Rag}
    )
    return {rag.value: totals[rag.value] for rag in Rag}
