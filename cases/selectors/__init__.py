"""Reads for the audit pages, each in a constant number of queries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import CharField, Count, Prefetch, Value

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


def latest_published_version(audit: Audit):
    """The briefing version that the audit's main briefing buttons give, or None before the
    first is published (reached by its reverse name, without its stored files)."""
    return audit.briefing_versions.only("number", "published_at", "audit_id").first()


def _items(audit, related_name):
    model = Case._meta.get_field(related_name).related_model
    return model.objects.select_related("agency")


@dataclass
class TagUse:
    name: str
    items: int = 0
    case_labels: list[str] = field(default_factory=list)


def tag_uses(overview: dict) -> list[TagUse]:
    """How often each learning tag occurs in the audit's strengths, findings, good practice and
    recommendations, and across which cases ("issues identified across multiple cases").

    Reads the tags of the items `audit_overview` fetched, in one query, whatever their number.
    """
    labels: dict[tuple[str, int], list[str]] = {}
    for case in overview["cases"]:
        labels.update({("strength", item.pk): [case.label] for item in case.strength_list})
        labels.update({("finding", item.pk): [case.label] for item in case.finding_list})
    labels.update({("goodpractice", item.pk): [] for item in overview["good_practice"]})
    for item in overview["recommendations"]:
        labels[("recommendation", item.pk)] = [case.label for case in item.case_list]
    models = {
        "strength": Case._meta.get_field("strengths").related_model,
        "finding": Case._meta.get_field("findings").related_model,
        "goodpractice": Audit._meta.get_field("good_practice").related_model,
        "recommendation": Audit._meta.get_field("recommendations").related_model,
    }
    parts = []
    for kind, model in models.items():
        ids = [item_id for item_kind, item_id in labels if item_kind == kind]
        if ids:
            parts.append(
                model.tags.through.objects.filter(**{f"{kind}_id__in": ids})
                .annotate(kind=Value(kind, output_field=CharField()))
                .values_list("tag__name", "kind", f"{kind}_id")
                .order_by()
            )
    if not parts:
        return []
    uses: dict[str, TagUse] = {}
    for tag, kind, item_id in parts[0].union(*parts[1:], all=True):
        use = uses.setdefault(tag, TagUse(tag))
        use.items += 1
        for label in labels[(kind, item_id)]:
            if label not in use.case_labels:
                use.case_labels.append(label)
    for use in uses.values():
        use.case_labels.sort(key=_natural)
    return sorted(uses.values(), key=lambda u: (-len(u.case_labels), -u.items, u.name.lower()))


def _natural(label: str) -> list:
    """ "Case 2" before "Case 10"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", label)]
