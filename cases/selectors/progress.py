"""The completeness matrix: for each case and agency taking part, what is in and what is missing.

One query per table whatever the number of cases and agencies; the grid is built in Python.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from django.db.models import CharField, Count, Exists, F, IntegerField, OuterRef, QuerySet, Value
from django.utils import timezone

from cases.models import AgencySubmission, Audit, Case, ChronologyEntry, ChronologyFile
from maca.models import Agency

NOT_STARTED = "not_started"
TOOL_LABELS = {
    NOT_STARTED: "Not started",
    AgencySubmission.Status.DRAFT: "Draft",
    AgencySubmission.Status.SUBMITTED: "Submitted",
}


@dataclass
class Cell:
    case: object
    agency: Agency
    has_document: bool  # a chronology document was uploaded
    row_count: int  # chronology rows typed or imported
    tool: str  # NOT_STARTED, "draft" or "submitted"
    overdue: bool
    linkable: bool  # the viewer may open this agency's work
    # Whether a return is expected: the agency is involved in the case (or the case records no
    # agencies involved, and every agency taking part is asked).
    expected: bool = True

    @property
    def chronology(self) -> bool:
        """A chronology was given, either way: a document or rows."""
        return self.has_document or self.row_count > 0

    @property
    def chronology_label(self) -> str:
        """How it was given, in the case page's words: "document", "12 rows", "document and
        1 row" or "not given"."""
        rows = f"{self.row_count} row{'' if self.row_count == 1 else 's'}"
        if self.has_document:
            return f"document and {rows}" if self.row_count else "document"
        return rows if self.row_count else "not given"

    @property
    def tool_label(self) -> str:
        return TOOL_LABELS[self.tool]

    @property
    def tool_submitted(self) -> bool:
        return self.tool == AgencySubmission.Status.SUBMITTED

    @property
    def complete(self) -> bool:
        return self.chronology and self.tool_submitted

    @property
    def nothing_asked_or_given(self) -> bool:
        """Not involved in the case, and nothing sent in for it: there is nothing to open."""
        return not self.expected and not self.chronology and self.tool == NOT_STARTED

    @property
    def missing(self) -> list[str]:
        """What is still to come, in words."""
        items = []
        if not self.chronology:
            items.append("chronology not uploaded")
        if not self.tool_submitted:
            items.append(f"audit tool {self.tool_label.lower()}")
        return items


@dataclass
class Tally:
    complete: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.complete / self.total) if self.total else 0


@dataclass
class AgencyColumn:
    agency: Agency
    tally: Tally = field(default_factory=Tally)
    linkable: bool = False


@dataclass
class Progress:
    audit: Audit
    columns: list[AgencyColumn]
    rows: list[tuple[object, list[Cell]]]
    overall: Tally
    deadline_passed: bool

    @property
    def cells(self) -> Iterable[Cell]:
        for _case, cells in self.rows:
            yield from cells


