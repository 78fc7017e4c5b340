"""The 6-step briefing as an HTML document and a PDF, rendered alike by views and commands."""

from __future__ import annotations

from django.template.loader import render_to_string

from maca.pdf import render_pdf

from .selectors import briefing_context

HTML_TEMPLATE = "findings/briefing.html"
PDF_TEMPLATE = "reports/briefing_pdf.html"
PDF_STYLESHEETS = ["css/pdf-page.css", "css/briefing-pdf.css"]


def render_html(audit, *, version: dict | None = None) -> str:
    """The briefing page. `version` (number, published_at, published_by, sha256) when frozen."""
    return render_to_string(HTML_TEMPLATE, {**briefing_context(audit), "version": version})


def render_pdf_bytes(audit, *, version: dict | None = None) -> bytes:
    context = {**briefing_context(audit), "version": version}
    return render_pdf(PDF_TEMPLATE, context, stylesheets=PDF_STYLESHEETS)


def pdf_filename(audit, version_number: int | None = None) -> str:
    """A published version's file is named by its number; the draft's says it is the draft."""
    suffix = f"-v{version_number}" if version_number else "-draft"
    return f"{audit.file_stem}-briefing{suffix}.pdf"
