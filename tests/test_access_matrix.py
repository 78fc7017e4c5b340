"""The access matrix: every URL pattern × every role × objects of their own, of another agency and
of another audit, checked against one table.

The walker reads the URL resolver, so a new route without a row in EXPECTED fails the suite.
Each request runs in a savepoint that is rolled back, so a permitted POST (a deletion, a stage
change) leaves the world as it was for the next request.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from actions.models import Action, ActionUpdate, Evidence, PackageImport
from cases.models import (
    AgencySubmission,
    Audit,
    AuditEvent,
    Case,
    ChronologyEntry,
    ChronologyFile,
    LocalReference,
    Nomination,
    NominationIdentity,
    PurgeRecord,
    SelectionDraw,
    ToolAnswer,
    ToolQuestion,
    ToolSection,
)
from documents.models import RequestedDocument
from findings.models import (
    BriefingVersion,
    Finding,
    GoodPractice,
    ImpactVerdict,
    MeetingRecord,
    Recommendation,
    SevenMinuteBriefing,
    Strength,
    Tag,
    UsageRecord,
)
from findings.publishing import briefing_publish
from maca.models import AccessLogEntry, Invitation, Membership

from .factories import (
    ActionFactory,
    ActionUpdateFactory,
    AgencyFactory,
    AuditFactory,
    CaseFactory,
    ChronologyEntryFactory,
    FindingFactory,
    GoodPracticeFactory,
    MembershipFactory,
    PartnershipFactory,
    RecommendationFactory,
    StrengthFactory,
    ToolQuestionFactory,
    ToolSectionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role

# The table ------------------------------------------------------------------------------------
#
# Columns (who asks, in this order):
#   anon        not signed in
#   outsider    the chair of another partnership
#   absent      a co-ordinator of this partnership whose agency does not take part in the audit
#   viewer      a viewer of this partnership (the audit has a published briefing)
#   qa          a QA member (the meeting pack is not released)
#   own         a co-ordinator of the agency the objects belong to (Housing's file, row, action)
#   other       a co-ordinator of the other agency taking part and involved in the case
#   uninvolved  a co-ordinator of an agency taking part in the audit but not involved in the case
#   chair       the partnership's chair
#   padmin      the partnership's administrator (its people, agencies, settings and logo; no audit)
#
# Answers:
#   O  ok: 200 or a redirect (not to the sign-in page); for a POST, anything but 403/404/405/5xx
#   D  denied: 403 or 404
#   N  not found: 404 only (non-members; another agency's work; anything of another audit)
#   M  405 Method Not Allowed (GET on a route that only takes POST)
#   L  a redirect to the sign-in page (for a signed-in user's POST to logout: signed out)
#
# Every refusal (D, N, M, and L for the anonymous) must also change nothing in the database,
# render no PDF and show none of the world's secrets (the child's name, the local references,
# the chronology file's bytes, rows, answers, findings, actions, evidence, the access log). Every
# other answer shows only the secrets its asker may read (see visible_kinds).
#
# A POST of "-" marks a page without a form of its own: no POST is sent to it.
#
# Every route about an audit or an action is also requested for audit B (another partnership):
# 404 to every signed-in role. And the chair asks with audit A's number but audit B's case, file,
# row, nomination, section, question, item or member: 404.
ROLES = (
    "anon",
    "outsider",
    "absent",
    "viewer",
    "qa",
    "own",
    "other",
    "uninvolved",
    "chair",
    "padmin",
)

# fmt: off
EXPECTED: dict[str, tuple[str, str]] = {
    #                                  GET                    POST
    #                                  a o a v q o o u c p    a o a v q o o u c p
    #                                  n u b i a w t n h a    n u b i a w t n h a
    # Open to everyone.
    "health":                         ("O O O O O O O O O O", "O O O O O O O O O O"),
    "readiness":                      ("O O O O O O O O O O", "O O O O O O O O O O"),
    "login":                          ("O O O O O O O O O O", "O O O O O O O O O O"),
    "logout":                         ("L M M M M M M M M M", "L L L L L L L L L L"),
    "password_reset":                 ("O O O O O O O O O O", "O O O O O O O O O O"),
    "password_reset_done":            ("O O O O O O O O O O", "M M M M M M M M M M"),
    "password_reset_confirm":         ("O O O O O O O O O O", "O O O O O O O O O O"),
    "password_reset_complete":        ("O O O O O O O O O O", "M M M M M M M M M M"),
    # An invitation's link: with a secret that is no invitation's, not found to anyone.
    "invitation_accept":              ("N N N N N N N N N N", "N N N N N N N N N N"),
    # Second factor: any signed-in user, about their own account.
    "password_change":                ("L O O O O O O O O O", "L O O O O O O O O O"),
    "mfa_setup":                      ("L O O O O O O O O O", "L O O O O O O O O O"),
    "mfa_verify":                     ("L O O O O O O O O O", "L O O O O O O O O O"),
    "mfa_recovery_codes":             ("L O O O O O O O O O", "L O O O O O O O O O"),
    # Keeping a signed-in session alive while its page is being typed in.
    "session_keepalive":              ("L M M M M M M M M M", "L O O O O O O O O O"),
    # Not about one audit.
    "home":                           ("L O O O O O O O O O", "-"),
    "audit_create":                   ("L O N N N N N N O N", "L O N N N N N N O N"),
    "audit_import":                   ("L O N N N N N N O N", "L O N N N N N N O N"),
    # A package the chair is importing: theirs alone to follow.
    "audit_import_progress":          ("L N N N N N N N O N", "L M M M M M M M M M"),
    "access_log":                     ("L O N N N N N N O N", "-"),
    "action_plan":                    ("L O O N O O O O O N", "-"),
    "my_actions":                     ("L O O N O O O O O N", "-"),
    "action_plan_pdf":                ("L O O N O O O O O N", "-"),
    "action_plan_export":             ("L O O N O O O O O N", "-"),
    "audit_package":                  ("L N N D D D D D O N", "-"),
    # Learning across audits: each reads only what its asker may read.
    "learning_library":               ("L O O O O O O O O O", "-"),
    "learning_trends":                ("L O O O O O O O O O", "-"),
    "learning_trends_chart":          ("L O O O O O O O O N", "-"),
    "learning_report":                ("L O O O O O O O O O", "-"),
    # The audit, its set-up, members, nominations and selection.
    "audit_detail":                   ("L N N O O O O O O N", "-"),
    "audit_edit":                     ("L N N D D D D D O N", "L N N D D D D D O N"),
    "audit_stage":                    ("L M M M M M M M M M", "L N N D D D D D O N"),
    "audit_members":                  ("L N N D D D D D O N", "L N N D D D D D O N"),
    "audit_member_remove":            ("L N N D D D D D O N", "L N N D D D D D O N"),
    "audit_invitation_withdraw":      ("L M M M M M M M M M", "L N N D D D D D O N"),
    "nomination_list":                ("L N N D O D D D O N", "-"),
    "nomination_create":              ("L N N D O D D D O N", "L N N D O D D D O N"),
    "nomination_edit":                ("L N N D O D D D O N", "L N N D O D D D O N"),
    "nomination_identifiers":         ("L N N N N O O N O N", "L N N N N D D N O N"),
    "nomination_decline":             ("L N N D D D D D O N", "L N N D D D D D O N"),
    "selection":                      ("L N N D D D D D O N", "-"),
    "selection_draw":                 ("L M M M M M M M M M", "L N N D D D D D O N"),
    "selection_confirm":              ("L N N D D D D D O N", "L N N D D D D D O N"),
    "case_labels":                    ("L N N D D D D D O N", "L N N D D D D D O N"),
    # Chronologies.
    "case_detail":                    ("L N N D O O O O O N", "-"),
    "agency_chronology":              ("L N N D N O N N O N", "-"),
    "chronology_file_upload":         ("L M M M M M M M M M", "L N N D N O N N O N"),
    "chronology_rows_import":         ("L M M M M M M M M M", "L N N D N O N N O N"),
    "chronology_entry_add":           ("L M M M M M M M M M", "L N N D N O N N O N"),
    "chronology_entry_edit":          ("L N N D N O N N O N", "L N N D N O N N O N"),
    "chronology_entry_delete":        ("L N N D N O N N O N", "L N N D N O N N O N"),
    "chronology_file_download":       ("L N N D N O N N O N", "-"),
    "chronology_template":            ("L N N D O O O O O N", "-"),
    "integrated_chronology":          ("L N N D D D D D O N", "-"),
    "integrated_chronology_pdf":      ("L N N D D D D D O N", "-"),
    # The audit tool, progress, the meeting pack.
    "tool_edit":                      ("L N N D D D D D O N", "-"),
    "tool_use_default":               ("L M M M M M M M M M", "L N N D D D D D O N"),
    "tool_section_add":               ("L N N D D D D D O N", "L N N D D D D D O N"),
    "tool_section_edit":              ("L N N D D D D D O N", "L N N D D D D D O N"),
    "tool_section_move":              ("L M M M M M M M M M", "L N N D D D D D O N"),
    "tool_section_delete":            ("L N N D D D D D O N", "L N N D D D D D O N"),
    "tool_question_add":              ("L N N D D D D D O N", "L N N D D D D D O N"),
    "tool_question_edit":             ("L N N D D D D D O N", "L N N D D D D D O N"),
    "tool_question_move":             ("L M M M M M M M M M", "L N N D D D D D O N"),
    "tool_question_delete":           ("L N N D D D D D O N", "L N N D D D D D O N"),
    "tool_answer":                    ("L N N D N O N N O N", "L N N D N O N N O N"),
    "tool_reopen":                    ("L M M M M M M M M M", "L N N D D D D D O N"),
    "progress":                       ("L N N D O O O O O N", "-"),
    "progress_remind":                ("L M M M M M M M M M", "L N N D D D D D O N"),
    "meeting_pack":                   ("L N N D D D D D O N", "-"),
    "pack_release":                   ("L N N D D D D D O N", "L N N D D D D D O N"),
    # Retention.
    "retention":                      ("L N N D D D D D O N", "-"),
    "retention_purge":                ("L M M M M M M M M M", "L N N D D D D D O N"),
    "legal_hold":                     ("L M M M M M M M M M", "L N N D D D D D O N"),
    # The briefing, the meeting record, authoring, the case pack.
    "briefing_html":                  ("L N N O O O O O O N", "-"),
    "briefing_pdf":                   ("L N N O O O O O O N", "-"),
    "briefing_docx":                  ("L N N D O O O O O N", "-"),
    "briefing_publish":               ("L N N D D D D D O N", "L N N D D D D D O N"),
    "briefing_versions":              ("L N N O O O O O O N", "-"),
    "briefing_version":               ("L N N O O O O O O N", "-"),
    "briefing_changes":               ("L N N O O O O O O N", "-"),
    "briefing_version_pdf":           ("L N N O O O O O O N", "-"),
    "briefing_version_docx":          ("L N N O O O O O O N", "-"),
    "meeting":                        ("L N N D O O O O O N", "L N N D O D D D O N"),
    "authoring":                      ("L N N D O D D D O N", "-"),
    "briefing_layout":                ("L N N D O D D D O N", "L N N D O D D D O N"),
    "tag_add":                        ("L M M M M M M M M M", "L N N D D D D D O N"),
    "item_add":                       ("L N N D O D D D O N", "L N N D O D D D O N"),
    "item_edit":                      ("L N N D O D D D O N", "L N N D O D D D O N"),
    "item_delete":                    ("L N N D O D D D O N", "L N N D O D D D O N"),
    "item_move":                      ("L M M M M M M M M M", "L N N D O D D D O N"),
    "case_pack":                      ("L N N D D D D D O N", "-"),
    "case_pack_pdf":                  ("L N N D D D D D O N", "-"),
    "briefing_confirm_text":          ("L M M M M M M M M M", "L N N D D D D D O N"),
    "draft_briefing_pdf":             ("L N N D O O O O O N", "-"),
    # The 7-minute briefing (published with version 1) and where the briefing was used.
    "seven_minute":                   ("L N N O O O O O O N", "-"),
    "seven_minute_pdf":               ("L N N O O O O O O N", "-"),
    "seven_minute_docx":              ("L N N D O O O O O N", "-"),
    "seven_minute_edit":              ("L N N D O D D D O N", "L N N D O D D D O N"),
    "seven_minute_draft":             ("L M M M M M M M M M", "L N N D O D D D O N"),
    "seven_minute_version":           ("L N N O O O O O O N", "-"),
    "seven_minute_version_pdf":       ("L N N O O O O O O N", "-"),
    "seven_minute_version_docx":      ("L N N O O O O O O N", "-"),
    "usage":                          ("L N N D O O O O O N", "L N N D D O O O O N"),
    "usage_export":                   ("L N N D O D D D O N", "-"),
    # A session recorded by the `own` agency: its co-ordinators and the chair correct it.
    "usage_edit":                     ("L N N N N O N N O N", "L N N N N O N N O N"),
    "usage_delete":                   ("L N N N N O N N O N", "L N N N N O N N O N"),
    # Re-audits: audit A is an open re-audit of a closed audit (so it cannot be re-audited).
    "reaudit_schedule":               ("L N N D D D D D D N", "L N N D D D D D D N"),
    "impact":                         ("L N N D O D D D O N", "L N N D O D D D O N"),
    "comparison":                     ("L N N D O D D D O N", "-"),
    "comparison_pdf":                 ("L N N D O D D D O N", "-"),
    # A PDF made in the background: only the member who asked for it waits for it and fetches it.
    "document_progress":              ("L N N N N N N N O N", "L M M M M M M M M M"),
    "document_download":              ("L N N N N N N N O N", "L M M M M M M M M M"),
    # A document across audits (the board's report): the world's document is one audit's.
    "own_document_progress":          ("L N N N N N N N N N", "L M M M M M M M M M"),
    "own_document_download":          ("L N N N N N N N N N", "L M M M M M M M M M"),
    # The action plan (the action and its evidence belong to the `own` agency).
    "audit_actions":                  ("L N N N O O O O O N", "-"),
    "action_create":                  ("L N N D D D D D O N", "L N N D D D D D O N"),
    "action_detail":                  ("L N N N O O N N O N", "L N N N N O N N O N"),
    "action_edit":                    ("L N N N D D N N O N", "L N N N D D N N O N"),
    "action_complete":                ("L N N N D D N N O N", "L N N N D D N N O N"),
    "action_cancel":                  ("L N N N D D N N O N", "L N N N D D N N O N"),
    "action_reopen":                  ("L M M M M M M M M M", "L N N N D D N N O N"),
    "action_evidence_upload":         ("L M M M M M M M M M", "L N N N N O N N O N"),
    "action_evidence_download":       ("L N N N O O N N O N", "-"),
    # The partnership itself: its administrator's pages (403 to its other members, 404 to
    # anyone else), and its logo, for every member.
    "partnership_list":               ("L N N N N N N N N O", "-"),
    "partnership_people":             ("L N D D D D D D D O", "L N D D D D D D D O"),
    "partnership_member_remove":      ("L N D D D D D D D O", "L N D D D D D D D O"),
    "partnership_invitation_withdraw": ("L M M M M M M M M M", "L N D D D D D D D O"),
    "partnership_agencies":           ("L N D D D D D D D O", "L N D D D D D D D O"),
    "partnership_agency_edit":        ("L N D D D D D D D O", "L N D D D D D D D O"),
    "partnership_settings":           ("L N D D D D D D D O", "L N D D D D D D D O"),
    "partnership_logo_edit":          ("L N D D D D D D D O", "L N D D D D D D D O"),
    "partnership_logo_remove":        ("L M M M M M M M M M", "L N D D D D D D D O"),
    "partnership_logo":               ("L N O O O O O O O O", "-"),
}
# fmt: on

# Query strings some routes need to reach their access check with real objects.
QUERY = {"item_add": "case={case_id}"}

SKIPPED_PREFIXES = ("admin/", "static/", "media/", "__debug__/")
ITEM_KINDS = ("strength", "finding", "good-practice", "recommendation")
FORMATS = ("csv", "xlsx")
# Keyword arguments that name the containing object: swapping only these is not a cross-audit
# probe (that is the audit-B pass).
CONTAINERS = {"pk", "action_id", "partnership_id"}


def _answers(spec: str) -> dict[str, str | None]:
    """The expected answer per role; None for every role when no POST is sent ("-")."""
    if spec == "-":
        return dict.fromkeys(ROLES)
    codes = spec.split()
    assert set(codes) <= set("ODNML"), spec
    assert len(codes) == len(ROLES), spec
    return dict(zip(ROLES, codes, strict=True))


# The routes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    kwargs: tuple[str, ...]


def walk(patterns=None, prefix="", converters=()) -> list[Route]:
    """Every URL pattern the resolver knows, with the full route and its keyword arguments."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        names = (*converters, *_kwarg_names(pattern.pattern))
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            found.extend(walk(pattern.url_patterns, route, names))
        elif isinstance(pattern, URLPattern):
            found.append(Route(pattern.name or route, route, tuple(names)))
    return found


