"""Reads for the audit pages, each in a constant number of queries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from django.core.paginator import Page, Paginator
from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from cases.models import Audit, Case

HOME_PAGE_SIZE = 25
# Newest meeting first, and audits with no meeting date yet (being set up) before them all, on
# every database alike.
NEWEST_FIRST = (F("meeting_date").desc(nulls_first=True), "-created_at", "-pk")


def audits_for_home(user, page_number) -> Page:
    """A page of the audits `user` may see, newest first, as values with their stage in words
    and their cases counted in the database: two queries (the count, the page)."""
    cases = (
        Case.objects.filter(audit=OuterRef("pk"))
        .order_by()
        .values("audit")
        .annotate(n=Count("pk"))
        .values("n")
    )
    audits = (
        Audit.objects.visible_to(user)
        .annotate(case_count=Coalesce(Subquery(cases), 0))
        .order_by(*NEWEST_FIRST)
        .values(
            "pk",
            "title",
            "status",
            "meeting_date",
            "case_count",
            "reaudit_of_id",
            theme_name=F("theme__name"),
            partnership_name=F("partnership__name"),
        )
    )
    page = Paginator(audits, HOME_PAGE_SIZE).get_page(page_number)
    page.object_list = [_with_stage(row) for row in page.object_list]
    return page


def audits_in_progress(user) -> list[dict]:
    """The audits `user` may see that are not closed yet, newest first, as values: one query."""
    audits = (
        Audit.objects.visible_to(user)
        .exclude(status=Audit.Status.CLOSED)
        .order_by(*NEWEST_FIRST)
        .values(
            "pk",
            "status",
            "meeting_date",
            "submission_deadline",
            "reaudit_of_id",
            theme_name=F("theme__name"),
        )
    )
    return [_with_stage(row) for row in audits]


def _with_stage(row: dict) -> dict:
    row["stage"] = Audit.Status(row["status"]).label
    return row


def audit_overview(audit: Audit, actions) -> dict:
    """Cases with their strengths and findings (`strength_list`, `finding_list`), good practice,
    recommendations with the cases they draw on (`case_list`), how the learning tags are used,
    `actions` (a queryset of the audit's actions the reader may see), and the agencies taking
    part, for the audit page: six queries whatever the size of the audit.

    The items are read as values, which are cheaper than model instances; related rows are
    reached by their reverse names so that this app does not import the apps built on it.
    """
    cases = list(audit.cases.order_by("order", "id"))
    items = briefing_items(audit, cases, with_tags=True)
    return {
        "cases": cases,
        "recommendations": items.recommendations,
        "good_practice": items.good_practice,
        "tag_uses": tag_uses(items, cases),
        "actions": actions.select_related("owner_agency", "lead_user")
        .order_by("order", "id")
        .rated(),
        "agencies": list(audit.agencies.all()),
    }


def latest_published_version(audit: Audit):
    """The briefing version that the audit's main briefing buttons give, or None before the
    first is published (reached by its reverse name, without its stored files)."""
    return audit.briefing_versions.only("number", "published_at", "audit_id").first()


@dataclass(slots=True)
class AgencyName:
    name: str


@dataclass(slots=True)
class ItemRow:
    """A briefing item (strength, finding, good practice or recommendation) as pages show it:
    its words, its agency's name (`agency`, None when it has none), its learning tags when asked
    for, and for a recommendation the cases it draws on (`case_list`)."""

    kind: str
    pk: int
    text: str
    agency: AgencyName | None
    case_id: int | None
    order: int
    tags: list[str] = field(default_factory=list)
    case_list: list = field(default_factory=list)


@dataclass
class BriefingItems:
    """An audit's briefing items by section; strengths and findings are also set on each case
    (`case.strength_list`, `case.finding_list`)."""

    cases: list
    good_practice: list[ItemRow]
    recommendations: list[ItemRow]

    def all(self):
        for case in self.cases:
            yield from case.strength_list
            yield from case.finding_list
        yield from self.good_practice
        yield from self.recommendations


ITEM_KINDS = ("strength", "finding", "goodpractice", "recommendation")


def _item_model(kind: str):
    if kind in ("strength", "finding"):
        return Case._meta.get_field(f"{kind}s").related_model
    return Audit._meta.get_field(
        "good_practice" if kind == "goodpractice" else "recommendations"
    ).related_model


def briefing_items(audit: Audit, cases: list, *, with_tags: bool = False) -> BriefingItems:
    """Every briefing item of `audit` (whose `cases` are given, in order), with the cases each
    recommendation draws on and, when `with_tags`, the names of their learning tags: one query,
    whatever their number."""
    parts = [part.filter(**{audit_of: audit.pk}) for audit_of, part in _item_parts(with_tags)]
    rows: dict[tuple[str, int], ItemRow] = {}
    drawn_on: dict[int, set[int]] = {}
    union = parts[0].union(*parts[1:], all=True)
    for kind, pk, text, agency_name, case_id, order, tag_name in union:
        if kind == "drawn_on":
            drawn_on.setdefault(pk, set()).add(case_id)
            continue
        item = rows.get((kind, pk))
        if item is None:
            agency = AgencyName(agency_name) if agency_name is not None else None
            item = rows[(kind, pk)] = ItemRow(kind, pk, text, agency, case_id, order)
        if tag_name is not None:
            item.tags.append(tag_name)
    by_case: dict[tuple[str, int], list[ItemRow]] = {}
    good_practice, recommendations = [], []
    for item in sorted(rows.values(), key=lambda item: (item.order, item.pk)):
        if item.kind == "goodpractice":
            good_practice.append(item)
        elif item.kind == "recommendation":
            chosen = drawn_on.get(item.pk, set())
            item.case_list = [case for case in cases if case.pk in chosen]
            recommendations.append(item)
        else:
            by_case.setdefault((item.kind, item.case_id), []).append(item)
    for case in cases:
        case.strength_list = by_case.get(("strength", case.pk), [])
        case.finding_list = by_case.get(("finding", case.pk), [])
    return BriefingItems(cases, good_practice, recommendations)


COLUMNS = ("row_kind", "row_pk", "row_text", "row_agency", "row_case", "row_order", "row_tag")


def _columns(kind: str, **values) -> dict:
    """The union's columns, named alike for every table it reads."""
    return {
        "row_kind": Value(kind, output_field=CharField()),
        **{f"row_{name}": value for name, value in values.items()},
    }


@cache
def _item_parts(with_tags: bool) -> list[tuple[str, QuerySet]]:
    """The union's parts, each with the lookup that picks an audit's rows: one per kind of item,
    and the cases recommendations draw on as rows of their own. Built once: the columns do not
    change from one audit to the next, and cost more to build than the query takes to run."""
    recommendation = _item_model("recommendation")
    parts = [(_audit_of(kind), _item_rows(kind, with_tags=with_tags)) for kind in ITEM_KINDS]
    drawn_on = recommendation.cases.through.objects.annotate(
        **_columns(
            "drawn_on",
            pk=F("recommendation_id"),
            text=Value("", output_field=CharField()),
            agency=Value(None, output_field=CharField()),
            case=F("case_id"),
            order=Value(0, output_field=IntegerField()),
            tag=Value(None, output_field=CharField()),
        )
    )
    parts.append(("recommendation__audit_id", drawn_on))
    return [(audit_of, part.values_list(*COLUMNS).order_by()) for audit_of, part in parts]


def _audit_of(kind: str) -> str:
    return "case__audit_id" if kind in ("strength", "finding") else "audit_id"


def _item_rows(kind: str, *, with_tags: bool) -> QuerySet:
    per_case = kind in ("strength", "finding")
    return _item_model(kind).objects.annotate(
        **_columns(
            kind,
            pk=F("pk"),
            text=F("text"),
            agency=F("agency__name"),
            case=F("case_id") if per_case else Value(None, output_field=IntegerField()),
            order=F("order"),
            tag=F("tags__name") if with_tags else Value(None, output_field=CharField()),
        )
    )


@dataclass
class TagUse:
    name: str
    items: int = 0
    case_labels: list[str] = field(default_factory=list)


def tag_uses(items: BriefingItems, cases: list) -> list[TagUse]:
    """How often each learning tag occurs in the audit's strengths, findings, good practice and
    recommendations, and across which cases ("issues identified across multiple cases"), from
    items read with their tags: no query."""
    labels = {case.pk: case.label for case in cases}
    uses: dict[str, TagUse] = {}
    for item in items.all():
        if item.case_id is not None:
            item_labels = [labels[item.case_id]]
        else:
            item_labels = [case.label for case in item.case_list]
        for tag in item.tags:
            use = uses.setdefault(tag, TagUse(tag))
            use.items += 1
            for label in item_labels:
                if label not in use.case_labels:
                    use.case_labels.append(label)
    for use in uses.values():
        use.case_labels.sort(key=_natural)
    return sorted(uses.values(), key=lambda u: (-len(u.case_labels), -u.items, u.name.lower()))


def _natural(label: str) -> list:
    """ "Case 2" before "Case 10"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", label)]
