"""Asking for a PDF that may take a while, waiting for it, and fetching it: each through the
access gate, checked again when the file is fetched."""

from functools import wraps

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from actions.access import reads_plan
from actions.plan_pdf import asked_query
from cases import access
from cases.chronology_pdf import chosen_filters
from cases.models import Case
from maca.downloads import attachment_response
from maca.middleware import file_the_look_under, name_the_look, still_waiting

from . import services
from .kinds import may_have
from .models import RequestedDocument

Kind = RequestedDocument.Kind
# How often the progress page asks whether the document is ready.
POLL_SECONDS = 2


def asks_for_a_document(view):
    """A view asking the worker for a document, answering a person who has too many on their
    way already with why, and nothing asked (the view's access rules have run by then)."""

    @wraps(view)
    def asking(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except services.TooManyOnTheirWay as refusal:
            context = {"message": str(refusal)}
            return render(request, "documents/too_many.html", context, status=429)

    return asking


@asks_for_a_document
def integrated_chronology_pdf(request, pk, case_id):
    audit = access.get_audit_for(request, pk, "view_meeting_pack")
    case = get_object_or_404(Case, pk=case_id, audit=audit)
    agency_ids, impacts = chosen_filters(
        audit, request.GET.getlist("agency"), request.GET.getlist("impact")
    )
    options = {"agencies": sorted(agency_ids), "impacts": sorted(impacts)}
    document = services.document_request(
        audit=audit, user=request.user, kind=Kind.INTEGRATED_CHRONOLOGY, case=case, options=options
    )
    return onward(document)


@asks_for_a_document
def case_pack_pdf(request, pk):
    audit = access.get_audit_for(request, pk, "view_meeting_pack")
    document = services.document_request(audit=audit, user=request.user, kind=Kind.CASE_PACK)
    return onward(document)


@asks_for_a_document
def draft_briefing_pdf(request, pk):
    audit = access.get_audit_for(request, pk, "view_draft_briefing")
    document = services.document_request(audit=audit, user=request.user, kind=Kind.DRAFT_BRIEFING)
    return onward(document)


@asks_for_a_document
def action_plan_pdf(request):
    """The action plan as filtered on screen, as a PDF for the partnership board: made by the
    background worker, as a plan of years of actions takes a while."""
    access.require(reads_plan(request.user))
    document = services.document_request(
        user=request.user,
        kind=Kind.ACTION_PLAN,
        options={"query": asked_query(request.user, request.GET)},
    )
    return onward(document)


def onward(document: RequestedDocument):
    """Straight to the file when it is made already (the immediate backend), else to the page
    that waits for it."""
    if document.status == RequestedDocument.Status.READY:
        return redirect(document.download_url)
    return redirect(document.progress_url)


def _document_for(request, pk, document_id) -> RequestedDocument:
    """The user's own requested document of an audit, if they may still see what it shows;
    else 404/403."""
    document = get_object_or_404(
        RequestedDocument.objects.kept().select_related("case").defer("content"),
        pk=document_id,
        audit_id=pk,
        requested_by=request.user,
    )
    access.get_audit_for(request, pk, document.permission)
    name_the_look(request, document.log_name)
    return document


def _own_document_for(request, document_id) -> RequestedDocument:
    """The user's own requested document across audits, if they may still have it; else 404."""
    document = get_object_or_404(
        RequestedDocument.objects.kept().select_related("partnership").defer("content"),
        pk=document_id,
        audit__isnull=True,
        requested_by=request.user,
    )
    if not may_have(request.user, document):
        raise Http404("No such document.")
    name_the_look(request, document.log_name)
    if document.partnership_id is not None:  # the board's report: of one partnership
        file_the_look_under(request, [document.partnership_id])
    elif document.options.get("partnerships"):  # the action plan: those whose actions it shows
        file_the_look_under(request, document.options["partnerships"])
    return document


def _progress(request, document: RequestedDocument, nav: str):
    if request.htmx and not (document.done or document.stalled):
        still_waiting(request)
    context = {"document": document, "audit": document.audit, "poll_seconds": POLL_SECONDS}
    template = "documents/_progress.html" if request.htmx else "documents/progress.html"
    response = render(request, template, {**context, "nav": nav})
    response["Cache-Control"] = "private, no-store"
    return response


def _download(document: RequestedDocument):
    if document.status != RequestedDocument.Status.READY:
        raise Http404("The document is not ready.")
    # Deleted since it was looked up (the audit purged, the retention run): gone, as for anyone.
    stored = RequestedDocument.objects.filter(pk=document.pk).values_list("content", flat=True)
    content = stored.first()
    if content is None:
        raise Http404("No such document.")
    return attachment_response(
        bytes(content), filename=document.filename, content_type=document.content_type
    )


@require_GET
def document_progress(request, pk, document_id):
    return _progress(request, _document_for(request, pk, document_id), "audits")


@require_GET
def document_download(request, pk, document_id):
    return _download(_document_for(request, pk, document_id))


@require_GET
def own_document_progress(request, document_id):
    document = _own_document_for(request, document_id)
    return _progress(
        request, document, "actions" if document.kind == Kind.ACTION_PLAN else "learning"
    )


@require_GET
def own_document_download(request, document_id):
    return _download(_own_document_for(request, document_id))
