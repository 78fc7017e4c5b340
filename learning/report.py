"""The board's assurance report: a partnership's published learning over a period, as PDF
(A4, tagged PDF/UA) or Word. Built from published material only; no case-level data."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import slugify

from actions.access import restrict_actions
from actions.models import Action
from cases.models import Audit
from cases.naming import audit_name
from cases.selectors.identifiers import listed
from findings.models import ImpactVerdict, Recommendation, UsageRecord
from findings.word import document_property
from maca import access
from maca.models import DEFAULT_MARKING, Agency, Membership
from maca.pdf import render_pdf

from .models import LibraryEntry
from .search import visible_entries
from .trends import ACTION_STATES, held_on, trends_for

PDF_TEMPLATE = "reports/assurance_pdf.html"
PDF_STYLESHEETS = ["css/pdf-page.css", "css/assurance-pdf.css"]
GRADE_SHADES = 5


class PartnershipReader:
    """Reads one partnership as its viewers do, published material only: the reader of a
    report made on the server's command line, where nobody is signed in."""

    is_authenticated = True
    pk = None

    def __init__(self, partnership):
        self._membership_rows = [(partnership.pk, Membership.Role.VIEWER, None)]


def assurance_context(user, *, partnership, start=None, end=None, today=None) -> dict:
    """Everything the report prints, in a constant number of queries."""
    today = today or timezone.localdate()
    trends = trends_for(user, partnership=partnership, start=start, end=end, today=today)
    ids = [audit.pk for audit in trends.audits]
    summaries = dict(
        visible_entries(user)
        .filter(audit_id__in=ids, section=LibraryEntry.Section.LEARNING_SUMMARY)
        .values_list("audit_id", "text")
    )
    # Overdue on the day the report is made, whichever year its audit was held in: an action
    # of an earlier year's audit still open is what the board most needs to see.
    overdue = (
        restrict_actions(Action.objects.filter(audit__partnership=partnership), user)
        # Only the words of plans published with their briefing are printed.
        .filter(audit__plan_published_at__isnull=False, due_date__lt=today)
        .filter(status__in=[Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS])
        .select_related("owner_agency", "audit__theme")
        .annotate(audit_held_on=held_on("audit__"))
        .order_by("due_date", "pk")
    )
    grades = trends.charts["grades"]
    return {
        "partnership": partnership,
        "start": start,
        "end": end,
        "period": describe_period(start, end),
        "generated_on": today,
        "marking": DEFAULT_MARKING,
        "audits": trends.audits,
        "key_learning": [(audit, summaries.get(audit.pk, "")) for audit in trends.audits],
        "reaudits": [audit for audit in trends.audits if audit.reaudit_of],
        "recurring": trends.recurring,
        "recent": trends.recent,
        "grades": grades,
        "grade_cells": _shaded(grades),
        "actions_by_agency": trends.charts["actions-by-agency"],
        "action_states": ACTION_STATES,
        **_overdue_listed(overdue),
        "actions_intro": ACTIONS_INTRO,
        "overdue_heading": f"Overdue actions on {date_format(today, 'j F Y')}",
        "no_overdue": NO_OVERDUE,
        **_practice(user, partnership, trends.audits),
        "reader_scope": reader_scope(user, partnership),
        "document_title": f"Board assurance report: {partnership.name}",
    }


ACTIONS_INTRO = (
    "The actions of the audits held in the period, by the agency that owns them. Overdue "
    "actions of earlier audits are listed below."
)
# The overdue actions a report lists, the longest overdue first: a board reads the worst of
# them; the action plan lists every one.
OVERDUE_LISTED = 50


def _overdue_listed(overdue) -> dict:
    """The longest overdue of `overdue` (a queryset, oldest due first), with words saying how
    many there are in all: two queries."""
    count = overdue.count()
    listed = [OverdueAction.of(action) for action in overdue[:OVERDUE_LISTED]]
    intro = (
        "Every action of a published plan still open after its due date, whichever year its "
        "audit was held"
    )
    if count > len(listed):
        intro += (
            f": {count:,} in all. The {len(listed)} overdue longest are listed; the action plan "
            "lists every one"
        )
    return {"overdue": listed, "overdue_count": count, "overdue_intro": intro + "."}


NO_OVERDUE = "No action of a published plan is overdue."


