"""The briefing as a Word document, for partnerships that finish the text in Word."""

from __future__ import annotations

import datetime
import html
from io import BytesIO

from django.template.loader import render_to_string
from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from cases.naming import audit_name
from maca.logos import logo_bytes
from maca.text import xml_text
from maca.wording import DRAFT_MARKING

from .selectors import briefing_context

VERSION_TEMPLATE = "findings/_briefing_version.txt"
SEVEN_MINUTE_VERSION_TEMPLATE = "findings/_seven_minute_version.txt"

# Word files are XML: one character XML cannot hold, typed into a finding, would make the whole
# download fail.
_text = xml_text


def render_docx(audit, *, version: dict | None = None) -> bytes:
    """The briefing with its headings as Word heading styles (Title, Heading 1, Heading 2).

    `version` (number, published_at) when frozen; otherwise it is the draft, and says so as the
    HTML and the PDF do."""
    context = {**briefing_context(audit), "version": version}
    document = _new_document(
        audit, context["document_title"], font_size=Pt(11), draft=version is None
    )
    _set_properties(document.core_properties, audit, context)
    _partnership_mark(document, audit.partnership, height=Mm(18))
    document.add_heading(_text(audit.title), level=0)
    document.add_paragraph(_text(f"6 Step Briefing — Theme: {audit_name(audit)}"))
    document.add_paragraph(context["scope"])
    if audit.meeting_date:
        document.add_paragraph(f"Multi-agency meeting: {audit.meeting_date:%-d %B %Y}")
    # The same words as the cover of the HTML and the PDF, from the same template.
    line = html.unescape(render_to_string(VERSION_TEMPLATE, context)).strip()
    document.add_paragraph().add_run(_text(line)).bold = version is None

    for section in context["sections"]:
        document.add_heading(_text(section.heading), level=1)
        for text in section.paragraphs:
            document.add_paragraph(_text(text), style="List Bullet")
        for group in section.case_groups:
            document.add_heading(_text(group.case.label), level=2)
            for item in group.items:
                _bullet(document, item)
        for item in section.items:
            _bullet(document, item, with_cases=section.key == "recommendations")
            if section.key == "actions_annex" and item.due_date:
                document.paragraphs[-1].add_run(f" (due {item.due_date:%-d %B %Y})").italic = True

    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _new_document(audit, title: str, *, font_size, draft: bool):
    """A document set out as MACA's PDFs are: A4 with their margins, the protective marking
    (and on a draft, that it is one) at the top of every page, the document's name and "Page N
    of M" at the foot."""
    document = Document()
    section = document.sections[0]
    _a4_with_the_pdf_margins(section)
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = font_size
    marking = [audit.protective_marking] if audit.protective_marking else []
    marking += [DRAFT_MARKING] if draft else []
    if marking:
        header = section.header.paragraphs[0]
        header.text = _text(" · ".join(marking))
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer = section.footer.paragraphs[0]
    footer.add_run(_text(f"{title} — Page "))
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")
    return document


def _field(paragraph, instruction: str) -> None:
    """A field Word fills in as it lays the pages out (the page number, the number of pages)."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    shown = OxmlElement("w:t")
    shown.text = "1"  # until Word counts
    run.append(shown)
    field.append(run)
    paragraph._p.append(field)


def _partnership_mark(document, partnership, *, height) -> None:
    """The partnership's logo (with its name as the picture's description), then its name."""
    data = logo_bytes(partnership)
    if data and _word_reads(data):
        picture = document.add_paragraph().add_run().add_picture(BytesIO(data), height=height)
        picture._inline.docPr.set("descr", _text(f"Logo of {partnership.name}"))
    document.add_paragraph(_text(partnership.name))


def _word_reads(picture: bytes) -> bool:
    """Whether Word's writer can place the picture: a logo kept before today's checks, or
    damaged in storage since, leaves the document with the partnership's name alone rather
    than failing it."""
    from docx.image.image import Image

    try:
        Image.from_blob(picture)
    except Exception:  # any way a damaged picture fails to parse
        return False
    return True


# The briefing PDF's page (static/css/briefing-pdf.css): A4, margins top, right, bottom, left.
PAGE_MM = (210, 297)
MARGINS_MM = (24, 20, 22, 20)


def _a4_with_the_pdf_margins(section) -> None:
    """python-docx's template is US Letter; UK partnerships print on A4."""
    section.page_width, section.page_height = (Mm(size) for size in PAGE_MM)
    top, right, bottom, left = (Mm(margin) for margin in MARGINS_MM)
    section.top_margin, section.right_margin = top, right
    section.bottom_margin, section.left_margin = bottom, left


def _set_properties(properties, audit, context) -> None:
    """What Word shows under File > Info, in place of python-docx's template's (2013, its name)."""
    version = context["version"]
    when = version["published_at"] if version else timezone.now()
    when = when.astimezone(datetime.UTC).replace(microsecond=0)  # Word's files hold UTC
    properties.title = document_property(context["document_title"])
    properties.subject = document_property(f"{audit.title} 6 Step Briefing")
    properties.comments = document_property(f"{audit.title} 6 Step Briefing: {audit_name(audit)}")
    properties.keywords = f"Version {version['number']}" if version else "Draft"
    properties.content_status = "Published" if version else "Draft"
    properties.author = properties.last_modified_by = document_property(audit.partnership.name)
    properties.created = properties.modified = when
    properties.language = "en-GB"


# Word's document properties hold at most 255 characters; the document itself holds any length.
PROPERTY_MAX = 255


def document_property(value) -> str:
    """`value` as a Word document property holds it: XML-safe, within PROPERTY_MAX."""
    text = _text(value)
    return text if len(text) <= PROPERTY_MAX else text[: PROPERTY_MAX - 1] + "…"


def _bullet(document, item, *, with_cases=False) -> None:
    paragraph = document.add_paragraph(style="List Bullet")
    if item.agency_lead:
        paragraph.add_run(_text(f"{item.agency_lead}: ")).bold = True
    paragraph.add_run(_text(item.text))
    if with_cases:
        labels = [case.label for case in item.case_list]
        if labels:
            paragraph.add_run(_text(f" (Seen in {', '.join(labels)})")).italic = True


def render_seven_minute_docx(audit, parts: dict[str, str], *, version: dict | None = None) -> bytes:
    """The 7-minute briefing in Word: its seven numbered parts as headings, in order."""
    from .sevenminute import context as seven_context

    context = seven_context(audit, parts, version=version)
    document = _new_document(
        audit, context["document_title"], font_size=Pt(10), draft=version is None
    )
    _set_properties(document.core_properties, audit, {**context, "version": version})
    properties = document.core_properties
    properties.subject = properties.comments = _text(f"7-minute briefing: {audit_name(audit)}")
    _partnership_mark(document, audit.partnership, height=Mm(12))
    document.add_heading(_text(f"7-minute briefing: {audit_name(audit)}"), level=0)
    # The same words as the page and the PDF, the meeting's date with them, from one template.
    line = html.unescape(render_to_string(SEVEN_MINUTE_VERSION_TEMPLATE, context)).strip()
    document.add_paragraph().add_run(_text(line)).bold = version is None
    for part in context["parts"]:
        document.add_heading(_text(f"{part.number}. {part.title}"), level=1)
        lines = part.lines
        style = "List Bullet" if len(lines) > 1 else None
        for text in lines:
            document.add_paragraph(_text(text), style=style)
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()