def _kwarg_names(pattern) -> tuple[str, ...]:
    if hasattr(pattern, "converters"):  # path()
        return tuple(pattern.converters)
    return tuple(pattern.regex.groupindex)  # re_path()


def test_every_route_has_a_row_in_the_table():
    routes = {route.name for route in walk()}
    missing = sorted(routes - EXPECTED.keys())
    assert not missing, (
        f"Routes with no expected answers in tests/test_access_matrix.py EXPECTED: {missing}. "
        "Add a row for each, saying who may GET and POST it."
    )
    stale = sorted(EXPECTED.keys() - routes)
    assert not stale, f"EXPECTED names routes that no longer exist: {stale}"
    for name, (get, post) in EXPECTED.items():
        assert _answers(get) and _answers(post), name


# The world ------------------------------------------------------------------------------------


@dataclass
class World:
    """One audit with everything in it, and the secrets it holds, by who may read them."""

    tag: str
    audit: Audit
    case: Case
    nomination: Nomination
    membership: Membership
    section: ToolSection
    question: ToolQuestion
    items: dict[str, object]
    version_number: int
    agencies: dict[str, object]
    files: dict[str, ChronologyFile]
    entries: dict[str, ChronologyEntry]
    actions: dict[str, Action]
    evidence: dict[str, Evidence]
    usage_records: dict[str, UsageRecord]
    document: RequestedDocument
    package_import: PackageImport
    invitation: Invitation
    # secret text -> what it is: "identity", "ref:<agency>", "work:<agency>", "findings",
    # "action:<agency>" or "log".
    secrets: dict[str, str] = field(default_factory=dict)

    def kwargs(self, route: Route, agency: str, kind: str, fmt: str) -> dict:
        values = {
            "pk": self.audit.pk,
            "case_id": self.case.pk,
            "agency_id": self.agencies[agency].pk,
            "file_id": self.files[agency].pk,
            "entry_id": self.entries[agency].pk,
            "nomination_id": self.nomination.pk,
            "section_id": self.section.pk,
            "question_id": self.question.pk,
            "membership_id": self.membership.pk,
            "kind": kind,
            "item_id": self.items[kind].pk,
            "number": self.version_number,
            "action_id": self.actions[agency].pk,
            "evidence_id": self.evidence[agency].pk,
            "usage_id": self.usage_records[agency].pk,
            "document_id": self.document.pk,
            "import_id": self.package_import.pk,
            "invitation_id": self.invitation.pk,
            "partnership_id": self.audit.partnership_id,
            "fmt": fmt,
            "key": "returns",  # a chart of the trends
            "file_type": "csv",
            "uidb64": "MQ",
            "token": "not-a-real-token",
        }
        unknown = [name for name in route.kwargs if name not in values]
        assert not unknown, f"{route.name}: no object in the world for {unknown}"
        return {name: values[name] for name in route.kwargs}


