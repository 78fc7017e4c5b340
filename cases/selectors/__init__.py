"""Reads for the audit pages, each in a constant number of queries."""

from __future__ import annotations

from django.db.models import Count, Prefetch

from cases.models import Audit, Case


def audits_for_home(user):
    """The audits `user` may see, newest first, with what the list shows counted in the query."""
    return (
        Audit.objects.visible_to(user)
        .select_related("theme", "partnership")
        .annotate(case_count=Count("cases", distinct=True))
        .order_by("-meeting_date", "-created_at")
    )


def audit_overview(audit: Audit) -> dict:
    """Cases with their strengths and findings (`strength_list`, `finding_list`),
    recommendations with the cases they draw on (`case_list`), and actions for the audit page.

    Related rows are reached by their reverse names so that this app does not import the apps
    built on it; they are kept as plain lists, which are cheaper to read than a queryset each.
    """
    cases = list(
        audit.cases.prefetch_related(
            Prefetch("strengths", queryset=_items(audit, "strengths"), to_attr="strength_list"),
            Prefetch("findings", queryset=_items(audit, "findings"), to_attr="finding_list"),
        )
    )
    recommendations = list(
        audit.recommendations.select_related("agency").prefetch_related(
            Prefetch("cases", queryset=Case.objects.order_by("order", "id"), to_attr="case_list")
        )
    )
    actions = list(
        audit.actions.with_rag()
        .select_related("owner_agency", "recommendation", "lead_user")
        .order_by("order", "id")
    )
    return {
        "cases": cases,
        "recommendations": recommendations,
        "good_practice": list(audit.good_practice.select_related("agency")),
        "actions": actions,
        "agencies": list(audit.agencies.all()),
    }


def _items(audit, related_name):
    model = Case._meta.get_field(related_name).related_model
    return model.objects.select_related("agency")
