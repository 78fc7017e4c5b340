"""The action plan as filtered on screen, read for a download: its actions, counts and filters in
words, and its PDF for the partnership board, made by the background worker (documents/)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateformat import format as date_format

from cases.models import Audit
from cases.naming import audit_name
from maca import access
from maca.models import DEFAULT_MARKING, Agency
from maca.pdf import render_pdf

from . import selectors
from .forms import PlanFilterForm

PDF_STYLESHEETS = ["css/pdf-page.css", "css/action-plan-pdf.css"]
# The filters a plan's download is asked for with (the plan page's, and "mine" for my agency's).
QUERY_KEYS = ("audit", "owner_agency", "status", "rag", "overdue", "due_from", "due_to", "sort")
# One PDF of the plan holds at most this many actions: the board's copy of a partnership's plan
# over years is filtered (open actions, one audit, one agency) or read as a spreadsheet.
MAX_PDF_ACTIONS = 1000


@dataclass(frozen=True)
class PlanPdf:
    content: bytes
    filename: str
    action_ids: list[int]  # what it shows, for asking later whether its reader still may
    partnership_ids: list[int]


class TooManyActions(Exception):
    """Not made: more actions than one PDF holds. Its message says what to do instead."""


def coordinated_agency_ids(user) -> set[int]:
    return set().union(*access.memberships_of(user).coordinated.values())


def plan_filters(user, query, *, agencies=None):
    """The plan's filter form, bound to `query` (the URL's), and the filters of it that are
    valid."""
    audits = Audit.objects.visible_to(user).select_related("theme")
    if agencies is None:
        agencies = Agency.objects.filter(
            partnership_id__in=access.memberships_of(user).partnerships
        )
    form = PlanFilterForm(query or None, audits=audits, agencies=agencies)
    if not form.is_bound:
        return form, {}
    form.is_valid()  # a filter in error is left out (said beside it); the others still apply
    return form, form.cleaned_data


def asked_query(user, query) -> dict[str, str]:
    """The filters of `query` (the URL's) that are valid, each in one spelling, as the plan's
    PDF is asked for and kept with the request: a filter in error (another partnership's audit,
    a value no choice has, a NUL character, which PostgreSQL cannot keep in a JSON field) is
    left out, as the PDF leaves it out, so that the same plan asked for in another spelling is
    the request already on its way, not another one for the worker."""
    _, filters = plan_filters(user, query)
    kept = {}
    for name in QUERY_KEYS:
        value = filters.get(name)
        if value in (None, "", False):
            continue
        if hasattr(value, "pk"):
            value = value.pk
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        elif value is True:
            value = "on"
        kept[name] = str(value)
    if query.get("mine"):
        kept["mine"] = "on"
    return kept


def exported_actions(user, query):
    """The plan's actions and RAG counts for a download, as filtered on screen, and the filters
    described in words."""
    form, filters = plan_filters(user, query)
    described = _describe(form, filters)
    if query.get("mine"):
        filters = {**filters, "owner_agencies": list(coordinated_agency_ids(user))}
        described.insert(0, "My agency's actions")
    actions, counts = selectors.plan_for(user, filters=filters)
    if filters.get("rag"):  # a download counts what it holds, not the ratings filtered out
        counts = {rag: count for rag, count in counts.items() if rag == filters["rag"]}
    # The PDF and the spreadsheets name each audit's partnership.
    return actions.select_related("recommendation", "audit__partnership"), counts, described


def _describe(form, filters) -> list[str]:
    described = []
    for name, value in filters.items():
        if name == "sort" or value in (None, "", False):
            continue
        field, label = form.fields[name], form[name].label
        if name == "audit":
            value = form.audit_names().get(value.pk, value)
        elif name == "owner_agency":
            value = form.agency_names().get(value.pk, value)
        elif hasattr(field, "choices") and not hasattr(value, "pk"):
            value = dict(field.choices).get(value, value)
        elif hasattr(value, "isoformat"):
            value = date_format(value, "j F Y")
        described.append(str(label) if value is True else f"{label}: {value}")
    return described


def _marking_of(audits) -> str:
    """The audits' own protective markings, every one of them (never fewer than the default
    when one has none), each also printed with its audit's section when they differ."""
    markings = {audit.protective_marking.strip() or DEFAULT_MARKING for audit in audits}
    return " / ".join(sorted(markings)) or DEFAULT_MARKING


def marking_of_actions(actions) -> str:
    """The markings of the audits of `actions` (a queryset), as `_marking_of` says them."""
    return _marking_of(
        Audit.objects.filter(pk__in=actions.values("audit_id")).only("protective_marking")
    )


def _one_audit(query, groups):
    """The audit the plan was asked for and shows alone, if it was (an audit filter no longer
    valid when the PDF is made is left out)."""
    if len(groups) == 1 and query.get("audit") == str(groups[0][0].pk):
        return groups[0][0]
    return None


def _plan_title(query, groups) -> str:
    """ "Action plan: <theme>" for one audit's plan, else the composite plan."""
    audit = _one_audit(query, groups)
    return f"Action plan: {audit_name(audit)}" if audit else "Composite action plan"


def _plan_filename(query, groups) -> str:
    """One audit's plan is named for its theme, as its briefing's files are, so that the plans
    of two audits downloaded on one day are told apart; the composite plan by its date alone."""
    audit = _one_audit(query, groups)
    theme = f"{audit.file_stem}-" if audit else ""
    return f"{theme}action-plan-{timezone.localdate().isoformat()}.pdf"


def plan_pdf_made(user, query: dict) -> PlanPdf:
    """The plan as `user` may see it now, filtered by `query`, as an A4 landscape PDF."""
    actions, counts, described = exported_actions(user, query)
    total = actions.count()
    if total > MAX_PDF_ACTIONS:
        raise TooManyActions(
            f"The plan as filtered holds {total:,} actions, more than one PDF is made of (up "
            f"to {MAX_PDF_ACTIONS:,}). Filter it to fewer on the action plan's page (open "
            "actions, one audit or one owner agency) and download the PDF of those, or "
            "download it as Excel, which holds every action."
        )
    actions = list(actions)
    groups = selectors.group_by_audit(actions)
    context = {
        "plan_title": _plan_title(query, groups),
        "partnerships": selectors.plan_partnerships(user, groups),
        "groups": groups,
        "counts": counts,
        "total": len(actions),
        "filters": described,
        "generated_at": timezone.localtime(),
        "marking": _marking_of(audit for audit, _ in groups),
    }
    content = render_pdf("actions/plan_pdf.html", context, stylesheets=PDF_STYLESHEETS)
    return PlanPdf(
        content=content,
        filename=_plan_filename(query, groups),
        action_ids=sorted(action.pk for action in actions),
        partnership_ids=sorted({audit.partnership_id for audit, _ in groups}),
    )
