"""The integrated chronology of a case, as a page's context and as a PDF (which, for a long
chronology, the background worker makes)."""

from __future__ import annotations

from django.db.models import Sum
from django.db.models.functions import Coalesce, Length
from django.utils import timezone
from django.utils.text import slugify

from cases.models import ChronologyEntry
from cases.selectors import chronology as selectors
from cases.selectors import page_counted_in_its_rows
from maca.pdf import render_pdf

# Rows of the integrated chronology on one page of the web page (the PDF holds every row).
INTEGRATED_PAGE_SIZE = 500
PDF_TEMPLATE = "cases/chronology/integrated_pdf.html"
PDF_STYLESHEETS = ["css/pdf-page.css", "css/chronology-pdf.css"]


def _int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def chosen_filters(audit, agency_values, impact_values) -> tuple[set[int], set[str]]:
    """The agencies (of this audit) and impacts chosen in the address; anything else ignored."""
    known = set(audit.agencies.values_list("pk", flat=True))
    agency_ids = {_int(value) for value in agency_values} & known
    impacts = set(impact_values) & set(ChronologyEntry.Impact.values)
    return agency_ids, impacts


def integrated_context(
    audit, case, *, agency_ids: set[int], impacts: set[str], page_number=None
) -> dict:
    """What the integrated chronology shows: every row (the PDF), or with `page_number` the
    page's rows (`page`, with the count of all) of a chronology that may hold tens of thousands."""
    agencies = selectors.agencies_to_filter_by(audit, case, chosen=agency_ids)
    rows = selectors.integrated_rows(case, agency_ids=agency_ids, impacts=impacts)
    if page_number is None:
        page, entries = None, list(rows)
    else:
        page = page_counted_in_its_rows(rows, page_number, INTEGRATED_PAGE_SIZE)
        entries = page.object_list
    query = "&".join(
        [f"agency={agency_id}" for agency_id in sorted(agency_ids)]
        + [f"impact={impact}" for impact in ChronologyEntry.Impact.values if impact in impacts]
    )
    return {
        "audit": audit,
        "case": case,
        "entries": entries,
        "page": page,
        "page_size": INTEGRATED_PAGE_SIZE,
        "agencies": agencies,
        "impacts": ChronologyEntry.Impact.choices,
        "chosen_agencies": agency_ids,
        "chosen_impacts": impacts,
        "filtered": bool(agency_ids or impacts),
        "chosen_agency_names": [a.name for a in agencies if a.pk in agency_ids],
        "chosen_impact_names": [
            label for value, label in ChronologyEntry.Impact.choices if value in impacts
        ],
        "query": query,
    }


# The most text of chronology entries one PDF is made of: rendering takes about a minute and
# most of a gigabyte of memory per million characters, so a longer one is refused, not tried.
PDF_MAX_CHARACTERS = 1_000_000


def chronology_characters(*, agency_ids: set[int] = frozenset(), impacts=frozenset(), **where):
    """How many characters of text the chronology entries filtered by `where` (case=... or
    case__audit=...), of `agency_ids` and `impacts` when chosen, hold: one query."""
    entries = ChronologyEntry.objects.filter(**where)
    if agency_ids:
        entries = entries.filter(agency_id__in=agency_ids)
    if impacts:
        entries = entries.filter(impact__in=impacts)
    text = Length("event") + Length("source_agency") + Length("action_taken")
    return entries.aggregate(characters=Coalesce(Sum(text), 0))["characters"]


def render_integrated_chronology_pdf(
    audit, case, *, agency_ids: set[int], impacts: set[str]
) -> tuple[bytes, str]:
    """The PDF and its file name."""
    context = integrated_context(audit, case, agency_ids=agency_ids, impacts=impacts)
    context["generated_at"] = timezone.localtime()
    pdf = render_pdf(PDF_TEMPLATE, context, stylesheets=PDF_STYLESHEETS)
    return pdf, f"{slugify(case.label) or 'case'}-integrated-chronology.pdf"