def build_world(tag: str, partnership, agencies: dict, chair, nominator) -> World:
    original = AuditFactory(
        partnership=partnership, status=Audit.Status.CLOSED, theme__name=f"Theme {tag}"
    )
    audit = AuditFactory(
        partnership=partnership,
        status=Audit.Status.SUBMISSIONS,
        theme=original.theme,
        reaudit_of=original,
    )
    audit.agencies.add(*agencies.values())
    involved = [agencies["housing"], agencies["police"]]
    secrets: dict[str, str] = {}

    def secret(text: str, what: str) -> str:
        secrets[text] = what
        return text

    case = CaseFactory(audit=audit, label="Case 1")
    case.agencies.add(*involved)
    nomination = Nomination.objects.create(
        audit=audit,
        label="Case 1",
        reason="Repeated referrals with no plan.",
        status=Nomination.Status.SELECTED,
        nominated_by=nominator,
        case=case,
    )
    nomination.agencies.add(*involved)
    child = {"A": "Zebedee Quartermaine", "B": "Ottoline Fairweather"}[tag]
    identity = NominationIdentity.objects.create(
        nomination=nomination,
        child_name=secret(child, "identity"),
        date_of_birth=datetime.date(2015, 3, 4),
    )
    for key in ("housing", "police"):
        LocalReference.objects.create(
            identity=identity,
            agency=agencies[key],
            reference=secret(f"REF{key.upper()}{tag}7731", f"ref:{key}"),
        )

    section = ToolSectionFactory(audit=audit, title="Working together")
    question = ToolQuestionFactory(section=section, text="Was the child seen?")
    files, entries, actions, evidence = {}, {}, {}, {}
    recommendation = RecommendationFactory(
        audit=audit, text=secret(f"Recommendationtext{tag}5521", "findings")
    )
    recommendation.cases.add(case)
    for key in ("housing", "police"):
        agency = agencies[key]
        content = secret(f"chronologybytes{key}{tag}9104", f"work:{key}")
        files[key] = ChronologyFile.objects.create(
            case=case,
            agency=agency,
            file=ContentFile(f"date,event\n2025-01-02,{content}\n".encode(), name="c.csv"),
            original_name=f"{agency.name} chronology.csv",
            kind=ChronologyFile.Kind.CSV,
            size=40,
            sha256=f"{key}{tag}".ljust(64, "0"),
        )
        entries[key] = ChronologyEntryFactory(
            case=case, agency=agency, event=secret(f"Rowevent{key}{tag}3318", f"work:{key}")
        )
        submission = AgencySubmission.objects.create(case=case, agency=agency)
        ToolAnswer.objects.create(
            submission=submission,
            question=question,
            text=secret(f"Toolanswer{key}{tag}6620", f"work:{key}"),
            grade="good",
        )
        actions[key] = ActionFactory(
            audit=audit,
            owner_agency=agency,
            recommendation=recommendation,
            due_date=datetime.date.today() + datetime.timedelta(days=60),
            text=secret(f"Actiontext{key}{tag}4410", f"action:{key}"),
        )
        ActionUpdateFactory(
            action=actions[key], text=secret(f"Actionupdate{key}{tag}2207", f"action:{key}")
        )
        evidence_bytes = secret(f"evidencebytes{key}{tag}8853", f"action:{key}")
        evidence[key] = Evidence.objects.create(
            action=actions[key],
            file=ContentFile(f"%PDF-1.4 {evidence_bytes}".encode(), name="e.pdf"),
            original_name="sign-in sheet.pdf",
            kind="pdf",
            size=30,
            sha256=f"e{key}{tag}".ljust(64, "0"),
            uploaded_by=chair,
        )
    items = {
        "strength": StrengthFactory(case=case, text=secret(f"Strengthtext{tag}1170", "findings")),
        "finding": FindingFactory(case=case, text=secret(f"Findingtext{tag}2281", "findings")),
        "good-practice": GoodPracticeFactory(
            audit=audit, text=secret(f"Goodpracticetext{tag}3392", "findings")
        ),
        "recommendation": recommendation,
    }
    SevenMinuteBriefing.objects.create(
        audit=audit, what_we_found=secret(f"Sevenminutetext{tag}4471", "findings")
    )
    version = briefing_publish(audit=audit, user=chair)
    usage_records = {}
    for key in ("housing", "police"):
        usage_records[key] = UsageRecord.objects.create(
            audit=audit,
            agency=agencies[key],
            date=datetime.date(2026, 1, 5),
            team="Team",
            staff_count=3,
            reflection=secret(f"Usagereflection{key}{tag}5092", f"usage:{key}"),
        )
    original_recommendation = RecommendationFactory(audit=original, text="Earlier advice.")
    ImpactVerdict.objects.create(
        reaudit=audit,
        recommendation=original_recommendation,
        verdict=ImpactVerdict.Verdict.PARTLY_SEEN,
        evidence=secret(f"Impactevidence{tag}3170", "impact"),
    )
    AccessLogEntry.objects.create(
        user=chair,
        username=chair.username,
        action=AccessLogEntry.Action.VIEW,
        what="case_detail",
        path=f"/audits/{audit.pk}/cases/{case.pk}/?{secret(f'logmarker{tag}6045', 'log')}",
        audit_id=audit.pk,
        partnership_id=partnership.pk,
    )
    partnership.logo_kind = "png"
    logo = LOGO_BYTES + secret(f"logomarker{tag}7781", "logo").encode()
    partnership.logo.save("logo.png", ContentFile(logo), save=True)
    membership = Membership.objects.filter(partnership=partnership).order_by("pk").last()
    # A PDF the chair asked for: theirs alone to wait for and fetch.
    document = RequestedDocument.objects.create(
        audit=audit,
        kind=RequestedDocument.Kind.CASE_PACK,
        requested_by=chair,
        status=RequestedDocument.Status.READY,
        content=b"%PDF-stub",
        filename="case-pack.pdf",
    )
    # A package the chair imported: theirs alone to follow. An invitation not yet accepted.
    package_import = PackageImport.objects.create(
        requested_by=chair,
        partnership=partnership,
        status=PackageImport.Status.DONE,
        audit=original,
        original_name="past.json",
    )
    invitation = Invitation.objects.create(
        email=f"invited-{tag.lower()}@example.org",
        partnership=partnership,
        role=Role.QA_MEMBER,
        invited_by=chair,
        expires=timezone.now() + datetime.timedelta(days=7),
    )
    return World(
        tag=tag,
        audit=audit,
        case=case,
        nomination=nomination,
        membership=membership,
        section=section,
        question=question,
        items=items,
        version_number=version.number,
        agencies=agencies,
        files=files,
        entries=entries,
        actions=actions,
        evidence=evidence,
        usage_records=usage_records,
        document=document,
        package_import=package_import,
        invitation=invitation,
        secrets=secrets,
    )


