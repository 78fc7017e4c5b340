"""Asking for a document and making it."""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from cases import access
from cases.chronology_pdf import render_integrated_chronology_pdf
from findings import briefing, casepack

from .models import RequestedDocument

logger = logging.getLogger(__name__)
Kind = RequestedDocument.Kind
Status = RequestedDocument.Status

# A made document holds case material: it is kept only long enough to be fetched.
KEEP_FOR = datetime.timedelta(hours=24)


def document_request(
    *, audit, user, kind: str, case=None, options: dict | None = None
) -> RequestedDocument:
    """Ask the background worker for a document; returns it, perhaps already made."""
    RequestedDocument.objects.filter(requested_at__lt=timezone.now() - KEEP_FOR).delete()
    document = RequestedDocument.objects.create(
        audit=audit, case=case, kind=kind, options=options or {}, requested_by=user
    )
    from .tasks import make_requested_document

    make_requested_document.enqueue(document.pk)
    document.refresh_from_db()
    return document


def document_make(*, document_id: int) -> None:
    """Make a requested document, if the person who asked may still see what it shows."""
    document = RequestedDocument.objects.select_related(
        "audit__theme", "audit__partnership", "case", "requested_by"
    ).get(pk=document_id)
    if document.done:
        return
    _set_status(document, Status.MAKING)
    user, audit = document.requested_by, document.audit
    if not (access.is_member(user, audit) and access.can(user, document.permission, audit)):
        _set_status(document, Status.FAILED)
        return
    try:
        pdf, filename = _render(document)
    except Exception:
        logger.exception("Requested document %s could not be made", document.pk)
        _set_status(document, Status.FAILED)
        return
    document.pdf, document.filename = pdf, filename
    _set_status(document, Status.READY, fields=["pdf", "filename"])


def _render(document: RequestedDocument) -> tuple[bytes, str]:
    if document.kind == Kind.CASE_PACK:
        return casepack.render_pdf_bytes(document.audit), casepack.pdf_filename(document.audit)
    if document.kind == Kind.DRAFT_BRIEFING:
        return briefing.render_pdf_bytes(document.audit), briefing.pdf_filename(document.audit)
    options = document.options
    return render_integrated_chronology_pdf(
        document.audit,
        document.case,
        agency_ids=set(options.get("agencies", [])),
        impacts=set(options.get("impacts", [])),
    )


def _set_status(document: RequestedDocument, status: str, fields=()) -> None:
    document.status = status
    if status in (Status.READY, Status.FAILED):
        document.finished_at = timezone.now()
    with transaction.atomic():
        document.save(update_fields=["status", "finished_at", *fields])
