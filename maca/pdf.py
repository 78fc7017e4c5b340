"""PDF rendering with WeasyPrint: tagged (PDF/UA-1), A4, stylesheets read from disk."""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def static_path(relative: str) -> Path:
    """The file on disk behind a static path, whether or not collectstatic has run."""
    found = finders.find(relative)
    if found:
        return Path(found)
    collected = Path(settings.STATIC_ROOT) / relative
    if collected.exists():
        return collected
    raise FileNotFoundError(f"Static file {relative!r} not found.")


def _static_only_fetcher():
    """A URL fetcher that reads static files and pictures carried in the document as data:
    addresses (a partnership's logo), and refuses everything else.

    Case text is escaped, but a PDF renderer that fetches remote URLs would still be one template
    slip away from leaking data or hanging on a closed council network.
    """
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    from weasyprint.urls import URLFetcher

    static_roots = [Path(p).resolve() for p in settings.STATICFILES_DIRS]
    static_roots.append(Path(settings.STATIC_ROOT).resolve())

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:image/"):
                return super().fetch(url, headers)  # a logo carried inside the document
            if not url.startswith("file://"):
                raise ValueError(f"Refused to fetch {url!r} while rendering a PDF.")
            # Decoded first, as the file handler decodes it: "%2e%2e" is "..".
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in static_roots):
                raise ValueError(f"Refused to read {path} while rendering a PDF.")
            return super().fetch(url, headers)

    return StaticOnlyFetcher(allowed_protocols={"file", "data"})


def load_renderer() -> None:
    """Import WeasyPrint and render a line in the house font: a server worker does this when it
    starts (maca/wsgi.py), so that nobody's first PDF waits about a second for it. Without the
    libraries it needs, the site still starts and says so; only its PDFs fail."""
    try:
        from weasyprint import HTML

        HTML(string="<p style=\"font-family: 'DejaVu Sans'\">MACA</p>").write_pdf()
    except (ImportError, OSError) as error:
        logger.warning("The PDF renderer could not be loaded: %s", error)


def render_pdf(template_name: str, context: dict, *, stylesheets: list[str]) -> bytes:
    """Render `template_name` with `context` to PDF bytes.

    `stylesheets` are static paths such as "css/briefing-print.css". WeasyPrint is imported here,
    not at module load, because importing it takes most of a second.
    """
    return render_pdf_and_count_pages(template_name, context, stylesheets=stylesheets)[0]


def render_pdf_and_count_pages(
    template_name: str, context: dict, *, stylesheets: list[str]
) -> tuple[bytes, int]:
    """The PDF as `render_pdf` makes it, and how many pages it runs to (laid out once)."""
    from weasyprint import CSS, HTML

    html = render_to_string(template_name, context)
    fetcher = _static_only_fetcher()
    base_url = static_path(stylesheets[0]).parent.as_uri() + "/" if stylesheets else None
    css = [CSS(filename=str(static_path(name)), url_fetcher=fetcher) for name in stylesheets]
    options = {"stylesheets": css, "pdf_variant": "pdf/ua-1", "custom_metadata": True}
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(**options)
    return document.write_pdf(finisher=finish_tags, **options), len(document.pages)


def finish_tags(document, pdf) -> None:
    """What WeasyPrint's tagging leaves out, put in before the PDF is written: the running
    header and footer (margin boxes) become pagination artifacts, which a screen reader skips,
    and each table header cell says whether it heads a column or a row."""
    objects = pdf.objects

    def resolve(reference):
        return objects[int(reference.split()[0])] if isinstance(reference, bytes) else reference

    root = resolve(pdf.catalog["StructTreeRoot"])
    reachable: set[int] = set()
    pending = [resolve(kid) for kid in root["K"]]
    while pending:
        element = pending.pop()
        reachable.add(element.number)
        kids = [resolve(k) for k in element.get("K", []) if isinstance(k, bytes)]
        pending.extend(k for k in kids if "S" in k)
        if element["S"] == "/TH":
            row = resolve(element["P"])
            group = resolve(row["P"]) if row["S"] == "/TR" else row
            element["A"]["Scope"] = "/Column" if group["S"] == "/THead" else "/Row"

    # The parent tree maps each page's marked content (by MCID) to its structure element; the
    # margin boxes' elements were never attached to the document, so nothing reaches them.
    nums = resolve(root["ParentTree"])["Nums"]
    # pydyf lists each page as three items: its number, its generation and "R".
    pages = [objects[number] for number in pdf.pages["Kids"][0::3]]
    for index in range(0, 2 * len(pages), 2):
        page_number, owners = nums[index], nums[index + 1]
        running = {
            mcid for mcid, owner in enumerate(owners) if resolve(owner).number not in reachable
        }
        if not running:
            continue
        for mcid in running:
            owners[mcid] = b"null"
        stream = resolve(pages[page_number]["Contents"])
        _mark_as_artifacts(stream.stream, running)


def _mark_as_artifacts(operations: list, mcids: set[int]) -> None:
    """Turn the marked-content sequences `/Tag <</MCID n>> BDC` of `mcids` into artifacts."""
    import pydyf

    for position in range(1, len(operations) - 1):
        properties = operations[position]
        if (
            operations[position + 1] == b"BDC"
            and isinstance(properties, pydyf.Dictionary)
            and properties.get("MCID") in mcids
        ):
            operations[position - 1] = "/Artifact"
            operations[position] = pydyf.Dictionary({"Type": "/Pagination"})