# The partnership's logo: its bytes are for the partnership's members only.
LOGO_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02logo"


class FakeHTML:
    """WeasyPrint's HTML, rendering a 'PDF' that is the page's HTML: the access checks and the
    templates run, the secrets in a PDF stay readable, and no test waits on a real layout."""

    renders = 0

    def __init__(self, string="", **kwargs):
        self.string = string

    def write_pdf(self, *args, **kwargs) -> bytes:
        FakeHTML.renders += 1
        return b"%PDF-stub\n" + self.string.encode()

    def render(self, *args, **kwargs):
        """Laid out on one page, as the 7-minute briefing must be."""
        self.pages = [self]
        return self


class FakeCSS:
    """WeasyPrint's CSS, unread: the fake PDF has no layout to style."""

    def __init__(self, *args, **kwargs):
        pass


@dataclass
class People:
    users: dict[str, object]
    world_a: World
    world_b: World


@pytest.fixture
def people(settings, monkeypatch):
    settings.MFA_ENFORCED = False
    import weasyprint

    monkeypatch.setattr(weasyprint, "HTML", FakeHTML)
    monkeypatch.setattr(weasyprint, "CSS", FakeCSS)

    partnership = PartnershipFactory(name="Northshire Safeguarding Children Partnership")
    agencies = {
        key: AgencyFactory(name=key.title(), partnership=partnership)
        for key in ("housing", "police", "education")
    }
    fire = AgencyFactory(name="Fire and Rescue", partnership=partnership)

    def person(role, agency=None, where=partnership):
        user = UserFactory()
        MembershipFactory(user=user, partnership=where, role=role, agency=agency)
        return user

    users = {
        "chair": person(Role.CHAIR),
        "qa": person(Role.QA_MEMBER),
        "housing": person(Role.COORDINATOR, agencies["housing"]),
        "police": person(Role.COORDINATOR, agencies["police"]),
        "uninvolved": person(Role.COORDINATOR, agencies["education"]),
        "absent": person(Role.COORDINATOR, fire),
        "outsider": person(Role.CHAIR, where=PartnershipFactory(name="Faraway Partnership")),
    }
    users["padmin"] = person(Role.PARTNERSHIP_ADMIN)
    # Created last, so that the world's membership to remove is the viewer's.
    users["viewer"] = person(Role.VIEWER)
    world_a = build_world("A", partnership, agencies, users["chair"], users["qa"])

    # Another partnership, with agencies of the same names as its own.
    other = PartnershipFactory(name="Southshire Safeguarding Children Partnership")
    chair_b = person(Role.CHAIR, where=other)
    agencies_b = {key: AgencyFactory(name=key.title(), partnership=other) for key in agencies}
    world_b = build_world("B", other, agencies_b, chair_b, chair_b)
    return People(users=users, world_a=world_a, world_b=world_b)


