"""The confidential case pack for the members of an audit's meeting.

Per case: the strengths and findings written for the briefing, the summary of the grades agencies
gave in their submitted audit tools, and the integrated chronology. Cases are named by their
pseudonymous labels only: nothing here reads a child's identifying details.

HTML and PDF share one context, built in a constant number of queries whatever the number of
cases, agencies or chronology rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from cases.models import Audit, Case, ChronologyEntry
from cases.selectors.chronology import in_date_order
from cases.selectors.pack import pack_context
from maca.pdf import render_pdf

from .models import Finding, Strength

PDF_TEMPLATE = "reports/casepack_pdf.html"
PDF_STYLESHEETS = ["css/pdf-page.css", "css/casepack-pdf.css"]
CONFIDENTIAL = "CONFIDENTIAL — meeting members only"


@dataclass
class CasePackEntry:
    """Everything the case pack shows for one case."""

    case: Case
    strengths: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    submissions: list = field(default_factory=list)  # (agency, status), as the meeting pack has
    submitted: int = 0
    grade_summary: list = field(default_factory=list)  # (section, [GradeCell per agency])

    @property
    def has_grades(self) -> bool:
        return any(cell.counts for _section, cells in self.grade_summary for cell in cells)


def audit_chronology(audit: Audit) -> dict[int, list[ChronologyEntry]]:
    """The integrated chronology of every case of `audit` at once, keyed by case id.

    Each case's rows come in the order of `cases.selectors.chronology.integrated_chronology`
    (its own `in_date_order`), read in one query for the whole audit rather than one per case.
    """
    by_case: dict[int, list[ChronologyEntry]] = {}
    entries = ChronologyEntry.objects.filter(case__audit=audit).select_related("agency")
    for entry in in_date_order(entries):
        by_case.setdefault(entry.case_id, []).append(entry)
    return by_case


def case_pack_context(audit: Audit) -> dict:
    """The case pack for `audit`, which must come with theme and partnership (as the gate gives
    it). Ten queries whatever the size of the audit."""
    pack = pack_context(audit)  # grade summaries and submission statuses: six queries
    cases = {
        case.pk: case
        for case in audit.cases.prefetch_related(
            Prefetch("strengths", queryset=Strength.objects.select_related("agency")),
            Prefetch("findings", queryset=Finding.objects.select_related("agency")),
        )
    }
    chronology = audit_chronology(audit)
    entries = []
    for row in pack["case_rows"]:
        case = cases.get(row["case"].pk)
        if case is None:  # deleted between the two reads
            continue
        entries.append(
            CasePackEntry(
                case=case,
                strengths=list(case.strengths.all()),
                findings=list(case.findings.all()),
                entries=chronology.get(case.pk, []),
                submissions=row["submissions"],
                submitted=row["submitted"],
                grade_summary=row["summary"],
            )
        )
    return {
        "audit": audit,
        "cases": entries,
        "sections": pack["sections"],
        "agencies": pack["agencies"],
        "confidential": CONFIDENTIAL,
        "document_title": f"Case pack: {audit.theme.name}",
        "generated_at": timezone.localtime(),
    }


def render_pdf_bytes(audit: Audit) -> bytes:
    return render_pdf(PDF_TEMPLATE, case_pack_context(audit), stylesheets=PDF_STYLESHEETS)


def pdf_filename(audit: Audit) -> str:
    return f"{audit.file_stem}-case-pack.pdf"
