"""Trends across a partnership's published audits over a period: tags, grades, returns and
actions, as charts that each carry their figures as a table. Built in a constant number of
queries whatever the number of audits."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.urls import reverse
from django.utils import timezone

from actions.access import restrict_actions
from actions.models import Action, PackageImport
from cases import access
from cases.models import AgencySubmission, Audit, Case, Grade, ToolAnswer
from findings.models import BriefingVersion
from maca.access import MEMBERS, roles_in_partnership
from maca.models import Membership
from maca.wording import counted

from .models import LibraryEntry

Role = Membership.Role

RECENT_AUDITS = 4  # a finding tag in at least two of the last four audits recurs
AUDITS_CHARTED = 12  # actions by audit: the latest, so the chart stays readable
RECURRING_MIN = 2
TOP_TAGS = 12
GRADES = [Grade.OUTSTANDING, Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.INADEQUATE]


@dataclass
class Chart:
    """One chart and its figures: `rows` of (label, values in the order of `columns`)."""

    key: str
    title: str
    description: str
    row_heading: str
    columns: list[str]
    rows: list[tuple[str, list[int]]]
    kind: str = "bars"  # "bars" side by side, "stacked" bars, or a "heatmap"
    # What the page says in the chart's place when it has nothing to show.
    empty_text: str = "Nothing to show for this partnership and period."

    @property
    def is_empty(self) -> bool:
        return not any(any(values) for _, values in self.rows)


@dataclass
class HeldAudit:
    pk: int
    theme: str
    held_on: datetime.date
    cases: int
    version: int
    theme_id: int = 0
    reaudit_of: HeldAudit | None = None  # the last earlier audit of the same theme

    @property
    def name(self) -> str:
        return f"{self.theme} ({self.held_on:%B %Y})"

    @property
    def url(self) -> str:
        return reverse("briefing_version", args=[self.pk, self.version])


@dataclass
class RecurringTag:
    name: str
    slug: str
    audits: list[HeldAudit] = field(default_factory=list)


@dataclass
class Trends:
    audits: list[HeldAudit]
    charts: dict[str, Chart]
    recurring: list[RecurringTag]
    recent: list[HeldAudit]


def held_on(audit="") -> Coalesce:
    """When an audit was held: its meeting, else the day its briefing was first published.
    `audit` is the path to the audit from the rows read ("audit__"), if they are not audits."""
    return Coalesce(f"{audit}meeting_date", TruncDate(f"{audit}briefing_published_at"))


def published_audits(user, *, partnership, start=None, end=None):
    """The partnership's audits with a published briefing that `user` may read, dated by their
    meeting (else their first publication), within the period."""
    versions = BriefingVersion.objects.filter(audit_id=OuterRef("pk"))
    latest = versions.order_by("-number").values("number")[:1]
    cases = Case.objects.filter(audit_id=OuterRef("pk")).order_by().values("audit_id")
    audits = (
        Audit.objects.visible_to(user)
        .filter(partnership=partnership, briefing_published_at__isnull=False)
        .annotate(
            held_on=held_on(),
            latest_version=Subquery(latest),
            case_count=Coalesce(Subquery(cases.annotate(n=Count("pk")).values("n")[:1]), 0),
        )
    )
    if start:
        audits = audits.filter(held_on__gte=start)
    if end:
        audits = audits.filter(held_on__lte=end)
    return audits.order_by("held_on", "pk")


def trends_for(user, *, partnership, start=None, end=None, today=None) -> Trends:
    today = today or timezone.localdate()
    audits = [
        HeldAudit(a.pk, a.theme.name, a.held_on, a.case_count, a.latest_version, a.theme_id)
        for a in published_audits(user, partnership=partnership, start=start, end=end)
        .select_related("theme")
        .only("pk", "theme__name", "meeting_date")
    ]
    last_of_theme: dict[int, HeldAudit] = {}
    for audit in audits:
        audit.reaudit_of = last_of_theme.get(audit.theme_id)
        last_of_theme[audit.theme_id] = audit
    ids = [audit.pk for audit in audits]
    tag_uses = _tag_uses(ids)
    recent = audits[-RECENT_AUDITS:]
    # Of a single audit, the tags by year are its tags: one chart of them, not the same twice.
    by_audit = {"recent-finding-tags": _tags_by_audit(tag_uses, recent)} if len(recent) > 1 else {}
    charts = {
        "finding-tags": _tags_by_year(tag_uses, audits, LibraryEntry.Section.FINDINGS),
        "strength-tags": _tags_by_year(tag_uses, audits, LibraryEntry.Section.STRENGTHS),
        **by_audit,
        "grades": _grades(user, ids),
        "returns": _returns(user, ids),
        **_actions(user, ids, audits, today),
    }
    tool_charts = [charts["grades"], charts["returns"]]
    if ids and any(chart.is_empty for chart in tool_charts):
        why = _why_no_audit_tools(user, partnership, ids)
        for chart in tool_charts:
            chart.empty_text = why or chart.empty_text
    return Trends(audits, charts, _recurring(tag_uses, recent), recent)


def _tag_uses(audit_ids) -> list[dict]:
    """(audit, section, tag) -> how many published items carry the tag: one query."""
    # `audit_ids` came through the gate, and strengths and findings are not a plan's actions:
    # every row of these audits in these sections is the user's to read.
    Through = LibraryEntry.tags.through
    return list(
        Through.objects.filter(
            libraryentry__audit_id__in=audit_ids,
            libraryentry__section__in=[
                LibraryEntry.Section.FINDINGS,
                LibraryEntry.Section.STRENGTHS,
            ],
        )
        .values(
            audit_id=F("libraryentry__audit_id"),
            section=F("libraryentry__section"),
            name=F("tag__name"),
            slug=F("tag__slug"),
        )
        .annotate(items=Count("pk"))
        .order_by()
    )


def _tags_by_year(tag_uses, audits, section) -> Chart:
    year_of = {audit.pk: audit.held_on.year for audit in audits}
    years = sorted(set(year_of.values()))
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for use in tag_uses:
        if use["section"] == section:
            counts[use["name"]][year_of[use["audit_id"]]] += use["items"]
    top = sorted(counts, key=lambda name: (-sum(counts[name].values()), name.lower()))[:TOP_TAGS]
    what = "findings" if section == LibraryEntry.Section.FINDINGS else "strengths"
    rows = [(name, [counts[name][year] for year in years]) for name in top]
    shown = f"{_the(len(top), 'tag')} most often given to published {what}"
    return Chart(
        key=f"{what[:-1]}-tags",
        title=f"Tags given to {what}, by year",
        description=_bars_description(
            rows,
            years,
            shown + _of_all(len(top), len(counts)),
            "year",
            in_all=sum(sum(by_year.values()) for by_year in counts.values()),
        ),
        row_heading="Tag",
        columns=[str(year) for year in years],
        rows=rows,
    )


def _tags_by_audit(tag_uses, recent) -> Chart:
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for use in tag_uses:
        if use["section"] == LibraryEntry.Section.FINDINGS:
            counts[use["name"]][use["audit_id"]] += use["items"]
    names = [name for name in counts if any(counts[name][a.pk] for a in recent)]
    # In most of the audits first, then most often given, so that what is cut is the least seen.
    names.sort(
        key=lambda name: (
            -sum(1 for a in recent if counts[name][a.pk]),
            -sum(counts[name][a.pk] for a in recent),
            name.lower(),
        )
    )
    rows = [(name, [counts[name][audit.pk] for audit in recent]) for name in names[:TOP_TAGS]]
    shown = (
        "the tags given to findings"
        if len(names) <= TOP_TAGS
        else (f"{_the(TOP_TAGS, 'tag')} given to findings in most of these audits")
    )
    return Chart(
        key="recent-finding-tags",
        title=f"Tags given to findings in {_the(len(recent), 'audit', last=True)}",
        description=_bars_description(
            rows,
            [a.name for a in recent],
            shown + _of_all(len(rows), len(names)),
            "audit",
            in_all=sum(counts[name][a.pk] for name in names for a in recent),
        ),
        row_heading="Tag",
        columns=[audit.name for audit in recent],
        rows=rows,
    )


def _of_all(shown: int, given: int) -> str:
    """Said of a chart cut to its first few rows: how many there are in all."""
    return f" ({given - shown} more not shown)" if given > shown else ""


def _recurring(tag_uses, recent) -> list[RecurringTag]:
    recent_by_pk = {audit.pk: audit for audit in recent}
    seen: dict[str, RecurringTag] = {}
    for use in tag_uses:
        audit = recent_by_pk.get(use["audit_id"])
        if audit is None or use["section"] != LibraryEntry.Section.FINDINGS:
            continue
        tag = seen.setdefault(use["slug"], RecurringTag(use["name"], use["slug"]))
        if audit not in tag.audits:
            tag.audits.append(audit)
    recurring = [tag for tag in seen.values() if len(tag.audits) >= RECURRING_MIN]
    for tag in recurring:
        tag.audits.sort(key=lambda audit: (audit.held_on, audit.pk))
    return sorted(recurring, key=lambda tag: (-len(tag.audits), tag.name.lower()))


def _grades(user, audit_ids) -> Chart:
    """Submitted audit-tool grades, counted by agency and question section, of the agencies
    whose audit tools `user` may read in each audit: one query."""
    answers = ToolAnswer.objects.filter(
        submission__case__audit_id__in=audit_ids,
        submission__status=AgencySubmission.Status.SUBMITTED,
        grade__in=GRADES,
    )
    counts = (
        access.restrict_agency_work(
            answers, user, audit="submission__case__audit", agency="submission__agency"
        )
        .values(agency_name=F("submission__agency__name"), section=F("question__section__title"))
        .annotate(
            **{grade: Count("pk", filter=Q(grade=grade)) for grade in GRADES},
        )
        .order_by("agency_name", "section")
    )
    rows = [
        (f"{row['agency_name']} — {row['section']}", [row[g] for g in GRADES]) for row in counts
    ]
    labels = [Grade(g).label for g in GRADES]
    return Chart(
        key="grades",
        title="Audit-tool grades by agency and question section",
        description=(
            f"A heat map of {counted(len(rows), 'row')}, one for each agency and question "
            "section, with "
            f"the number of answers graded {', '.join(labels[:-1])} or {labels[-1]} in submitted "
            "audit tools. Darker cells hold more answers; each cell shows its number."
            + _largest(rows, labels)
        ),
        row_heading="Agency — question section",
        columns=labels,
        rows=rows,
        kind="heatmap",
    )


def _why_no_audit_tools(user, partnership, audit_ids) -> str | None:
    """Why the grades and returns of the audits `audit_ids` are empty, where it is plain: the
    reader's role reads no agency's audit tools, or none was submitted in these audits (which an
    imported audit never has). None when some were, which the reader may not read: one query."""
    if not roles_in_partnership(user, partnership.pk) & set(MEMBERS):
        return (
            "Your role reads no agency's audit tools, so their grades and returns are not counted."
        )
    submitted = AgencySubmission.objects.filter(
        case__audit_id=OuterRef("pk"), status=AgencySubmission.Status.SUBMITTED
    )
    imported = PackageImport.objects.filter(
        audit_id=OuterRef("pk"), status=PackageImport.Status.DONE
    )
    found = Audit.objects.filter(pk__in=audit_ids).aggregate(
        with_tools=Count("pk", filter=Q(Exists(submitted))),
        imported=Count("pk", filter=Q(Exists(imported))),
    )
    if found["with_tools"]:
        return None
    if found["imported"] == len(audit_ids):
        if len(audit_ids) == 1:
            return (
                "The audit of this period was imported from a package, which carries no audit "
                "tools."
            )
        return "The audits of this period were imported from packages, which carry no audit tools."
    if not roles_in_partnership(user, partnership.pk) & {Role.CHAIR, Role.QA_MEMBER}:
        return None  # whether other agencies have sent theirs is the chair's and QA's to know
    if found["imported"]:
        return (
            "No audit tool was submitted in this period's audits (an audit imported from a "
            "package carries none)."
        )
    return "No audit tool was submitted in this period's audits."


RETURNS = ["On time", "Late", "Not submitted"]


def _returns(user, audit_ids) -> Chart:
    """Each agency's audit-tool returns against the audit's deadline, of the agencies whose
    returns `user` may see in each audit (as the progress page shows them): one query."""
    submitted = Q(status=AgencySubmission.Status.SUBMITTED)
    in_time = Q(case__audit__submission_deadline__isnull=True) | Q(
        submitted_at__date__lte=F("case__audit__submission_deadline")
    )
    returns = AgencySubmission.objects.filter(case__audit_id__in=audit_ids)
    counts = (
        access.restrict_agency_work(
            returns, user, audit="case__audit", agency="agency", every_return=True
        )
        .values(agency_name=F("agency__name"))
        .annotate(
            on_time=Count("pk", filter=submitted & in_time),
            late=Count("pk", filter=submitted & ~in_time),
            missing=Count("pk", filter=~submitted),
        )
        .order_by("agency_name")
    )
    rows = [(row["agency_name"], [row["on_time"], row["late"], row["missing"]]) for row in counts]
    return Chart(
        key="returns",
        title="Agencies' audit-tool returns against the deadline",
        description=_stacked_description(rows, RETURNS, "agency", "return"),
        row_heading="Agency",
        columns=RETURNS,
        rows=rows,
        kind="stacked",
    )


ACTION_STATES = ["Completed on time", "Completed late", "Overdue", "Open"]


def _action_counts(today):
    complete = Q(status=Action.Status.COMPLETE)
    late = complete & Q(due_date__isnull=False, signed_off_at__date__gt=F("due_date"))
    is_open = Q(status__in=[Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS])
    overdue = is_open & Q(due_date__lt=today)
    return {
        "on_time": Count("pk", filter=complete & ~late),
        "late": Count("pk", filter=late),
        "overdue": Count("pk", filter=overdue),
        "open": Count("pk", filter=is_open & ~overdue),
    }


def _actions(user, audit_ids, audits, today) -> dict[str, Chart]:
    """The audits' actions the user may read, by owner agency and by audit: two queries."""
    actions = restrict_actions(Action.objects.filter(audit_id__in=audit_ids), user)
    counts = _action_counts(today)
    by_agency = (
        actions.values(agency_name=F("owner_agency__name"))
        .annotate(**counts)
        .order_by("agency_name")
    )
    by_audit = {row["audit_id"]: row for row in actions.values("audit_id").annotate(**counts)}

    def values(row):
        return [row["on_time"], row["late"], row["overdue"], row["open"]]

    agency_rows = [(row["agency_name"] or "No owner agency", values(row)) for row in by_agency]
    audit_rows = [
        (audit.name, values(by_audit[audit.pk])) for audit in audits if audit.pk in by_audit
    ]
    return {
        "actions-by-agency": Chart(
            key="actions-by-agency",
            title="Actions by owner agency",
            description=_stacked_description(agency_rows, ACTION_STATES, "owner agency", "action"),
            row_heading="Owner agency",
            columns=ACTION_STATES,
            rows=agency_rows,
            kind="stacked",
        ),
        "actions-by-audit": Chart(
            key="actions-by-audit",
            title=f"Actions of {_the(len(audit_rows), 'audit', last=True)} with actions",
            description=_stacked_description(audit_rows, ACTION_STATES, "audit", "action"),
            row_heading="Audit",
            columns=ACTION_STATES,
            rows=audit_rows,
            kind="stacked",
        ),
    }