# Asking ---------------------------------------------------------------------------------------

COUNTED = [
    Audit,
    Case,
    Nomination,
    NominationIdentity,
    LocalReference,
    SelectionDraw,
    AuditEvent,
    ChronologyFile,
    ChronologyEntry,
    ToolSection,
    ToolQuestion,
    AgencySubmission,
    ToolAnswer,
    PurgeRecord,
    Strength,
    Finding,
    GoodPractice,
    Recommendation,
    Tag,
    BriefingVersion,
    MeetingRecord,
    SevenMinuteBriefing,
    UsageRecord,
    ImpactVerdict,
    Action,
    ActionUpdate,
    Evidence,
    Membership,
]


def snapshot() -> tuple:
    """Row counts of the main tables, their latest change, and the audits' stage-like fields."""
    quote = connection.ops.quote_name
    parts = []
    for model in COUNTED:
        table = quote(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) FROM {table})")  # noqa: S608 (the models' own tables)
        if any(f.name == "updated_at" for f in model._meta.fields):
            parts.append(f"(SELECT MAX({quote('updated_at')}) FROM {table})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}")
        row = cursor.fetchone()
    audits = Audit.objects.order_by("pk").values_list(
        "status", "pack_released_at", "legal_hold_at", "closed_at", "title"
    )
    return row, list(audits)


