"""Each kind of requested document: how it is made and who may have it, checked when it is asked
for, when it is made and when it is fetched. The documents of one audit are registered here; a
higher app registers its own from its `AppConfig.ready()` (the board's assurance report,
learning/apps.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from actions import plan_pdf
from actions.access import reads_plan, restrict_actions
from actions.models import Action
from cases import access
from cases.chronology_pdf import (
    PDF_MAX_CHARACTERS,
    chronology_characters,
    render_integrated_chronology_pdf,
)
from findings import briefing, casepack

from .models import RequestedDocument

Kind = RequestedDocument.Kind


class TooLong(Exception):
    """Not made: it would be too long for one PDF. Its message says what to do instead."""


def _refuse_past_the_pdf_limit(characters: int, instead: str) -> None:
    if characters > PDF_MAX_CHARACTERS:
        raise TooLong(
            f"Its chronology entries hold {characters:,} characters of text, more than one PDF "
            f"is made of (up to {PDF_MAX_CHARACTERS:,}). {instead}"
        )


@dataclass(frozen=True)
class Made:
    content: bytes
    filename: str
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class DocumentKind:
    make: Callable[[RequestedDocument], Made]
    allowed: Callable[[object, RequestedDocument], bool]


KINDS: dict[str, DocumentKind] = {}


def register_kind(kind: str, *, make, allowed) -> None:
    KINDS[kind] = DocumentKind(make=make, allowed=allowed)


def may_have(user, document: RequestedDocument) -> bool:
    """Whether `user` may ask for, wait for and fetch `document`, as things stand now: never
    once their account is deactivated (the worker makes nothing for them)."""
    kind = KINDS.get(document.kind)
    return kind is not None and user.is_active and kind.allowed(user, document)


def _audit_member_may(user, document: RequestedDocument) -> bool:
    audit = document.audit
    return access.is_member(user, audit) and access.can(user, document.permission, audit)


def _case_pack(document: RequestedDocument) -> Made:
    audit = document.audit
    _refuse_past_the_pdf_limit(
        chronology_characters(case__audit=audit),
        "Download each case's integrated chronology from its own page instead.",
    )
    return Made(casepack.render_pdf_bytes(audit), casepack.pdf_filename(audit))


def _draft_briefing(document: RequestedDocument) -> Made:
    audit = document.audit
    return Made(briefing.render_pdf_bytes(audit), briefing.pdf_filename(audit))


def _integrated_chronology(document: RequestedDocument) -> Made:
    options = document.options
    agency_ids, impacts = set(options.get("agencies", [])), set(options.get("impacts", []))
    _refuse_past_the_pdf_limit(
        chronology_characters(case=document.case, agency_ids=agency_ids, impacts=impacts),
        "Choose fewer agencies or impacts on the integrated chronology's page, and download "
        "the PDF of those.",
    )
    pdf, filename = render_integrated_chronology_pdf(
        document.audit, document.case, agency_ids=agency_ids, impacts=impacts
    )
    return Made(pdf, filename)


def _action_plan(document: RequestedDocument) -> Made:
    try:
        made = plan_pdf.plan_pdf_made(document.requested_by, document.options.get("query", {}))
    except plan_pdf.TooManyActions as refusal:
        raise TooLong(str(refusal)) from None
    # What it shows, kept with it: it is handed over only while its asker may see all of it.
    document.options = {
        **document.options,
        "actions": made.action_ids,
        "partnerships": made.partnership_ids,
    }
    RequestedDocument.objects.filter(pk=document.pk).update(options=document.options)
    return Made(made.content, made.filename)


def _plan_reader_may(user, document: RequestedDocument) -> bool:
    """Someone who reads the plan, while they may still see every action the PDF shows (none
    is known until it is made)."""
    if not reads_plan(user):
        return False
    shown = document.options.get("actions")
    if shown is None:
        return True
    return restrict_actions(Action.objects.filter(pk__in=shown), user).count() == len(shown)


register_kind(Kind.CASE_PACK, make=_case_pack, allowed=_audit_member_may)
register_kind(Kind.DRAFT_BRIEFING, make=_draft_briefing, allowed=_audit_member_may)
register_kind(Kind.INTEGRATED_CHRONOLOGY, make=_integrated_chronology, allowed=_audit_member_may)
register_kind(Kind.ACTION_PLAN, make=_action_plan, allowed=_plan_reader_may)
