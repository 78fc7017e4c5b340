"""The meeting pack: each case's submissions and a summary of the grades agencies gave.

Only submitted audit tools count in the grade summaries: drafts may still change.
A constant number of queries whatever the size of the audit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import F

from cases.models import AgencySubmission, Audit, Grade, ToolAnswer
from cases.selectors.progress import is_asked

GRADES = list(Grade)
# Badge colours for each grade; the grade is always written out as well.
GRADE_CSS = {
    Grade.OUTSTANDING.value: "text-bg-success",
    Grade.GOOD.value: "text-bg-primary",
    Grade.REQUIRES_IMPROVEMENT.value: "text-bg-warning",
    Grade.INADEQUATE.value: "text-bg-danger",
    Grade.NOT_APPLICABLE.value: "text-bg-secondary",
}


@dataclass
class GradeCell:
    counts: Counter
    asked: bool = True  # the agency is involved in the case, so asked for its audit tool

    @property
    def grades(self) -> list[tuple[str, str, int]]:
        """(grade in words, badge class, count) in the order of the scale, only grades given."""
        return [
            (grade.label, GRADE_CSS[grade.value], self.counts[grade.value])
            for grade in GRADES
            if self.counts[grade.value]
        ]


def pack_context(audit: Audit) -> dict:
    sections = list(audit.tool_sections.order_by("order", "id").prefetch_related("questions"))
    agencies = list(audit.agencies.order_by("name"))
    # Each case with the agencies involved in it, in the same query: one row per involved agency
    # (one row with None for a case that records none, when every agency taking part is asked).
    cases, involved = [], {}
    for case in audit.cases.order_by("order", "id").annotate(involved_agency=F("agencies")):
        if case.pk not in involved:
            cases.append(case)
            involved[case.pk] = set()
        if case.involved_agency is not None:
            involved[case.pk].add(case.involved_agency)
    statuses = {
        (case_id, agency_id): status
        for case_id, agency_id, status in AgencySubmission.objects.filter(
            case__audit=audit
        ).values_list("case_id", "agency_id", "status")
    }
    # (case, agency, section) -> Counter of grades, from submitted audit tools only.
    grades: dict[tuple[int, int, int], Counter] = {}
    overall: dict[int, Counter] = {section.pk: Counter() for section in sections}
    answers = (
        ToolAnswer.objects.filter(
            submission__case__audit=audit,
            submission__status=AgencySubmission.Status.SUBMITTED,
        )
        .exclude(grade="")
        .values_list(
            "submission__case_id", "submission__agency_id", "question__section_id", "grade"
        )
    )
    for case_id, agency_id, section_id, grade in answers:
        grades.setdefault((case_id, agency_id, section_id), Counter())[grade] += 1
        overall.setdefault(section_id, Counter())[grade] += 1

    case_rows = []
    for case in cases:
        # Only the agencies involved in the case are asked for its audit tool (as the progress
        # matrix counts); another agency's return, if one was ever started, is listed apart.
        submissions, not_involved = [], []
        for agency in agencies:
            status = statuses.get((case.pk, agency.pk), "not_started")
            if is_asked(involved[case.pk], agency.pk):
                submissions.append((agency, status))
            elif status != "not_started":
                not_involved.append((agency, status))
        summary = [
            (
                section,
                [
                    GradeCell(
                        grades.get((case.pk, agency.pk, section.pk), Counter()),
                        asked=is_asked(involved[case.pk], agency.pk),
                    )
                    for agency in agencies
                ],
            )
            for section in sections
        ]
        submitted = sum(status == AgencySubmission.Status.SUBMITTED for _a, status in submissions)
        case_rows.append(
            {
                "case": case,
                "submissions": submissions,
                "not_involved": not_involved,
                "summary": summary,
                "submitted": submitted,
            }
        )
    overall_rows = [
        (section, [overall[section.pk][grade.value] for grade in GRADES]) for section in sections
    ]
    return {
        "sections": sections,
        "agencies": agencies,
        "case_rows": case_rows,
        "grades": GRADES,
        "overall_rows": overall_rows,
        "overall_totals": [
            sum(overall[section.pk][grade.value] for section in sections) for grade in GRADES
        ],
    }