@dataclass(frozen=True)
class OverdueAction:
    text: str
    owner_agency: str
    due_date: object
    audit: str  # its name, a re-audit's said so, with the month it was held
    audit_id: int

    @classmethod
    def of(cls, action):
        held = action.audit_held_on
        name = audit_name(action.audit) + (f", {date_format(held, 'F Y')}" if held else "")
        agency = action.owner_agency.name if action.owner_agency else "—"
        return cls(
            text=action.text,
            owner_agency=agency,
            due_date=action.due_date,
            audit=name,
            audit_id=action.audit_id,
        )


def audits_shown(context: dict) -> set[int]:
    """Every audit the report prints something of: those held in its period, and those of the
    overdue actions it lists, of any year."""
    return {audit.pk for audit in context["audits"]} | {a.audit_id for a in context["overdue"]}


def reader_scope(user, partnership) -> str | None:
    """What a copy made by someone who reads less than the partnership's chairs holds, said in
    it, so that nobody takes it for the whole partnership's; None for a chair's."""
    mine = access.memberships_of(user)
    if partnership.pk in mine.chaired:
        return None
    if partnership.pk in mine.staff:  # a QA member reads the grades of released packs only
        return (
            "This copy counts the audit-tool grades of the audits whose meeting pack the chair "
            "has released, as a QA member reads them; a chair's copy counts every submitted "
            "audit tool."
        )
    whole = (
        "A chair's or QA member's copy covers every audit of the partnership, with where "
        "briefings were used and what re-audits found."
    )
    agency_ids = mine.coordinated.get(partnership.pk)
    if agency_ids and partnership.pk not in mine.viewing:  # a viewer too reads every audit
        names = sorted(Agency.objects.filter(pk__in=agency_ids).values_list("name", flat=True))
        agencies = listed(names)
        owned = f"{agencies}'s actions" if len(names) == 1 else "their actions"
        return (
            f"This copy holds what a co-ordinator for {agencies} reads: the audits {agencies} "
            f"took part in, {owned} and the plans published with those audits' briefings, and "
            "the audit-tool grades and returns of the agencies whose audit tools they may read. "
            f"{whole}"
        )
    # A viewer who co-ordinates too reads the audit tools of their agencies (and of every agency
    # once a pack is released), as a co-ordinator does.
    tools = (
        "and the audit-tool grades and returns of the agencies whose audit tools they may read"
        if agency_ids
        else "without any agency's audit-tool grades or returns"
    )
    return (
        f"This copy holds the published audits and the plans published with them, {tools}. {whole}"
    )


# Sessions that used the 7-minute briefing, alone or with the 6-step one.
SEVEN_MINUTE_USES = (UsageRecord.Briefing.SEVEN_MINUTE, UsageRecord.Briefing.BOTH)


@dataclass
class BriefingUse:
    """Where one audit's briefing was used: counted from every agency's records."""

    audit: object  # HeldAudit
    sessions: int
    staff: int
    agencies_used: int  # agencies that recorded a session
    agencies: int  # agencies taking part
    seven_minute_sessions: int = 0  # of the sessions, those that used the 7-minute briefing


@dataclass
class ReauditVerdicts:
    """What a re-audit's meeting concluded about its original's recommendations."""

    reaudit: object  # HeldAudit
    original: str
    seen: int
    partly: int
    not_seen: int
    undecided: int