def body_of(response) -> bytes:
    if getattr(response, "streaming", False):
        # Reading to the end closes the response (and the test client keeps the database
        # connection open while it does); closing it again would close the connection.
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if body[:2] == b"PK":  # DOCX and XLSX: read what is inside
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as archive:
                body += b"".join(archive.read(name) for name in archive.namelist())
        except zipfile.BadZipFile:
            pass
    return body


@dataclass
class Answer:
    status: int
    location: str
    body: bytes
    changed: list[str]
    rendered_pdf: bool
    error: str = ""
    logged: int = 0  # access-log entries the request wrote


WRITES = ("INSERT", "UPDATE", "DELETE")
# Written by refusals too, by design: the session, and the access log's entry of the refusal.
BOOKKEEPING_TABLES = ("django_session", AccessLogEntry._meta.db_table)


def ask(client: Client, method: str, url: str, watch: bool = True) -> Answer:
    """One request inside a savepoint that is rolled back afterwards. With `watch` (a request
    that must change nothing): any write outside the bookkeeping tables, and for a POST the row
    counts of the main tables before and after, tell whether the database changed."""
    renders = FakeHTML.renders
    before = snapshot() if watch and method == "POST" else None
    log_before = AccessLogEntry.objects.count()
    try:
        with transaction.atomic():
            with CaptureQueriesContext(connection) as queries:
                response = getattr(client, method.lower())(url)
            body = body_of(response)
            writes = [
                q["sql"][:120]
                for q in queries.captured_queries
                if q["sql"].lstrip().upper().startswith(WRITES)
                and not any(table in q["sql"] for table in BOOKKEEPING_TABLES)
            ]
            changed = writes if watch else []
            if before is not None and snapshot() != before:
                changed.append("row counts of the main tables")
            logged = AccessLogEntry.objects.count() - log_before
            transaction.set_rollback(True)
    except Exception as error:  # a 500: reported with the URL and role
        return Answer(500, "", b"", [], False, f"{type(error).__name__}: {error}")
    finally:
        client.cookies.pop("messages", None)
    return Answer(
        response.status_code,
        response.get("Location", ""),
        body,
        changed,
        FakeHTML.renders != renders,
        logged=logged,
    )


