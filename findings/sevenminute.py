"""The 7-minute briefing: the audit's learning on one A4 page, in seven numbered parts.

Parts 1 to 5 are drafted from the 6-step briefing (theme, learning summary, findings, strengths,
recommendations); parts 6 and 7 start from the partnership's standard text. Each part has a word
limit, shown as it is typed; the limits are set so that seven full parts fit on one page, and
publishing checks the PDF itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string

from cases.naming import audit_name
from maca.pdf import render_pdf_and_count_pages
from maca.wording import DRAFT_MARKING

from .models import MeetingRecord, SevenMinuteBriefing
from .selectors import authoring_context, briefing_sections

HTML_TEMPLATE = "findings/seven_minute.html"
PDF_TEMPLATE = "reports/seven_minute_pdf.html"
PDF_STYLESHEETS = ["css/pdf-page.css", "css/seven-minute.css"]


@dataclass(frozen=True)
class Part:
    number: int
    field: str
    title: str
    word_limit: int
    hint: str


PARTS = (
    Part(1, "background", "Background", 70, "The theme and why it was audited."),
    Part(2, "why_it_matters", "Why it matters", 60, "What it means for children."),
    Part(3, "what_we_found", "What we found", 110, "The audit's headline findings, one a line."),
    Part(4, "what_went_well", "What went well", 60, "Strengths and good practice, one a line."),
    Part(5, "what_needs_to_change", "What needs to change", 80, "The recommendations, one a line."),
    Part(6, "questions", "Questions for your team", 60, "Questions to discuss, one a line."),
    Part(7, "find_out_more", "Find out more", 40, "Links and contacts, one a line."),
)
PART_FIELDS = tuple(part.field for part in PARTS)


def word_count(text: str) -> int:
    """Words as the page counts them while they are typed: runs of non-space characters."""
    return len(text.split())


@dataclass
class WrittenPart:
    part: Part
    text: str

    @property
    def number(self) -> int:
        return self.part.number

    @property
    def title(self) -> str:
        return self.part.title

    @property
    def words(self) -> int:
        return word_count(self.text)

    @property
    def over_limit(self) -> int:
        return max(0, self.words - self.part.word_limit)

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in self.text.splitlines() if line.strip()]


def written_parts(values: dict[str, str]) -> list[WrittenPart]:
    return [WrittenPart(part, values.get(part.field) or "") for part in PARTS]


def parts_of(briefing: SevenMinuteBriefing | None) -> dict[str, str]:
    return {field: getattr(briefing, field, "") or "" for field in PART_FIELDS}


def part_to_shorten(values: dict[str, str]) -> WrittenPart:
    """The part to shorten when the page runs over: the one furthest over its limit, or else
    the fullest for its limit."""
    return max(written_parts(values), key=lambda p: (p.over_limit, p.words / p.part.word_limit))


# Drafting ------------------------------------------------------------------------------------


def _fitting(lines: list[str], limit: int) -> str:
    """As many of `lines` as fit within `limit` words, in order; at least the first."""
    kept, words = [], 0
    for line in lines:
        line = " ".join(line.split())
        if not line:
            continue
        if kept and words + word_count(line) > limit:
            continue
        kept.append(line)
        words += word_count(line)
    return "\n".join(kept)


def standard_parts(partnership) -> dict[str, str]:
    """Parts 6 and 7 as the partnership's standard text has them."""
    return {
        "questions": partnership.seven_minute_questions,
        "find_out_more": partnership.seven_minute_find_out_more,
    }


def as_standard(name: str, text: str, partnership) -> bool:
    """Whether a part sent from the form is the partnership's standard text for it (line
    endings, the standard's own too, and spaces at the ends aside)."""
    standard = standard_parts(partnership).get(name)
    return standard is not None and _as_compared(text) == _as_compared(standard)


def _as_compared(text: str) -> str:
    """A part's text as compared: its line endings a browser's or a Windows file's alike."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


_NUMBER_WORDS = [
    *("One", "Two", "Three", "Four", "Five", "Six"),
    *("Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve"),
]


def _cases_were(count: int) -> str:
    """ "One case was", "Six cases were", "A total of 14 cases were": a sentence's start."""
    if count == 1:
        return "One case was"
    if count <= len(_NUMBER_WORDS):
        return f"{_NUMBER_WORDS[count - 1]} cases were"
    return f"A total of {count} cases were"


