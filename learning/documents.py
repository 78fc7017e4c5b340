"""The board's assurance report as a requested document: made by the background worker for the
person who asked, from what they may read when it is made."""

from __future__ import annotations

import datetime

from cases.models import Audit
from documents.kinds import Made, register_kind
from documents.models import RequestedDocument
from maca import access

from . import report

FORMATS = {
    "pdf": (report.render_pdf_bytes, "application/pdf"),
    "docx": (
        report.render_docx_bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
}


def report_options(*, asker, partnership, start, end, file_format: str) -> dict:
    """What the report shows: the period, the format, and the roles its asker holds in the
    partnership as they ask (what it holds is what those roles read)."""
    return {
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "format": file_format,
        "held": roles_held(asker, partnership.pk),
    }


def roles_held(user, partnership_id: int) -> list[list]:
    """Each role `user` holds in the partnership, with its agency (0 for none), as JSON keeps
    them."""
    return sorted(
        [role, agency_id or 0]
        for where, role, agency_id in access.membership_rows(user)
        if where == partnership_id
    )


def _day(value):
    return datetime.date.fromisoformat(value) if value else None


def make_report(document: RequestedDocument) -> Made:
    options = document.options
    start, end = _day(options.get("start")), _day(options.get("end"))
    context = report.assurance_context(
        document.requested_by, partnership=document.partnership, start=start, end=end
    )
    draw, content_type = FORMATS[options["format"]]
    name = report.filename(document.partnership, start, end, options["format"])
    content = draw(context)
    _note_audits_shown(document, list(report.audits_shown(context)))
    return Made(content, name, content_type)


def _note_audits_shown(document: RequestedDocument, audit_ids: list[int]) -> None:
    """Keep with the report which audits it shows: it is handed over only while its asker may
    still read each of them."""
    document.options = {**document.options, "audits": sorted(audit_ids)}
    RequestedDocument.objects.filter(pk=document.pk).update(options=document.options)


def _still_reads(user, audit_ids: list[int]) -> bool:
    return Audit.objects.visible_to(user).filter(pk__in=audit_ids).count() == len(set(audit_ids))


def may_have_report(user, document: RequestedDocument) -> bool:
    """A member of the partnership, as the report page asks, while they hold the roles they
    held when they asked and may still read every audit it shows (an agency taken out of an
    audit changes no role): what it holds is what they read, so once they read less it is no
    longer theirs, and they ask again."""
    return (
        document.partnership_id is not None
        and document.partnership_id in access.memberships_of(user).partnerships
        and document.options.get("format") in FORMATS
        and document.options.get("held") == roles_held(user, document.partnership_id)
        and _still_reads(user, document.options.get("audits", []))
    )


def register() -> None:
    register_kind(
        RequestedDocument.Kind.ASSURANCE_REPORT, make=make_report, allowed=may_have_report
    )