def _practice(user, partnership, audits) -> dict:
    """For the partnership's chairs and QA members, who read every agency's records of use and
    the re-audits' verdicts: the sessions, staff and agencies of each audit's briefing use, and
    each re-audit's verdicts as counts. Neither (None) for anyone else, the report's viewers
    among them. Counts only: no team, reflection or evidence is printed. Six queries."""
    if partnership.pk not in access.memberships_of(user).staff:
        return {"practice": None, "verdicts": None}
    ids = [audit.pk for audit in audits]
    # An agency counts while it takes part: one taken out of the audit keeps its records.
    takes_part = Exists(
        Audit.agencies.through.objects.filter(
            audit_id=OuterRef("audit_id"), agency_id=OuterRef("agency_id")
        )
    )
    used = {
        row["audit_id"]: row
        for row in UsageRecord.objects.filter(audit_id__in=ids)
        .values("audit_id")
        .annotate(
            sessions=Count("pk"),
            staff=Sum("staff_count"),
            agencies=Count("agency", distinct=True, filter=Q(takes_part)),
            seven_minute=Count("pk", filter=Q(briefing__in=SEVEN_MINUTE_USES)),
        )
        .order_by()
    }
    taking_part = dict(
        Audit.agencies.through.objects.filter(audit_id__in=ids)
        .values("audit_id")
        .annotate(n=Count("agency_id"))
        .values_list("audit_id", "n")
        .order_by()
    )
    practice = [
        BriefingUse(
            audit,
            used.get(audit.pk, {}).get("sessions", 0),
            used.get(audit.pk, {}).get("staff") or 0,
            used.get(audit.pk, {}).get("agencies", 0),
            taking_part.get(audit.pk, 0),
            used.get(audit.pk, {}).get("seven_minute", 0),
        )
        for audit in audits
    ]
    originals = dict(
        Audit.objects.filter(pk__in=ids, reaudit_of__isnull=False).values_list(
            "pk", "reaudit_of_id"
        )
    )
    names = {
        pk: f"{theme} ({held_on:%B %Y})" if held_on else theme
        for pk, theme, held_on in Audit.objects.filter(pk__in=originals.values())
        .annotate(held_on=Coalesce("meeting_date", TruncDate("briefing_published_at")))
        .values_list("pk", "theme__name", "held_on")
    }
    recommendations = dict(
        Recommendation.objects.filter(audit_id__in=originals.values())
        .values("audit_id")
        .annotate(n=Count("pk"))
        .values_list("audit_id", "n")
        .order_by()
    )
    counts: dict[tuple[int, str], int] = {}
    for row in (
        ImpactVerdict.objects.filter(reaudit_id__in=originals, recommendation__audit_id__in=names)
        .values("reaudit_id", "verdict")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[row["reaudit_id"], row["verdict"]] = row["n"]
    verdicts = []
    for audit in audits:
        if audit.pk not in originals:
            continue
        seen, partly, not_seen = (
            counts.get((audit.pk, verdict), 0) for verdict in ImpactVerdict.Verdict.values
        )
        undecided = recommendations.get(originals[audit.pk], 0) - seen - partly - not_seen
        verdicts.append(
            ReauditVerdicts(
                audit, names[originals[audit.pk]], seen, partly, not_seen, max(undecided, 0)
            )
        )
    return {"practice": practice, "verdicts": verdicts}


def describe_period(start, end) -> str:
    """The period as words to go inside a sentence: "Audits held 1 May 2025 to 30 April 2026"."""

    def day(value):
        return date_format(value, "j F Y")

    if start and end:
        return f"{day(start)} to {day(end)}"
    if start:
        return f"from {day(start)}"
    if end:
        return f"up to {day(end)}"
    return "at any date"


def _shaded(chart):
    """Each heat-map cell with a shade from 0 to GRADE_SHADES - 1 (its number is printed too)."""
    largest = max((max(values) for _, values in chart.rows), default=0) or 1
    return [
        (label, [(value, round(value / largest * (GRADE_SHADES - 1))) for value in values])
        for label, values in chart.rows
    ]


def filename(partnership, start, end, extension: str) -> str:
    period = "-".join(d.isoformat() for d in (start, end) if d) or "all"
    return f"{slugify(partnership.name)[:60] or 'partnership'}-assurance-{period}.{extension}"


def render_pdf_bytes(context: dict) -> bytes:
    return render_pdf(PDF_TEMPLATE, context, stylesheets=PDF_STYLESHEETS)


def render_docx_bytes(context: dict) -> bytes:
    """The same report as a Word document, for boards that edit their annual report in Word."""
    from docx import Document
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.header.paragraphs[0].text = context["marking"]
    _footer_page_numbers(section.footer.paragraphs[0])
    _set_properties(document.core_properties, context)
    document.styles["Normal"].font.size = Pt(10.5)
    document.add_heading("Board assurance report", level=0)
    document.add_paragraph(f"{context['partnership'].name}. Audits held {context['period']}.")
    document.add_paragraph(
        f"Built from published briefings and action plans on "
        f"{date_format(context['generated_on'], 'j F Y')}. It holds no case-level data."
    )
    if context["reader_scope"]:
        document.add_paragraph(context["reader_scope"])
    document.add_heading("Audits held", level=1)
    _table(
        document,
        ["Theme", "Date", "Cases"],
        [
            [
                a.theme + (f" (re-audit of {a.reaudit_of.name})" if a.reaudit_of else ""),
                date_format(a.held_on, "j F Y"),
                str(a.cases),
            ]
            for a in context["audits"]
        ],
    )
    document.add_heading("Key learning", level=1)
    for audit, summary in context["key_learning"]:
        document.add_heading(audit.name, level=2)
        document.add_paragraph(summary or "No learning summary was published.")
    document.add_heading("Recurring themes", level=1)
    if len(context["recent"]) == 1:
        document.add_paragraph(
            "Only one audit falls in the period: a tag recurs once it is given to findings in at "
            "least two audits."
        )
    elif context["recurring"]:
        for tag in context["recurring"]:
            names = ", ".join(a.name for a in tag.audits)
            document.add_paragraph(f"{tag.name}: {len(tag.audits)} audits ({names})", "List Bullet")
    else:
        document.add_paragraph("No finding tag recurs in the last audits of the period.")
    grades = context["grades"]
    document.add_heading("Audit-tool grades by agency and question section", level=1)
    _table(
        document,
        [grades.row_heading, *grades.columns],
        _rows(grades),
        empty="No graded audit tools in this period.",
    )
    actions = context["actions_by_agency"]
    document.add_heading("Action completion by agency", level=1)
    document.add_paragraph(context["actions_intro"])
    _table(
        document,
        [actions.row_heading, *actions.columns],
        _rows(actions),
        empty="No actions in this period.",
    )
    document.add_heading(context["overdue_heading"], level=1)
    document.add_paragraph(context["overdue_intro"])
    _table(
        document,
        ["Action", "Owner agency", "Due", "Audit"],
        [
            [
                action.text,
                action.owner_agency,
                date_format(action.due_date, "j F Y"),
                action.audit,
            ]
            for action in context["overdue"]
        ],
        empty=context["no_overdue"],
    )
    if context["practice"] is not None:
        document.add_heading("Briefings used in practice", level=1)
        document.add_paragraph(
            "Sessions in which agencies' teams read an audit's briefing or 7-minute briefing "
            "together, as their co-ordinators recorded them."
        )
        _table(
            document,
            ["Audit", "Sessions", "With the 7-minute briefing", "Staff", "Agencies recording use"],
            [
                [
                    u.audit.name,
                    str(u.sessions),
                    str(u.seven_minute_sessions),
                    str(u.staff),
                    f"{u.agencies_used} of {u.agencies}",
                ]
                for u in context["practice"]
            ],
        )
    if context["verdicts"]:
        document.add_heading("Impact at re-audit", level=1)
        document.add_paragraph(
            "For each re-audit, how many of the original audit's recommendations its meeting "
            "found had made a difference."
        )
        _table(
            document,
            [
                "Re-audit",
                "Original audit",
                "Impact seen",
                "Partly seen",
                "Not seen",
                "Not recorded yet",
            ],
            [
                [row.reaudit.name, row.original]
                + [str(n) for n in (row.seen, row.partly, row.not_seen, row.undecided)]
                for row in context["verdicts"]
            ],
        )
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _set_properties(properties, context) -> None:
    """What Word shows under File > Info, in place of python-docx's template's (2013, its name)."""
    made = timezone.now().astimezone(datetime.UTC).replace(microsecond=0)  # Word's files hold UTC
    properties.title = document_property(context["document_title"])
    properties.subject = document_property(
        f"Board assurance report, audits held {context['period']}"
    )
    properties.comments = properties.keywords = ""
    properties.author = properties.last_modified_by = document_property(context["partnership"].name)
    properties.created = properties.modified = made
    properties.language = "en-GB"
    properties.content_status = "Final"


def _rows(chart):
    return [[label, *(str(v) for v in values)] for label, values in chart.rows]


def _table(document, headings, rows, *, empty="None in this period.") -> None:
    """A table whose heading row Word repeats at the top of each page it runs onto."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    if not rows:
        document.add_paragraph(empty)
        return
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        cell.text = heading
        cell.paragraphs[0].runs[0].bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, row, strict=True):
            cell.text = value


def _footer_page_numbers(paragraph) -> None:
    """'Page N of M' as Word fields, which Word fills in as it lays the pages out."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def field(code):
        run = paragraph.add_run()
        for kind, text in (("begin", None), (None, code), ("separate", None), ("end", None)):
            if kind:
                element = OxmlElement("w:fldChar")
                element.set(qn("w:fldCharType"), kind)
            else:
                element = OxmlElement("w:instrText")
                element.set(qn("xml:space"), "preserve")
                element.text = text
            run._r.append(element)

    paragraph.add_run("Page ")
    field("PAGE")
    paragraph.add_run(" of ")
    field("NUMPAGES")
