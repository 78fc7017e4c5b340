"""Reads for the case page, an agency's chronology and the integrated chronology.

Each runs a constant number of queries however many agencies, files and rows there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Count
from django.db.models.functions import Coalesce

from cases.models import AgencySubmission, Case, ChronologyEntry, ChronologyFile
from cases.selectors.progress import is_asked

Precision = ChronologyEntry.Precision

# Uncertain dates are stored at the start of their month or year; on the same day, the less
# precise one comes first (a year, then a month, then a day).
_PRECISION_RANK = models.Case(
    models.When(date_precision=Precision.YEAR, then=models.Value(0)),
    models.When(date_precision=Precision.MONTH, then=models.Value(1)),
    default=models.Value(2),
    output_field=models.IntegerField(),
)


def in_date_order(entries):
    """`entries` in chronological order, approximate dates first on their day."""
    return entries.annotate(precision_rank=_PRECISION_RANK).order_by(
        "date", "precision_rank", "agency__name", "id"
    )


@dataclass
class AgencyWork:
    """One agency's work on one case, as the case page lists it."""

    agency: object
    files: list = field(default_factory=list)
    row_count: int = 0
    submission: AgencySubmission | None = None
    asked: bool = True  # involved in the case (progress.is_asked): a return is expected

    @property
    def nothing_asked_or_given(self) -> bool:
        """Not involved in the case, and nothing sent in for it, as the progress page says."""
        return not self.asked and not self.files and not self.row_count and not self.submission

    @property
    def current_file(self):
        return self.files[0] if self.files else None


def case_page(
    case: Case, agency_ids: set[int], agencies: list, involved: set[int]
) -> list[AgencyWork]:
    """The work of `agencies` (those of `agency_ids` only) on `case`: files, rows, audit tool,
    and whether each is asked for them (is involved in the case)."""
    work = {
        agency.pk: AgencyWork(agency, asked=is_asked(involved, agency.pk))
        for agency in agencies
        if agency.pk in agency_ids
    }
    if not work:
        return []
    files = ChronologyFile.objects.filter(case=case, agency_id__in=work).select_related(
        "uploaded_by"
    )
    for document in files.order_by("-uploaded_at", "-id"):
        work[document.agency_id].files.append(document)
    counts = (
        ChronologyEntry.objects.filter(case=case, agency_id__in=work)
        .values("agency_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in counts:
        work[row["agency_id"]].row_count = row["n"]
    for submission in AgencySubmission.objects.filter(case=case, agency_id__in=work):
        work[submission.agency_id].submission = submission
    return list(work.values())


def agency_chronology(case: Case, agency) -> dict:
    """An agency's chronology for a case: its documents, newest first, and its rows in order."""
    files = list(
        ChronologyFile.objects.filter(case=case, agency=agency)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )
    entries = list(in_date_order(ChronologyEntry.objects.filter(case=case, agency=agency)))
    return {"files": files, "current_file": files[0] if files else None, "entries": entries}


def integrated_chronology(
    case: Case, *, agency_ids: set[int] | None = None, impacts: set[str] | None = None
) -> list[ChronologyEntry]:
    """Every agency's rows for `case` merged into one timeline, optionally filtered."""
    return list(integrated_rows(case, agency_ids=agency_ids, impacts=impacts))


def agencies_to_filter_by(audit, case, *, chosen: set[int]) -> list:
    """The audit's agencies with rows in `case`'s chronology (and any chosen in the address),
    each with its `row_count`: one query."""
    counts = (
        ChronologyEntry.objects.filter(case=case, agency=models.OuterRef("pk"))
        .order_by()
        .values("agency")
        .annotate(n=Count("pk"))
        .values("n")
    )
    agencies = audit.agencies.annotate(row_count=Coalesce(models.Subquery(counts), 0))
    return [agency for agency in agencies if agency.row_count or agency.pk in chosen]


def integrated_rows(case: Case, *, agency_ids=None, impacts=None):
    """As `integrated_chronology`, unread: for a page of it at a time."""
    entries = ChronologyEntry.objects.filter(case=case).select_related("agency")
    if agency_ids:
        entries = entries.filter(agency_id__in=agency_ids)
    if impacts:
        entries = entries.filter(impact__in=impacts)
    return in_date_order(entries)
