"""Reads for the 6-step briefing: one context, a constant number of queries, HTML and PDF alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from cases.models import Audit, BriefingParagraph, Case
from cases.selectors import briefing_items

from .models import Finding, GoodPractice, Recommendation, Strength


@dataclass
class CaseItems:
    case: Case
    items: list


@dataclass
class BriefingSection:
    key: str
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    case_groups: list[CaseItems] = field(default_factory=list)
    items: list = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.paragraphs or self.case_groups or self.items)


def briefing_sections(audit: Audit) -> list[BriefingSection]:
    """The briefing's sections in order, each with its own heading, empty ones left out.

    Runs four queries whatever the size of the audit: paragraphs, cases, the items of every
    section (read as values), and the cases each recommendation draws on.
    """
    paragraphs = list(audit.paragraphs.all())
    cases = list(audit.cases.order_by("order", "id"))
    items = briefing_items(audit, cases)

    def narrative(section):
        return [p.text for p in paragraphs if p.section == section]

    sections = [
        BriefingSection(
            "theme_and_cases",
            audit.heading_theme_and_cases,
            paragraphs=narrative(BriefingParagraph.Section.THEME_AND_CASES),
        ),
        BriefingSection(
            "process",
            audit.heading_process,
            paragraphs=narrative(BriefingParagraph.Section.PROCESS),
        ),
        BriefingSection(
            "strengths",
            audit.heading_strengths,
            case_groups=[CaseItems(c, c.strength_list) for c in cases if c.strength_list],
        ),
        BriefingSection(
            "findings",
            audit.heading_findings,
            case_groups=[CaseItems(c, c.finding_list) for c in cases if c.finding_list],
        ),
        BriefingSection(
            "good_practice",
            audit.heading_good_practice,
            items=items.good_practice if audit.include_good_practice else [],
        ),
        BriefingSection(
            "recommendations", audit.heading_recommendations, items=items.recommendations
        ),
    ]
    return [section for section in sections if not section.is_empty]


def briefing_context(audit: Audit) -> dict:
    """Everything the briefing templates need. `audit` must come with theme and partnership."""
    return {
        "audit": audit,
        "sections": briefing_sections(audit),
        "document_title": f"{audit.title}: {audit.theme.name}",
        # For a draft: the version readers already have, if any.
        "last_published": audit.briefing_versions.values("number", "published_at")
        .order_by("-number")
        .first(),
    }


@dataclass
class TagUse:
    tag: object
    items: int = 0
    case_labels: list[str] = field(default_factory=list)


def authoring_context(audit: Audit) -> dict:
    """Everything on the authoring page, with tags and agencies, in a constant number of queries."""
    item_related = ("agency",)
    cases = list(
        audit.cases.prefetch_related(
            Prefetch(
                "strengths",
                queryset=Strength.objects.select_related(*item_related).prefetch_related("tags"),
            ),
            Prefetch(
                "findings",
                queryset=Finding.objects.select_related(*item_related).prefetch_related("tags"),
            ),
        )
    )
    good_practice = list(
        GoodPractice.objects.filter(audit=audit)
        .select_related(*item_related)
        .prefetch_related("tags")
    )
    recommendations = list(
        Recommendation.objects.filter(audit=audit)
        .select_related(*item_related)
        .prefetch_related("tags", Prefetch("cases", queryset=Case.objects.order_by("order", "id")))
    )
    return {
        "cases": cases,
        "good_practice": good_practice,
        "recommendations": recommendations,
        "tag_uses": _tag_uses(cases, good_practice, recommendations),
    }


def _tag_uses(cases, good_practice, recommendations) -> list[TagUse]:
    """How often each learning tag occurs and across which cases: the view that helps write
    recommendations ("issues identified across multiple cases")."""
    uses: dict[int, TagUse] = {}

    def count(item, labels):
        for tag in item.tags.all():
            use = uses.setdefault(tag.pk, TagUse(tag))
            use.items += 1
            for label in labels:
                if label not in use.case_labels:
                    use.case_labels.append(label)

    for case in cases:
        for item in [*case.strengths.all(), *case.findings.all()]:
            count(item, [case.label])
    for item in good_practice:
        count(item, [])
    for item in recommendations:
        count(item, [c.label for c in item.cases.all()])
    return sorted(uses.values(), key=lambda u: (-len(u.case_labels), -u.items, u.tag.name.lower()))