def _bars_description(rows, columns, what, per, *, in_all: int | None = None) -> str:
    """`in_all`: the uses of every tag, when the chart shows only the first few."""
    if not rows:
        return "Nothing to show for this period."
    total = sum(sum(values) for _, values in rows)
    uses = f"{counted(total, 'use')} in all"
    if in_all is not None and in_all > total:
        uses = f"{counted(total, 'use')} among them, of {in_all} in all"
    leader, leader_values = max(rows, key=lambda row: sum(row[1]))
    return (
        f"Bars for {what}, one bar per {per} ({', '.join(str(c) for c in columns)}), "
        f"{uses}. The most frequent is “{leader}”, {_times(sum(leader_values))}."
    )


def _stacked_description(rows, columns, per, noun) -> str:
    if not rows:
        return "Nothing to show for this period."
    totals = [sum(values[i] for _, values in rows) for i in range(len(columns))]
    parts = ", ".join(
        f"{total} {column.lower()}" for column, total in zip(columns, totals, strict=True)
    )
    return (
        f"One stacked bar per {per} ({len(rows)} in all), split into {', '.join(columns)}. "
        f"Across them: {counted(sum(totals), noun)}: {parts}."
    )


def _the(number: int, noun: str, *, last: bool = False) -> str:
    """ "the tag" for one, "the 12 tags" for more; "the last audit", "the last 4 audits"."""
    last_ = "last " if last else ""
    return f"the {last_}{noun}" if number == 1 else f"the {last_}{counted(number, noun)}"


def _times(number: int) -> str:
    return "once" if number == 1 else f"{number} times"


def _largest(rows, labels) -> str:
    if not rows:
        return " Nothing to show for this period."
    label, values = max(rows, key=lambda row: max(row[1]))
    column = labels[values.index(max(values))]
    return f" The largest cell is {label}, {column}: {max(values)}."
