"""A partnership's logo inside the documents that carry it: the briefing (web page, PDF and Word),
the 7-minute briefing and the action plan's PDF. A published version keeps the logo it went out
with, so it is carried inside the document rather than linked to."""

from __future__ import annotations

import base64
import logging

from django.conf import settings

from maca.files import STORAGE_ERRORS

logger = logging.getLogger(__name__)
CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg"}


def logo_bytes(partnership) -> bytes:
    """The logo's bytes; empty when the partnership has none or it cannot be read just now (a
    document then goes out with the partnership's name alone)."""
    if partnership is None or not partnership.logo:
        return b""
    try:
        with partnership.logo.open("rb") as handle:
            data = handle.read(settings.MACA_LOGO_MAX_BYTES + 1)
    except (FileNotFoundError, ValueError):
        return b""
    except STORAGE_ERRORS:
        logger.exception("Reading the logo of partnership %s failed", partnership.pk)
        return b""
    return data if len(data) <= settings.MACA_LOGO_MAX_BYTES else b""


def logo_data_uri(partnership) -> str:
    """The logo as a data: address for an <img> of a document; "" without one."""
    data = logo_bytes(partnership)
    if not data:
        return ""
    content_type = CONTENT_TYPES.get(partnership.logo_kind, "image/png")
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
