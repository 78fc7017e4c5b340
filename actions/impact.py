"""A re-audit beside its original: audit-tool grades per agency and section, the findings' tags
that recur or no longer appear, and each original recommendation's impact verdict with the state
of the actions that answered it.

It lives in `actions` because it reads the action plan as well as the cases and findings.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.text import slugify

from cases.models import AgencySubmission, Audit, Grade, ToolAnswer
from findings.models import Finding, ImpactVerdict, Recommendation
from maca.pdf import render_pdf

from .models import Action

PDF_TEMPLATE = "reports/comparison_pdf.html"
PDF_STYLESHEETS = ["css/pdf-page.css", "css/comparison-pdf.css"]

SCORES = {
    Grade.OUTSTANDING: 4,
    Grade.GOOD: 3,
    Grade.REQUIRES_IMPROVEMENT: 2,
    Grade.INADEQUATE: 1,
}
GRADE_OF_SCORE = {score: Grade(grade).label for grade, score in SCORES.items()}


def grade_words(score: float | None) -> str:
    """An average score in the grade's words: "Good", or "Good to requires improvement"."""
    if score is None:
        return "Not graded"
    low, high = math.floor(score), math.ceil(score)
    if low == high:
        return GRADE_OF_SCORE[low]
    return f"Between {GRADE_OF_SCORE[high].lower()} and {GRADE_OF_SCORE[low].lower()}"


@dataclass
class GradeRow:
    agency: str
    section: str
    before: float | None
    after: float | None

    @property
    def change(self) -> str:
        if self.before is None or self.after is None:
            return "not in both"
        if self.after > self.before:
            return "better"
        if self.after < self.before:
            return "worse"
        return "same"

    @property
    def before_words(self) -> str:
        return grade_words(self.before)

    @property
    def after_words(self) -> str:
        return grade_words(self.after)


def _average_grades(audit: Audit) -> dict[tuple[str, str], float]:
    """The mean score of each agency's submitted grades per audit-tool section (one query);
    "not applicable" and ungraded answers are left out."""
    answers = ToolAnswer.objects.filter(
        submission__case__audit=audit,
        submission__status=AgencySubmission.Status.SUBMITTED,
        grade__in=list(SCORES),
    ).values_list("submission__agency__name", "question__section__title", "grade")
    scores: dict[tuple[str, str], list[int]] = defaultdict(list)
    for agency, section, grade in answers:
        scores[(agency, section)].append(SCORES[grade])
    return {key: round(sum(values) / len(values), 2) for key, values in scores.items()}


def _section_places(*audits: Audit) -> dict[str, int]:
    """Each audit-tool section's place in the tool, the re-audit's order first: its questions
    are the original's, copied, with any sections added since after them."""
    places: dict[str, int] = {}
    for audit in audits:
        for title in audit.tool_sections.order_by("order", "id").values_list("title", flat=True):
            places.setdefault(title, len(places))
    return places


def grade_rows(original: Audit, reaudit: Audit) -> list[GradeRow]:
    """Each agency's grades in the two audits, per section, the sections in the audit tool's
    order (as agencies answered them), not alphabetically."""
    before, after = _average_grades(original), _average_grades(reaudit)
    places = _section_places(reaudit, original)
    keys = sorted(
        set(before) | set(after),
        key=lambda key: (key[0].lower(), places.get(key[1], len(places)), key[1].lower()),
    )
    return [
        GradeRow(agency, section, before.get((agency, section)), after.get((agency, section)))
        for agency, section in keys
    ]


@dataclass
class TagChange:
    name: str
    cases_before: list[str] = field(default_factory=list)
    cases_after: list[str] = field(default_factory=list)


def _finding_tags(audit: Audit) -> dict[str, list[str]]:
    """Each tag on the audit's findings, with the labels of the cases it was found in."""
    tagged: dict[str, list[str]] = {}
    through = Finding.tags.through.objects.filter(finding__case__audit=audit).values_list(
        "tag__name", "finding__case__label", "finding__case__order"
    )
    for name, label, _order in sorted(through, key=lambda row: (row[2], row[1])):
        labels = tagged.setdefault(name, [])
        if label not in labels:
            labels.append(label)
    return tagged


def tag_changes(original: Audit, reaudit: Audit) -> dict:
    before, after = _finding_tags(original), _finding_tags(reaudit)
    names = sorted(set(before) | set(after), key=str.lower)
    changes = [TagChange(name, before.get(name, []), after.get(name, [])) for name in names]
    return {
        "recurring": [c for c in changes if c.cases_before and c.cases_after],
        "gone": [c for c in changes if c.cases_before and not c.cases_after],
        "new": [c for c in changes if c.cases_after and not c.cases_before],
        "original": [c for c in changes if c.cases_before],
        "reaudit_has_tags": bool(after),
    }


def recommendations_with_impact(original: Audit, reaudit: Audit) -> list[Recommendation]:
    """The original's recommendations, each with `verdict` (this re-audit's, or None) and its
    actions (`action_list`, with their RAG rating), in three queries."""
    recommendations = list(
        Recommendation.objects.filter(audit=original).prefetch_related(
            Prefetch(
                "actions",
                queryset=Action.objects.with_rag().select_related("owner_agency"),
                to_attr="action_list",
            )
        )
    )
    verdicts = {v.recommendation_id: v for v in ImpactVerdict.objects.filter(reaudit=reaudit)}
    for recommendation in recommendations:
        recommendation.verdict = verdicts.get(recommendation.pk)
    return recommendations


def comparison_context(reaudit: Audit) -> dict:
    original = Audit.objects.select_related("theme", "partnership").get(pk=reaudit.reaudit_of_id)
    rows = grade_rows(original, reaudit)
    recommendations = recommendations_with_impact(original, reaudit)
    verdict_counts = {label: 0 for label in ImpactVerdict.Verdict.labels}
    for recommendation in recommendations:
        if recommendation.verdict:
            verdict_counts[recommendation.verdict.get_verdict_display()] += 1
    undecided = sum(1 for recommendation in recommendations if not recommendation.verdict)
    if undecided:
        verdict_counts["Not recorded yet"] = undecided
    return {
        "audit": reaudit,
        "original": original,
        "grade_rows": rows,
        "grade_counts": {
            change: sum(1 for row in rows if row.change == change)
            for change in ("better", "same", "worse")
        },
        "tags": tag_changes(original, reaudit),
        "recommendations": recommendations,
        "verdict_counts": verdict_counts,
        "document_title": f"Re-audit compared: {reaudit.theme.name}",
    }


def render_comparison_pdf(reaudit: Audit) -> bytes:
    return render_pdf(PDF_TEMPLATE, comparison_context(reaudit), stylesheets=PDF_STYLESHEETS)


def comparison_filename(reaudit: Audit) -> str:
    return f"{slugify(reaudit.theme.name) or 'audit'}-re-audit-comparison.pdf"
