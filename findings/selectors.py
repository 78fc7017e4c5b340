"""Reads for the 6-step briefing: one context, a constant number of queries, HTML and PDF alike."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch

from cases.models import Audit, BriefingParagraph, Case
from cases.naming import audit_name
from maca.wording import DRAFT_MARKING, counted

from .items import agency_lead, briefing_items
from .models import (
    CaseMeetingNote,
    Finding,
    GoodPractice,
    MeetingRecord,
    Recommendation,
    Strength,
)


@dataclass
class CaseItems:
    case: Case
    items: list


@dataclass
class AnnexAction:
    """An action as the briefing's annex prints it: what, who owns it, by when."""

    pk: int
    text: str
    agency: object
    due_date: object

    @property
    def agency_id(self):
        return self.agency.pk if self.agency else None

    @property
    def agency_lead(self) -> str:
        return agency_lead(self.agency, self.text)


LEARNING_SUMMARY_HEADING = "Learning summary"
ACTIONS_ANNEX_HEADING = "Annex: actions"


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


def briefing_sections(audit: Audit, *, with_tags: bool = False) -> list[BriefingSection]:
    """The briefing's sections in order, each with its own heading, empty ones left out; with
    each item's learning tags when `with_tags` (the briefing does not print them).

    Runs two queries whatever the size of the audit: paragraphs, then the cases and the items
    of every section with the cases each recommendation draws on (read as values).
    """
    paragraphs = list(audit.paragraphs.all())
    items = briefing_items(audit, with_tags=with_tags)
    cases = items.cases

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
        BriefingSection(
            "learning_summary", LEARNING_SUMMARY_HEADING, paragraphs=_learning_summary(audit)
        ),
        BriefingSection("actions_annex", ACTIONS_ANNEX_HEADING, items=_annex_actions(audit)),
    ]
    return [section for section in sections if not section.is_empty]


def _learning_summary(audit: Audit) -> list[str]:
    """The meeting record's learning summary, a point per line, when the audit includes it."""
    if not audit.include_learning_summary:
        return []
    summary = (
        MeetingRecord.objects.filter(audit=audit).values_list("learning_summary", flat=True).first()
    )
    return [line.strip() for line in (summary or "").splitlines() if line.strip()]


# Readers of the annex's actions: the action plan is built on this app and registers its reader
# from its `AppConfig.ready()` (actions/publishing.py). A reader takes the audit and returns its
# AnnexActions.
_annex_readers: list = []


def register_annex_actions(reader):
    """Add a reader of the actions printed in the briefing's annex (usable as a decorator)."""
    if reader not in _annex_readers:
        _annex_readers.append(reader)
    return reader


def _annex_actions(audit: Audit) -> list[AnnexAction]:
    """The audit's actions, not the cancelled ones, when the audit includes the annex and the
    chair publishes the plan with the briefing: until then the plan's words stay with those who
    may read them (a co-ordinator reads only their own agency's actions)."""
    if not (audit.include_actions_annex and audit.plan_published_at):
        return []
    return [action for reader in _annex_readers for action in reader(audit)]


def annex_waits_for_plan(audit: Audit) -> int:
    """How many actions the briefing's annex would list once the plan is published with it:
    0 when the annex is printed already, or would be empty, or the audit leaves it out."""
    if not audit.include_actions_annex or audit.plan_published_at:
        return 0
    return sum(len(reader(audit)) for reader in _annex_readers)


def audit_scope(audit: Audit) -> str:
    """ "6 cases, 8 agencies taking part": what the audit covered, for the briefing's cover."""
    counts = Audit.objects.filter(pk=audit.pk).aggregate(
        cases=Count("cases", distinct=True), agencies=Count("agencies", distinct=True)
    )
    agencies = counts["agencies"]
    return (
        f"{counted(counts['cases'], 'case')}, "
        f"{agencies} {'agency' if agencies == 1 else 'agencies'} taking part"
    )


def briefing_context(audit: Audit) -> dict:
    """Everything the briefing templates need. `audit` must come with theme and partnership."""
    return {
        "audit": audit,
        "sections": briefing_sections(audit),
        "document_title": f"{audit.title}: {audit_name(audit)}",
        "scope": audit_scope(audit),
        "draft_marking": DRAFT_MARKING,
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
    # The cases in their order, as on the audit page ("Case A, Case B"), not in the order the
    # items naming them happen to be read.
    position = {case.label: index for index, case in enumerate(cases)}
    for use in uses.values():
        use.case_labels.sort(key=lambda label: position.get(label, len(position)))
    return sorted(uses.values(), key=lambda u: (-len(u.case_labels), -u.items, u.tag.name.lower()))


@dataclass
class CaseContext:
    """Beside a case's items while writing: the meeting's notes on it and, for those who may
    read the agencies' returns, each agency's submitted audit-tool grades and answers."""

    note: str = ""
    submissions: list = field(default_factory=list)


def case_context(audit: Audit, *, with_returns: bool) -> dict[int, CaseContext]:
    """{case id: CaseContext}, in two queries (three with the returns)."""
    from cases.models import AgencySubmission, ToolAnswer

    contexts = {case_id: CaseContext() for case_id in audit.cases.values_list("pk", flat=True)}
    notes = CaseMeetingNote.objects.filter(case__audit=audit).exclude(text="")
    for case_id, text in notes.values_list("case_id", "text"):
        contexts[case_id].note = text
    if with_returns:
        submissions = (
            AgencySubmission.objects.filter(
                case__audit=audit, status=AgencySubmission.Status.SUBMITTED
            )
            .select_related("agency")
            .prefetch_related(
                Prefetch(
                    "answers",
                    queryset=ToolAnswer.objects.select_related("question").order_by(
                        "question__section__order", "question__order", "question_id"
                    ),
                )
            )
            .order_by("agency__name")
        )
        for submission in submissions:
            contexts[submission.case_id].submissions.append(submission)
    return contexts


def latest_published_version(audit: Audit):
    """The briefing version that the audit's main briefing buttons give, or None before the
    first is published (without its stored files): no query before then, as the audit records
    when its first version was published."""
    if audit.briefing_published_at is None:
        return None
    return audit.briefing_versions.only("number", "published_at", "audit_id").first()


def briefing_version_dates(audit: Audit) -> dict[int, datetime.datetime]:
    """Each published version's number and when it was published, the latest first."""
    return dict(audit.briefing_versions.order_by("-number").values_list("number", "published_at"))


def briefing_version_pages(audit: Audit, numbers) -> dict[int, str]:
    """The pages of these published versions, exactly as they went out."""
    return dict(audit.briefing_versions.filter(number__in=numbers).values_list("number", "html"))
