"""Asking for a document and making it."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .kinds import KINDS, TooLong, may_have
from .models import RequestedDocument

logger = logging.getLogger(__name__)
Kind = RequestedDocument.Kind
Status = RequestedDocument.Status


# Documents one person may have on their way at once: the worker serves everyone in turn, and
# one person's hundred variations of a plan or a report must not keep the others waiting.
MAX_ON_THEIR_WAY = 5


class TooManyOnTheirWay(Exception):
    """Not asked for: the person has MAX_ON_THEIR_WAY documents on their way. Its message says
    what to do."""


def document_request(
    *, user, kind: str, audit=None, partnership=None, case=None, options: dict | None = None
) -> RequestedDocument:
    """Ask the background worker for a document of one audit (or, across audits, of one
    partnership); returns it, perhaps already made. The same document asked for again while it
    is still being made (a reload, a second press) is the one already on its way: no second
    copy is queued. Once made, asking again makes it afresh, as what it shows may have changed."""
    RequestedDocument.objects.past_keeping().delete()
    wanted = {
        "audit": audit,
        "partnership": partnership,
        "case": case,
        "kind": kind,
        "options": options or {},
        "requested_by": user,
    }
    with transaction.atomic():
        # One request of this person's at a time looks and adds: a second press at the same
        # moment waits here, then finds the first's copy on its way.
        get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
        on_its_way = (
            RequestedDocument.objects.filter(**wanted).on_their_way().defer("content").first()
        )
        if on_its_way is not None:
            return on_its_way
        if RequestedDocument.objects.filter(requested_by=user).on_their_way().count() >= (
            MAX_ON_THEIR_WAY
        ):
            raise TooManyOnTheirWay(
                f"{MAX_ON_THEIR_WAY} documents you asked for are still being made. Ask for this "
                "one again once one of them is ready: each is ready within a minute or two."
            )
        document = RequestedDocument.objects.create(**wanted)
    from .tasks import make_requested_document

    make_requested_document.enqueue(document.pk)
    document.refresh_from_db()
    return document


def document_make(*, document_id: int) -> None:
    """Make a requested document, if the person who asked may still have what it shows. One
    deleted before or while it is made (the chair's purge, the retention run) stays deleted."""
    document = (
        RequestedDocument.objects.select_related(
            "audit__theme", "audit__partnership", "partnership", "case", "requested_by"
        )
        .filter(pk=document_id)
        .first()
    )
    if document is None or document.done:
        return
    _set_status(document, Status.MAKING)
    if not may_have(document.requested_by, document):
        _set_status(document, Status.FAILED)
        return
    try:
        made = KINDS[document.kind].make(document)
    except TooLong as refusal:
        document.failure = str(refusal)[: RequestedDocument._meta.get_field("failure").max_length]
        _set_status(document, Status.FAILED, fields=["failure"])
        return
    except Exception:
        logger.exception("Requested document %s could not be made", document.pk)
        _set_status(document, Status.FAILED)
        return
    document.content, document.filename = made.content, made.filename
    document.content_type = made.content_type
    _set_status(document, Status.READY, fields=["content", "filename", "content_type"])


def _set_status(document: RequestedDocument, status: str, fields=()) -> None:
    document.status = status
    if status == Status.MAKING:
        document.started_at = timezone.now()
    if status in (Status.READY, Status.FAILED):
        document.finished_at = timezone.now()
    fields = ["status", "started_at", "finished_at", *fields]
    with transaction.atomic():  # a row deleted meanwhile is not written again
        RequestedDocument.objects.filter(pk=document.pk).update(
            **{name: getattr(document, name) for name in fields}
        )
