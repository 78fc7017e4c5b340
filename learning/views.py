"""Learning across audits: the library, the trends and the board's assurance report."""

from django.core.paginator import Paginator
from django.shortcuts import render

from . import search

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