def deadline_passed(audit: Audit, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return audit.submission_deadline is not None and today > audit.submission_deadline


def is_asked(involved: set[int], agency_id: int) -> bool:
    """An agency is asked for a chronology and an audit tool on a case when it is involved in
    it, or when the case records no agencies involved (then every agency taking part is)."""
    return not involved or agency_id in involved


@dataclass
class _Returns:
    """What agencies have given, by (case id, agency id): documents, row counts, tool states;
    and the agencies involved in each case, by case id."""

    documents: set = field(default_factory=set)
    row_counts: dict = field(default_factory=dict)
    tools: dict = field(default_factory=dict)
    involved: dict = field(default_factory=dict)

    def cell(self, case, agency, *, linkable: bool, passed: bool) -> Cell:
        key = (case.pk, agency.pk)
        cell = Cell(
            case=case,
            agency=agency,
            has_document=key in self.documents,
            row_count=self.row_counts.get(key, 0),
            tool=self.tools.get(key, NOT_STARTED),
            overdue=False,
            linkable=linkable,
            expected=is_asked(self.involved.get(case.pk, set()), agency.pk),
        )
        cell.overdue = passed and cell.expected and not cell.complete
        return cell


RETURN_COLUMNS = ("row_kind", "row_case", "row_agency", "row_number", "row_state")


def _returns(cases: dict, agencies: dict | None = None) -> _Returns:
    """What has come in on the cases matching `cases` (from the agencies matching `agencies`),
    and which agencies each case involves, in one query: a row per document, per case and
    agency with chronology rows (their number), per audit tool (its state), per agency
    involved."""
    given_by = {**cases, **(agencies or {})}
    documents, counted, tools, involved = _return_parts()
    union = documents.filter(**given_by).union(
        counted.filter(**given_by),
        tools.filter(**given_by),
        involved.filter(**cases),
        all=True,
    )
    given = _Returns()
    for kind, case_id, agency_id, number, state in union:
        key = (case_id, agency_id)
        if kind == "document":
            given.documents.add(key)
        elif kind == "rows":
            given.row_counts[key] = number
        elif kind == "tool":
            given.tools[key] = state
        else:
            given.involved.setdefault(case_id, set()).add(agency_id)
    return given


@cache
def _return_parts() -> tuple[QuerySet, ...]:
    """The union's parts, each yet to be narrowed to the cases and agencies asked about. Built
    once: their columns cost more to build than the query takes to run."""

    def rows(model, kind, *, state=None):
        return (
            model.objects.order_by()
            .annotate(
                row_kind=Value(kind, output_field=CharField()),
                row_case=F("case_id"),
                row_agency=F("agency_id"),
                row_number=Value(1, output_field=IntegerField()),
                row_state=state or Value("", output_field=CharField()),
            )
            .values_list(*RETURN_COLUMNS)
        )

    counted = (
        ChronologyEntry.objects.order_by()
        .values("case_id", "agency_id")
        .annotate(
            row_kind=Value("rows", output_field=CharField()),
            row_case=F("case_id"),
            row_agency=F("agency_id"),
            row_number=Count("id"),
            row_state=Value("", output_field=CharField()),
        )
        .values_list(*RETURN_COLUMNS)
    )
    return (
        rows(ChronologyFile, "document"),
        counted,
        rows(AgencySubmission, "tool", state=F("status")),
        rows(Case.agencies.through, "involved"),
    )


def progress_matrix(
    audit: Audit,
    *,
    agencies: list[Agency] | None = None,
    agency_ids: Iterable[int] | None = None,
    linkable_ids: Iterable[int] = (),
    today: datetime.date | None = None,
) -> Progress:
    """Cases × agencies taking part (only `agency_ids` when given), in three queries (two when
    the agencies taking part, by name, are given)."""
    if agencies is None:
        agencies = list(audit.agencies.order_by("name"))
    if agency_ids is not None:
        wanted = set(agency_ids)
        agencies = [agency for agency in agencies if agency.pk in wanted]
    linkable = set(linkable_ids)
    cases = list(audit.cases.order_by("order", "id"))
    given = _returns({"case__audit": audit})
    passed = deadline_passed(audit, today)
    columns = [AgencyColumn(agency, linkable=agency.pk in linkable) for agency in agencies]
    overall = Tally()
    rows = []
    for case in cases:
        cells = []
        for column in columns:
            cell = given.cell(case, column.agency, linkable=column.linkable, passed=passed)
            cells.append(cell)
            if cell.expected:
                for tally in (column.tally, overall):
                    tally.total += 1
                    tally.complete += cell.complete
        rows.append((case, cells))
    return Progress(audit, columns, rows, overall, passed)


def work_of_agencies(audit: Audit, cases: list, agencies: list[Agency]) -> list[Cell]:
    """What `agencies` have given on each of `cases` (already fetched), for a co-ordinator's
    list of their own work: one cell per agency and case, in one query whatever their number."""
    if not cases or not agencies:
        return []
    given = _returns(
        {"case_id__in": [case.pk for case in cases]},
        {"agency_id__in": [agency.pk for agency in agencies]},
    )
    passed = deadline_passed(audit)
    return [
        given.cell(case, agency, linkable=True, passed=passed)
        for agency in agencies
        for case in cases
    ]


# Agencies named in the sentence saying which returns are still to come; the rest are counted.
MAX_AGENCIES_NAMED = 6


def returns_not_complete(progress: Progress) -> str | None:
    """Which agency returns are still to come, in a sentence naming each agency and its cases
    (the first MAX_AGENCIES_NAMED agencies; the rest counted); None when all are in."""
    by_agency = missing_by_agency(progress)
    if not by_agency:
        return None
    missing = sum(len(cells) for cells in by_agency.values())
    total = progress.overall.total
    named = [
        f"{cells[0].agency.name} ({', '.join(cell.case.label for cell in cells)})"
        for cells in list(by_agency.values())[:MAX_AGENCIES_NAMED]
    ]
    if (more := len(by_agency) - MAX_AGENCIES_NAMED) > 0:
        named.append(f"{more} more agenc{'y' if more == 1 else 'ies'}")
    returns = "return" if total == 1 else "returns"
    verb = "is" if missing == 1 else "are"
    return (
        f"{missing} of {total} agency {returns} (a chronology and an audit tool for each case) "
        f"{verb} not complete yet: {'; '.join(named)}."
    )


def agencies_taking_part(audit: Audit) -> list[Agency]:
    """The agencies taking part in `audit` by name, each with `reachable`: whether it has an
    active co-ordinator with an email address, whom a reminder reaches. One query."""
    from maca.models import Membership

    coordinator = Membership.objects.filter(
        partnership_id=audit.partnership_id,
        agency_id=OuterRef("pk"),
        role=Membership.Role.COORDINATOR,
        user__is_active=True,
    ).exclude(user__email="")
    return list(audit.agencies.annotate(reachable=Exists(coordinator)).order_by("name"))


def agencies_without_coordinator(audit: Audit) -> list[Agency]:
    """The agencies taking part that have no active co-ordinator with an email address: nobody
    a reminder could reach. One query."""
    return [agency for agency in agencies_taking_part(audit) if not agency.reachable]


def missing_by_agency(progress: Progress) -> dict[int, list[Cell]]:
    """{agency id: its incomplete cells}, only for agencies with something missing."""
    missing: dict[int, list[Cell]] = {}
    for cell in progress.cells:
        if cell.expected and not cell.complete:
            missing.setdefault(cell.agency.pk, []).append(cell)
    return missing


def asked_of(case, agency) -> bool:
    """Whether `agency` is asked for a chronology and an audit tool on `case`: it is involved in
    the case, or the case records no agencies involved (every agency taking part is asked), as
    the matrix's `Cell.expected` says. One query."""
    return is_asked(set(case.agencies.values_list("pk", flat=True)), agency.pk)


def not_asked_message(case, agency) -> str:
    return (
        f"{agency.name} is not involved in {case.label}, so nothing is asked of it for this case: "
        "there is no chronology or audit tool to send."
    )
