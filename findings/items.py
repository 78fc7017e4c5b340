"""An audit's cases and briefing items (strengths, findings, good practice, recommendations) read
as values for the pages that list them, in one query whatever their number."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from django.db.models import CharField, F, IntegerField, QuerySet, Value

from cases.models import Audit, Case

from .models import Finding, GoodPractice, Recommendation, Strength


def agency_lead(agency, text: str) -> str:
    """The agency's name to put before an item's words ("Housing: "), unless the words begin
    with it already ("Housing identified…"), which would say it twice."""
    if agency is None:
        return ""
    # As a whole word: "Educational psychologist…" does not begin with "Education".
    begins = re.match(rf"{re.escape(agency.name)}(?![^\W_])", text, re.IGNORECASE)
    return "" if begins else agency.name


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

    @property
    def agency_lead(self) -> str:
        return agency_lead(self.agency, self.text)


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


ITEM_MODELS = {
    "strength": Strength,
    "finding": Finding,
    "goodpractice": GoodPractice,
    "recommendation": Recommendation,
}


def briefing_items(audit: Audit, *, with_tags: bool = False) -> BriefingItems:
    """The cases of `audit` in order, and every briefing item with the cases each recommendation
    draws on and, when `with_tags`, the names of their learning tags: one query, whatever their
    number."""
    parts = [part.filter(**{audit_of: audit.pk}) for audit_of, part in _item_parts(with_tags)]
    rows: dict[tuple[str, int], ItemRow] = {}
    drawn_on: dict[int, set[int]] = {}
    cases = []
    union = parts[0].union(*parts[1:], all=True)
    for kind, pk, text, agency_name, case_id, order, tag_name in union:
        if kind == "drawn_on":
            drawn_on.setdefault(pk, set()).add(case_id)
            continue
        if kind == "case":
            cases.append(Case.from_db(union.db, CASE_FIELDS, (pk, audit.pk, text, order)))
            continue
        item = rows.get((kind, pk))
        if item is None:
            agency = AgencyName(agency_name) if agency_name is not None else None
            item = rows[(kind, pk)] = ItemRow(kind, pk, text, agency, case_id, order)
        if tag_name is not None:
            item.tags.append(tag_name)
    cases.sort(key=lambda case: (case.order, case.pk))
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


CASE_FIELDS = ("id", "audit_id", "label", "order")
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
    the cases recommendations draw on as rows of their own, and the cases. Built once: the
    columns do not change from one audit to the next, and cost more to build than the query
    takes to run."""
    parts = [(_audit_of(kind), _item_rows(kind, with_tags=with_tags)) for kind in ITEM_MODELS]
    drawn_on = Recommendation.cases.through.objects.annotate(
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
    cases = Case.objects.annotate(
        **_columns(
            "case",
            pk=F("pk"),
            text=F("label"),
            agency=Value(None, output_field=CharField()),
            case=Value(None, output_field=IntegerField()),
            order=F("order"),
            tag=Value(None, output_field=CharField()),
        )
    )
    parts.append(("audit_id", cases))
    return [(audit_of, part.values_list(*COLUMNS).order_by()) for audit_of, part in parts]


def _audit_of(kind: str) -> str:
    return "case__audit_id" if kind in ("strength", "finding") else "audit_id"


def _item_rows(kind: str, *, with_tags: bool) -> QuerySet:
    per_case = kind in ("strength", "finding")
    return ITEM_MODELS[kind].objects.annotate(
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