def drafted_parts(audit) -> dict[str, str]:
    """Parts 1 to 5 drafted from the briefing, each within its word limit."""
    sections = {section.key: section for section in briefing_sections(audit)}
    limits = {part.field: part.word_limit for part in PARTS}
    summary = MeetingRecord.objects.filter(audit=audit).values_list("learning_summary", flat=True)
    case_count = audit.cases.count()
    background = [audit.theme.description or f"This audit looked at {audit.theme.name.lower()}."]
    if case_count:
        background.append(
            f"{_cases_were(case_count)} audited by the agencies "
            "that worked with the children, and discussed at a multi-agency meeting"
            + (f" on {audit.meeting_date:%-d %B %Y}." if audit.meeting_date else ".")
        )
    background += sections.get("theme_and_cases", _empty()).paragraphs[:1]

    def first_of_each_case(key):
        section = sections.get(key, _empty())
        firsts = [group.items[0].text for group in section.case_groups if group.items]
        rest = [item.text for group in section.case_groups for item in group.items[1:]]
        return firsts + rest

    good_practice = [item.text for item in sections.get("good_practice", _empty()).items]
    recommendations = [item.text for item in sections.get("recommendations", _empty()).items]
    learning = [paragraph for text in summary for paragraph in text.splitlines()]
    learning = learning or _recurring_issues(audit)
    return {
        "background": _fitting(background, limits["background"]),
        "why_it_matters": _fitting(learning, limits["why_it_matters"]),
        "what_we_found": _fitting(first_of_each_case("findings"), limits["what_we_found"]),
        "what_went_well": _fitting(
            first_of_each_case("strengths")[:3] + good_practice, limits["what_went_well"]
        ),
        "what_needs_to_change": _fitting(recommendations, limits["what_needs_to_change"]),
    }


def _recurring_issues(audit) -> list[str]:
    """For an audit without a learning summary: the issues its findings share across cases."""
    uses = authoring_context(audit)["tag_uses"]
    shared = [use for use in uses if len(use.case_labels) > 1][:5]
    if not shared:
        return []
    listed = "; ".join(f"{use.tag.name} ({len(use.case_labels)} cases)" for use in shared)
    return [f"The same issues were found in several children's cases: {listed}."]


class _empty:
    paragraphs: list = []
    case_groups: list = []
    items: list = []


# Rendering -----------------------------------------------------------------------------------


def context(audit, values: dict[str, str], *, version: dict | None = None) -> dict:
    """What the page, the PDF and the Word file show. `version` (number, published_at,
    published_by, sha256) when it is published; `sha256` is then the 7-minute PDF's own."""
    return {
        "audit": audit,
        "parts": written_parts(values),
        "document_title": f"7-minute briefing: {audit_name(audit)}",
        "version": version,
        "draft_marking": DRAFT_MARKING,
        # For a draft: the 7-minute briefing readers already have, if any.
        "last_published": None if version else last_published(audit),
    }


def last_published(audit) -> dict | None:
    """The number and date of the latest version published with a 7-minute briefing."""
    return (
        audit.briefing_versions.exclude(seven_minute_sha256="")
        .values("number", "published_at")
        .order_by("-number")
        .first()
    )


def render_html(
    audit,
    values: dict[str, str],
    *,
    version: dict | None = None,
    can_edit: bool = False,
    can_record_use: bool = False,
    unsaved: bool = False,
) -> str:
    """The page; `can_edit` offers a link to edit the draft, `can_record_use` one to record a
    session where the briefing was used; `unsaved` says that the draft was never saved."""
    return render_to_string(
        HTML_TEMPLATE,
        {
            **context(audit, values, version=version),
            "can_edit": can_edit,
            "can_record_use": can_record_use,
            "unsaved": unsaved,
        },
    )


def render_pdf(audit, values: dict[str, str], *, version: dict | None = None) -> tuple[bytes, int]:
    """The PDF and the number of pages it runs to (one, unless a part is too long)."""
    return render_pdf_and_count_pages(
        PDF_TEMPLATE, context(audit, values, version=version), stylesheets=PDF_STYLESHEETS
    )


def filename(audit, extension: str, version_number: int | None = None) -> str:
    """As `briefing.pdf_filename`: "-v2" for a published version, "-draft" for the draft."""
    suffix = f"-v{version_number}" if version_number else "-draft"
    return f"{audit.file_stem}-7-minute-briefing{suffix}.{extension}"


def texts_for_checking(values: dict[str, str]) -> list[tuple[str, str]]:
    """Each part's words, named as the publishing check reports where they are."""
    return [
        (f"The 7-minute briefing, part {p.number} ({p.title})", p.text)
        for p in written_parts(values)
    ]
