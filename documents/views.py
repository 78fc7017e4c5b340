"""Asking for a PDF that may take a while, waiting for it, and fetching it: each through the
access gate, checked again when the file is fetched."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from cases import access
from cases.chronology_pdf import chosen_filters
from cases.models import Case

from . import services
from .models import RequestedDocument

Kind = RequestedDocument.Kind
# How often the progress page asks whether the document is ready.
POLL_SECONDS = 2


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
    return _onward(document)


def case_pack_pdf(request, pk):
    audit = access.get_audit_for(request, pk, "view_meeting_pack")
    document = services.document_request(audit=audit, user=request.user, kind=Kind.CASE_PACK)
    return _onward(document)


def draft_briefing_pdf(request, pk):
    audit = access.get_audit_for(request, pk, "view_draft_briefing")
    document = services.document_request(audit=audit, user=request.user, kind=Kind.DRAFT_BRIEFING)
    return _onward(document)


def _onward(document: RequestedDocument):
    """Straight to the file when it is made already (the immediate backend), else to the page
    that waits for it."""
    if document.status == RequestedDocument.Status.READY:
        return redirect("document_download", document.audit_id, document.pk)
    return redirect("document_progress", document.audit_id, document.pk)


def _document_for(request, pk, document_id) -> RequestedDocument:
    """The user's own requested document, if they may still see what it shows; else 404/403."""
    document = get_object_or_404(
        RequestedDocument.objects.select_related("case").defer("pdf"),
        pk=document_id,
        audit_id=pk,
        requested_by=request.user,
    )
    access.get_audit_for(request, pk, document.permission)
    return document


@require_GET
def document_progress(request, pk, document_id):
    document = _document_for(request, pk, document_id)
    context = {
        "document": document,
        "audit": document.audit,
        "poll_seconds": POLL_SECONDS,
        "nav": "audits",
    }
    template = "documents/_progress.html" if request.htmx else "documents/progress.html"
    response = render(request, template, context)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def document_download(request, pk, document_id):
    document = _document_for(request, pk, document_id)
    if document.status != RequestedDocument.Status.READY:
        raise Http404("The document is not ready.")
    pdf = RequestedDocument.objects.values_list("pdf", flat=True).get(pk=document.pk)
    response = HttpResponse(bytes(pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