def check(answer: Answer, expected: str, method: str) -> str | None:
    """Why `answer` does not fit the `expected` class, or None when it does."""
    login = reverse("login")
    if answer.error:
        return f"raised {answer.error}"
    status = answer.status
    to_login = status == 302 and answer.location.startswith(login)
    if expected == "O":
        if method == "POST":
            ok = status < 500 and status not in (403, 404, 405) and not to_login
        else:
            ok = status in (200, 302) and not to_login
    elif expected == "D":
        ok = status in (403, 404)
    elif expected == "N":
        ok = status == 404
    elif expected == "M":
        ok = status == 405
    elif expected == "L":
        ok = to_login
    else:
        return f"unknown expectation {expected!r}"
    if not ok:
        return f"expected {expected}, got {status} {answer.location}".rstrip()
    if answer.changed:
        return f"refused ({status}) but the database changed: {answer.changed}"
    if expected != "O" and answer.rendered_pdf:
        return f"refused ({status}) but a PDF was rendered"
    return None


def leaked(body: bytes, forbidden: dict[str, str]) -> list[str]:
    return [f"{what} “{text}”" for text, what in forbidden.items() if text.encode() in body]


AGENCIES = ("housing", "police")


def visible_kinds(who: str) -> set[str]:
    """What each person may read of audit A (nothing of audit B), by kind of secret. The meeting
    pack is not released, so QA members read no agency's chronology or audit tool."""
    kinds = {
        "anon": set(),
        "outsider": set(),
        "absent": set(),
        "viewer": {"findings"},
        "qa": {"findings", "impact"}
        | {f"{kind}:{a}" for kind in ("action", "usage") for a in AGENCIES},
        "housing": {"findings", "identity"}
        | {f"{k}:housing" for k in ("ref", "work", "action", "usage")},
        "police": {"findings", "identity"}
        | {f"{k}:police" for k in ("ref", "work", "action", "usage")},
        "uninvolved": {"findings"},
        "chair": {"findings", "identity", "log", "impact"}
        | {
            f"{kind}:{agency}" for kind in ("ref", "work", "action", "usage") for agency in AGENCIES
        },
        "padmin": set(),  # no case-level data by virtue of the role
    }[who]
    # The partnership's logo is every member's to see.
    return kinds if who in ("anon", "outsider") else kinds | {"logo"}


def requests_for(route: Route):
    """The (kind, fmt) variants of a route: each kind of briefing item, each file format."""
    kinds = ITEM_KINDS if "kind" in route.kwargs else ("strength",)
    formats = FORMATS if "fmt" in route.kwargs else ("csv",)
    return [(kind, fmt) for kind in kinds for fmt in formats]


def url_for(route: Route, world: World, agency: str, kind: str, fmt: str, sub=None) -> str:
    kwargs = world.kwargs(route, agency, kind, fmt)
    if sub is not None:  # another audit's sub-objects under this audit's number
        other = sub.kwargs(route, agency, kind, fmt)
        kwargs = {k: (v if k in CONTAINERS else other[k]) for k, v in kwargs.items()}
    url = reverse(route.name, kwargs=kwargs)
    query = QUERY.get(route.name)
    if query:
        url += "?" + query.format(**{"case_id": (sub or world).case.pk})
    return url


# The passes -----------------------------------------------------------------------------------


def client_for(people: People, who: str) -> Client:
    client = Client()
    if who != "anon":
        client.force_login(people.users[who])
    return client


