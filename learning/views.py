"""Learning across audits: the library, the trends and the board's assurance report."""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify

from documents.models import RequestedDocument
from documents.services import document_request
from documents.views import asks_for_a_document, onward
from maca import access

from . import charts, documents, report, search
from .forms import last_twelve_months, read_scope
from .trends import published_audits, trends_for

PAGE_SIZE = 20


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def library(request):
    """Search the published learning the user may read; filters live in the URL."""
    choices = search.filter_choices(request.user)
    filters = search.read_filters(request.GET, choices)
    page = Paginator(search.search_library(request.user, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "filters": filters,
        "choices": choices,
        "page": page,
        "results": search.results(page.object_list, filters.query),
        "query": _query_without_page(request),
        "nav": "learning",
    }
    return render(request, "learning/library.html", context)


def _trends(request, scope):
    if not scope.valid:
        return None
    return trends_for(request.user, partnership=scope.partnership, start=scope.start, end=scope.end)


def trends(request):
    """Charts of a partnership's published audits over a period, each with its table."""
    scope = read_scope(request.GET, request.user)
    found = _trends(request, scope)
    sizes = {
        key: {"wide": charts.css_size(chart), "narrow": charts.css_size(chart, narrow=True)}
        for key, chart in (found.charts.items() if found else ())
    }
    context = {"scope": scope, "trends": found, "sizes": sizes, "nav": "learning"}
    return render(request, "learning/trends.html", context)


CHART_TYPES = {
    "svg": "image/svg+xml; charset=utf-8",
    "png": "image/png",
    "csv": "text/csv; charset=utf-8",
}
DRAW = {"svg": charts.chart_svg, "png": charts.chart_png}


def _chart_file(chart, file_type, query) -> str | bytes:
    """The chart drawn, or its figures; `?layout=narrow` draws it for a phone's screen."""
    if file_type == "csv":
        return charts.chart_csv(chart)
    return DRAW[file_type](chart, narrow=query.get("layout") == "narrow")


def trends_chart(request, key, file_type):
    """One chart of the trends page as SVG or PNG, or its figures as CSV."""
    scope = read_scope(request.GET, request.user)
    found = _trends(request, scope)
    if found is None or key not in found.charts or file_type not in CHART_TYPES:
        raise Http404("No such chart.")
    chart = found.charts[key]
    drawn = _chart_file(chart, file_type, request.GET)
    response = HttpResponse(drawn, content_type=CHART_TYPES[file_type])
    period = "-".join(day.isoformat() for day in (scope.start, scope.end) if day) or "all"
    name = f"{slugify(f'{scope.partnership.name} {key}')[:80]}-{period}"
    disposition = "inline" if "download" not in request.GET else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}.{file_type}"'
    return response


@asks_for_a_document
def assurance_report(request):
    """The board's assurance report for a partnership and period; asked for as PDF or Word, it
    is made by the background worker, with a page that shows its progress."""
    scope = read_scope(request.GET, request.user, default_period=last_twelve_months)
    wanted = request.GET.get("format", "")
    if scope.valid and wanted in documents.FORMATS:
        document = document_request(
            user=request.user,
            kind=RequestedDocument.Kind.ASSURANCE_REPORT,
            partnership=scope.partnership,
            options=documents.report_options(
                asker=request.user,
                partnership=scope.partnership,
                start=scope.start,
                end=scope.end,
                file_format=wanted,
            ),
        )
        return onward(document)
    context = {
        "scope": scope,
        "audits": _report_audits(request, scope),
        # Chairs and QA members, who read every agency's records, have the briefings' use too.
        "with_practice": scope.partnership is not None
        and scope.partnership.pk in access.memberships_of(request.user).staff,
        "reader_scope": scope.partnership and report.reader_scope(request.user, scope.partnership),
        "nav": "learning",
    }
    return render(request, "learning/report.html", context)


def _report_audits(request, scope):
    if not scope.valid:
        return None
    return list(
        published_audits(
            request.user, partnership=scope.partnership, start=scope.start, end=scope.end
        ).select_related("theme")
    )
