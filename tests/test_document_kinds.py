"""Each kind of requested document on its own: who may have it as things stand, and what is made
from what the person asked for."""

from __future__ import annotations

import datetime

import pytest

from documents import kinds
from documents.kinds import KINDS, Made, may_have
from documents.models import RequestedDocument
from findings import briefing, casepack
from learning import documents, report
from maca.models import Membership

from .conftest import member
from .factories import CaseFactory, PartnershipFactory, UserFactory

pytestmark = pytest.mark.django_db
Kind = RequestedDocument.Kind
Role = Membership.Role


def report_options(user, partnership, *, start=None, end=None, file_format="pdf") -> dict:
    return documents.report_options(
        asker=user, partnership=partnership, start=start, end=end, file_format=file_format
    )


def asked(user, **fields) -> RequestedDocument:
    return RequestedDocument(requested_by=user, **fields)


def test_documents_of_an_audit_are_for_members_with_the_pages_permission(audit, chair):
    viewer, qa = member(audit, Role.VIEWER), member(audit, Role.QA_MEMBER)
    outsider = UserFactory()
    for kind in (Kind.CASE_PACK, Kind.INTEGRATED_CHRONOLOGY, Kind.DRAFT_BRIEFING):
        document = asked(chair, audit=audit, kind=kind)
        assert may_have(chair, document)
        assert not may_have(viewer, document)
        if kind != Kind.DRAFT_BRIEFING:
            assert not may_have(qa, document)  # a member, before the pack is released
        assert not may_have(outsider, document)
    assert not may_have(chair, asked(chair, audit=audit, kind="unknown"))


def test_each_kind_is_made_from_what_was_asked(audit, chair, monkeypatch):
    case = CaseFactory(audit=audit, label="Case 1")
    drawn = []

    def chronology(audit_, case_, *, agency_ids, impacts):
        drawn.append((audit_, case_, agency_ids, impacts))
        return b"%PDF chronology", "case-1.pdf"

    monkeypatch.setattr(kinds, "render_integrated_chronology_pdf", chronology)
    document = asked(
        chair,
        audit=audit,
        case=case,
        kind=Kind.INTEGRATED_CHRONOLOGY,
        options={"agencies": [3, 4], "impacts": ["harm"]},
    )
    assert KINDS[Kind.INTEGRATED_CHRONOLOGY].make(document) == Made(
        b"%PDF chronology", "case-1.pdf", "application/pdf"
    )
    assert drawn == [(audit, case, {3, 4}, {"harm"})]
    document.options = {}
    KINDS[Kind.INTEGRATED_CHRONOLOGY].make(document)
    assert drawn[-1] == (audit, case, set(), set())

    monkeypatch.setattr(casepack, "render_pdf_bytes", lambda a: b"pack of " + str(a.pk).encode())
    monkeypatch.setattr(briefing, "render_pdf_bytes", lambda a: b"draft of " + str(a.pk).encode())
    pack = KINDS[Kind.CASE_PACK].make(asked(chair, audit=audit, kind=Kind.CASE_PACK))
    assert pack == Made(f"pack of {audit.pk}".encode(), casepack.pdf_filename(audit))
    draft = KINDS[Kind.DRAFT_BRIEFING].make(asked(chair, audit=audit, kind=Kind.DRAFT_BRIEFING))
    assert draft == Made(f"draft of {audit.pk}".encode(), briefing.pdf_filename(audit))


def test_the_board_report_is_for_members_of_its_partnership_in_a_known_format(audit, chair):
    viewer = member(audit, Role.VIEWER)
    other = PartnershipFactory(name="Elsewhere")
    options = report_options(chair, audit.partnership, file_format="pdf")
    assert options == {"start": None, "end": None, "format": "pdf", "held": [["chair", 0]]}
    kind = Kind.ASSURANCE_REPORT
    mine = asked(chair, partnership=audit.partnership, kind=kind, options=options)
    assert may_have(chair, mine)
    # What it holds is what the asker's roles read: not another role's to have.
    assert not may_have(viewer, mine)
    viewers = report_options(viewer, audit.partnership, file_format="pdf")
    theirs = asked(viewer, partnership=audit.partnership, kind=kind, options=viewers)
    assert may_have(viewer, theirs)
    assert not may_have(UserFactory(), mine)
    assert not may_have(chair, asked(chair, partnership=other, kind=kind, options=options))
    assert not may_have(chair, asked(chair, kind=kind, options=options))
    unknown = asked(chair, partnership=audit.partnership, kind=kind, options={"format": "xls"})
    assert not may_have(chair, unknown)