def run_pass(people: People, who: str, agency: str, world: World, expect_for, sub=None):
    """Ask every route, GET and (for forms) POST, as `who` about `agency`'s objects in `world`
    (with `sub`: the objects inside the audit are another audit's); list every wrong answer."""
    client = client_for(people, who)
    allowed = visible_kinds(who)
    everything = {
        **{t: f"audit A's {w}" for t, w in people.world_a.secrets.items()},
        **{t: f"audit B's {w}" for t, w in people.world_b.secrets.items()},
    }
    # A refusal shows no secret at all; an answer shows none that `who` may not read.
    forbidden = {
        t: w
        for t, w in everything.items()
        if t not in people.world_a.secrets or people.world_a.secrets[t] not in allowed
    }
    problems = []
    for route in walk():
        if route.name not in EXPECTED:
            continue  # reported by test_every_route_has_a_row_in_the_table
        for kind, fmt in requests_for(route):
            if sub is not None and not crossed(route, world, sub, agency, kind, fmt):
                continue
            url = url_for(route, world, agency, kind, fmt, sub=sub)
            for method, spec in zip(("GET", "POST"), EXPECTED[route.name], strict=True):
                code = _answers(spec)[column_of(who, agency)] if spec != "-" else None
                expected = code and expect_for(route, method, code)
                if not expected:
                    continue
                # A refusal must change nothing (a signed-in user's "L" is signing out).
                refused = expected in ("D", "N", "M") or (expected == "L" and who == "anon")
                answer = ask(client, method, url, watch=refused)
                where = f"{method} {url} ({route.name}) as {who} about {agency}'s objects"
                if problem := check(answer, expected, method):
                    problems.append(f"{where}: {problem}")
                elif method == "GET" and answer.status == 200 and answer.logged != _looks(route):
                    problems.append(f"{where}: wrote {answer.logged} access-log entries")
                if found := leaked(answer.body, everything if refused else forbidden):
                    problems.append(f"{where} → {answer.status} shows {', '.join(found)}")
                if route.name == "logout" and who != "anon":
                    client.force_login(people.users[who])
    return problems


def _looks(route: Route) -> int:
    """Every case-level page or file that is shown is written to the access log exactly once."""
    from maca.middleware import CASE_LEVEL_PREFIXES

    return 1 if route.route.startswith(CASE_LEVEL_PREFIXES) else 0


def column_of(who: str, agency: str) -> str:
    """The table's column for a person asking about an agency's objects."""
    if who in ("housing", "police"):
        return "own" if who == agency else "other"
    return who


def crossed(route: Route, world: World, sub: World, agency: str, kind: str, fmt: str) -> list:
    """The route's sub-objects that differ between the two audits."""
    if not CONTAINERS & set(route.kwargs):
        return []
    mine, theirs = (w.kwargs(route, agency, kind, fmt) for w in (world, sub))
    return [name for name in mine if name not in CONTAINERS and mine[name] != theirs[name]]


def report(problems: list[str]) -> str:
    return f"{len(problems)} wrong answers:\n" + "\n".join(problems)


# (person asking, whose objects they ask about): every role of the table, and each co-ordinator
# about their own agency's objects and about the other agency's.
PASSES = [
    ("anon", "housing"),
    ("outsider", "housing"),
    ("absent", "housing"),
    ("viewer", "housing"),
    ("qa", "housing"),
    ("housing", "housing"),
    ("housing", "police"),
    ("police", "housing"),
    ("uninvolved", "housing"),
    ("chair", "housing"),
    ("padmin", "housing"),
]


@pytest.mark.same_on_every_database(
    kept=(
        "chair-about-housing",
        "housing-about-housing",
        "viewer-about-housing",
        "anon-about-housing",
    )
)
@pytest.mark.parametrize(("who", "agency"), PASSES, ids=[f"{w}-about-{a}" for w, a in PASSES])
def test_each_role_gets_the_tables_answer_on_every_route(people, who, agency):
    problems = run_pass(people, who, agency, people.world_a, lambda route, method, code: code)
    assert not problems, report(problems)


# Each kind of membership once: the others (outsider, absent, uninvolved, Police) hold nothing
# in audit B's partnership either, as these do not.
B_PASSES = [
    ("anon", "housing"),
    ("viewer", "housing"),
    ("qa", "housing"),
    ("housing", "housing"),
    ("chair", "housing"),
    ("padmin", "housing"),
]


@pytest.mark.same_on_every_database(kept=("chair",))
@pytest.mark.parametrize(("who", "agency"), B_PASSES, ids=[w for w, _ in B_PASSES])
def test_nobody_reaches_another_partnerships_audit(people, who, agency):
    """Audit B belongs to another partnership (its agencies have the same names, Housing and
    Police): 404 to everyone here, whatever their role, for every route about an audit, an
    action or the partnership."""

    def expect_for(route, method, code):
        if not CONTAINERS & set(route.kwargs):
            return None
        if who == "anon":
            return "L"
        return "M" if code == "M" else "N"

    problems = run_pass(people, who, agency, people.world_b, expect_for)
    assert not problems, report(problems)


@pytest.mark.parametrize("who", ["chair", "padmin"])
def test_nobody_reaches_another_partnerships_objects_through_their_own(people, who):
    """Audit A's number with audit B's case, file, row, nomination, section, question, item,
    member or evidence, and partnership A's number with partnership B's member or agency: 404,
    as if they did not exist (403 where the asker may not open the page at all)."""
    probed = []

    def expect_for(route, method, code):
        probed.append(route.name)
        return code if code in ("M", "D", "N") else "N"

    problems = run_pass(people, who, "housing", people.world_a, expect_for, sub=people.world_b)
    assert len(set(probed)) > (20 if who == "chair" else 3)
    assert not problems, report(problems)
