"""The briefing as a Word document, for partnerships that finish the text in Word."""

from __future__ import annotations

import re
from io import BytesIO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from .selectors import briefing_context

# Characters XML 1.0 cannot hold (control characters, lone surrogates): Word files are XML, and
# one such character typed into a finding would make the whole download fail.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value) -> str:
    return NOT_XML.sub("", str(value))


def render_docx(audit) -> bytes:
    """The briefing with its headings as Word heading styles (Title, Heading 1, Heading 2)."""
    context = briefing_context(audit)
    document = Document()
    properties = document.core_properties
    properties.title = _text(context["document_title"])
    properties.author = _text(audit.partnership.name)
    properties.subject = _text(f"{audit.title} 6 Step Briefing")
    properties.language = "en-GB"
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(11)

    if audit.protective_marking:
        section = document.sections[0]
        header = section.header.paragraphs[0]
        header.text = _text(audit.protective_marking)
        header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(_text(audit.partnership.name))
    document.add_heading(_text(audit.title), level=0)
    document.add_paragraph(_text(f"6 Step Briefing — Theme: {audit.theme.name}"))
    if audit.meeting_date:
        document.add_paragraph(f"Multi-agency meeting: {audit.meeting_date:%-d %B %Y}")

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

    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _bullet(document, item, *, with_cases=False) -> None:
    paragraph = document.add_paragraph(style="List Bullet")
    if item.agency_id:
        paragraph.add_run(_text(f"{item.agency.name}: ")).bold = True
    paragraph.add_run(_text(item.text))
    if with_cases:
        labels = [case.label for case in item.cases.all()]
        if labels:
            paragraph.add_run(_text(f" (Seen in {', '.join(labels)})")).italic = True