def test_the_board_report_is_made_for_the_person_and_period_asked(audit, chair, monkeypatch):
    seen = []

    def context(user, *, partnership, start, end):
        seen.append((user, partnership, start, end))
        return {"title": "report", "audits": [], "overdue": []}

    monkeypatch.setattr(report, "assurance_context", context)
    monkeypatch.setitem(documents.FORMATS, "docx", (lambda c: b"docx " + c["title"].encode(), "w"))
    start, end = datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)
    options = report_options(chair, audit.partnership, start=start, end=end, file_format="docx")
    assert options["start"] == "2026-01-01" and options["end"] == "2026-06-30"
    document = asked(
        chair, partnership=audit.partnership, kind=Kind.ASSURANCE_REPORT, options=options
    )
    made = KINDS[Kind.ASSURANCE_REPORT].make(document)
    assert made == Made(b"docx report", report.filename(audit.partnership, start, end, "docx"), "w")
    assert seen == [(chair, audit.partnership, start, end)]
    document.options = report_options(chair, audit.partnership, file_format="docx")
    KINDS[Kind.ASSURANCE_REPORT].make(document)
    assert seen[-1] == (chair, audit.partnership, None, None)


def test_a_kind_registered_is_made_and_allowed_by_its_own_rules(audit, chair, monkeypatch):
    monkeypatch.setattr(kinds, "KINDS", {})
    kinds.register_kind("note", make=lambda d: Made(b"note", "note.pdf"), allowed=lambda u, d: True)
    note = asked(chair, audit=audit, kind="note")
    assert may_have(UserFactory(), note)
    assert kinds.KINDS["note"].make(note) == Made(b"note", "note.pdf")

    documents.register()
    monkeypatch.setattr(
        report, "assurance_context", lambda user, **period: {"audits": [], "overdue": []}
    )
    monkeypatch.setitem(documents.FORMATS, "pdf", (lambda context: b"%PDF report", "pdf"))
    options = report_options(chair, audit.partnership, file_format="pdf")
    board = asked(chair, partnership=audit.partnership, kind=Kind.ASSURANCE_REPORT, options=options)
    assert may_have(chair, board) and not may_have(UserFactory(), board)
    assert kinds.KINDS[Kind.ASSURANCE_REPORT].make(board).content == b"%PDF report"


def test_the_action_plan_is_for_plan_readers_while_they_may_open_every_action_it_shows(
    audit, chair
):
    from actions.models import Action

    from .factories import ActionFactory, AgencyFactory

    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    theirs = ActionFactory(audit=audit, owner_agency=housing)
    others = ActionFactory(audit=audit, owner_agency=police)
    coordinator = member(audit, Role.COORDINATOR, agency=housing)
    viewer = member(audit, Role.VIEWER)  # no plan published to them: no plan to read

    def plan(user, shown=None) -> RequestedDocument:
        options = {"query": {}} if shown is None else {"query": {}, "actions": shown}
        return asked(user, kind=Kind.ACTION_PLAN, options=options)

    assert may_have(chair, plan(chair))  # not made yet: asking needs only to read the plan
    assert not may_have(viewer, plan(viewer))
    assert not may_have(UserFactory(), plan(chair))
    assert may_have(coordinator, plan(coordinator, [theirs.pk]))
    assert may_have(coordinator, plan(coordinator, []))
    assert not may_have(coordinator, plan(coordinator, [theirs.pk, others.pk]))
    assert may_have(chair, plan(chair, [theirs.pk, others.pk]))
    Action.objects.filter(pk=theirs.pk).delete()
    assert not may_have(coordinator, plan(coordinator, [theirs.pk]))  # gone: not all shown
    chair.is_active = False
    assert not may_have(chair, plan(chair, [others.pk]))


def test_the_action_plan_is_made_for_its_asker_keeping_what_it_shows(audit, chair, monkeypatch):
    from actions import plan_pdf

    made_for = []

    def made(user, query):
        made_for.append((user, query))
        return plan_pdf.PlanPdf(b"%PDF plan", "action-plan.pdf", [3, 5], [audit.partnership_id])

    monkeypatch.setattr(plan_pdf, "plan_pdf_made", made)
    document = RequestedDocument.objects.create(
        requested_by=chair, kind=Kind.ACTION_PLAN, options={"query": {"overdue": "on"}}
    )
    assert KINDS[Kind.ACTION_PLAN].make(document) == Made(b"%PDF plan", "action-plan.pdf")
    assert made_for == [(chair, {"overdue": "on"})]
    stored = RequestedDocument.objects.get(pk=document.pk).options
    assert stored == {
        "query": {"overdue": "on"},
        "actions": [3, 5],
        "partnerships": [audit.partnership_id],
    }

    def too_many(user, query):
        raise plan_pdf.TooManyActions("Filter it.")

    monkeypatch.setattr(plan_pdf, "plan_pdf_made", too_many)
    with pytest.raises(kinds.TooLong, match="^Filter it.$"):
        KINDS[Kind.ACTION_PLAN].make(document)
