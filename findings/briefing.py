"""The 6-step briefing as an HTML document and a PDF, rendered alike by views and commands."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.text import slugify

from maca.pdf import render_pdf

from .selectors import briefing_context

HTML_TEMPLATE = "findings/briefing.html"
PDF_TEMPLATE = "reports/briefing_pdf.html"
PDF_STYLESHEETS = ["css/briefing-pdf.css"]


def render_html(audit) -> str:
    return render_to_string(HTML_TEMPLATE, briefing_context(audit))


def render_pdf_bytes(audit) -> bytes:
    return render_pdf(PDF_TEMPLATE, briefing_context(audit), stylesheets=PDF_STYLESHEETS)


def pdf_filename(audit) -> str:
    return f"{slugify(audit.theme.name) or 'audit'}-briefing.pdf"
