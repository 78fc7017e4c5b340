"""Demo data built through the same services people use, so every page has something to show.

Every name here is invented. Dates are relative to the day the demo is loaded, so the action plan
always has overdue, due-soon and on-track actions.
"""

from __future__ import annotations

import datetime
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.models import AgencySubmission, Audit, Grade, Nomination, Theme, ToolQuestion
from cases.services import chronology, nominations, stages, tool
from maca.models import Agency

from . import services
from .models import Action, ActionUpdate

IN_PROGRESS_THEME = "Domestic abuse and young parents"

NOMINATIONS = [
    # label, reason, age band, gender, legal status, agencies, tags, invented identifiers
    (
        "Case 1",
        "Repeated police call-outs; baby under one.",
        "under_1",
        "girl",
        "child_in_need",
        ["Police", "Housing", "Health – GP practices"],
        ["domestic abuse"],
        ("Alex Sample", "HX-10001"),
    ),
    (
        "Case 2",
        "Young mother, 17, in temporary accommodation.",
        "16_17",
        "girl",
        "child_protection",
        ["Housing", "Children’s Social Care"],
        ["housing"],
        ("Jamie Example", "HX-10002"),
    ),
    (
        "Case 3",
        "Father's violence known to school; no referral made.",
        "5_9",
        "boy",
        "early_help",
        ["Police", "Children’s Social Care"],
        ["escalation"],
        None,
    ),
    (
        "Case 4",
        "Stepped down from a child protection plan, then re-referred.",
        "10_15",
        "boy",
        "child_in_need",
        ["Children’s Social Care", "Health – GP practices"],
        ["drift and delay"],
        None,
    ),
    (
        "Case 5",
        "Missed health appointments and a house move.",
        "1_4",
        "girl",
        "none",
        ["Health – GP practices", "Housing"],
        ["neglect"],
        None,
    ),
    (
        "Case 6",
        "Both parents care leavers.",
        "under_1",
        "boy",
        "looked_after",
        ["Children’s Social Care"],
        ["Think Family"],
        None,
    ),
]

CHRONOLOGY_CSV = (
    "Date,Event,Source agency,Impact,Action taken\n"
    "2025,Family placed in temporary accommodation,Housing,negative,Housing officer allocated\n"
    "03/2026,Rent arrears reported,Housing,negative,Referral to money advice\n"
    "14/04/2026,Home visit: baby well cared for,Housing,positive,None\n"
)


def build_audit_in_progress(partnership, *, chair, qa, coordinator) -> Audit:
    """An audit at 'Submissions open': nominated, selected, and part-way through submissions."""
    today = timezone.localdate()
    agencies = {
        a.name: a for a in Agency.objects.filter(partnership=partnership, name__in=_agency_names())
    }
    theme, _ = Theme.objects.get_or_create(
        partnership=partnership,
        name=IN_PROGRESS_THEME,
        defaults={"description": "Young parents living with domestic abuse."},
    )
    audit = Audit.objects.create(
        partnership=partnership,
        theme=theme,
        protective_marking="OFFICIAL-SENSITIVE",
        submission_deadline=today + datetime.timedelta(days=10),
        meeting_date=today + datetime.timedelta(days=24),
        target_case_count=4,
    )
    audit.agencies.set(agencies.values())
    tool.default_tool_create(audit=audit)
    stages.audit_advance(audit=audit, user=chair)  # nominating

    created = []
    for label, reason, age, gender, legal, involved, tags, identity in NOMINATIONS:
        data = {
            "label": label,
            "reason": reason,
            "age_band": age,
            "gender": gender,
            "legal_status": legal,
            "ethnicity": Nomination.Ethnicity.UNKNOWN,
            "disability": Nomination.Disability.UNKNOWN,
            "tags": tags,
            "agencies": [agencies[name] for name in involved],
        }
        identifiers = None
        if identity:
            name, reference = identity
            identifiers = {"child_name": name, "references": {agencies["Housing"].pk: reference}}
        created.append(
            nominations.nomination_create(audit=audit, user=qa, data=data, identity=identifiers)
        )
    nominations.selection_draw(audit=audit, user=chair, seed="demo0001")
    nominations.selection_confirm(
        audit=audit, user=chair, nomination_ids=[n.pk for n in created[:4]]
    )
    stages.audit_advance(audit=audit, user=chair)  # submissions open

    cases = list(audit.cases.order_by("order"))
    housing = agencies["Housing"]
    chronology.chronology_file_upload(
        case=cases[0],
        agency=housing,
        user=coordinator,
        uploaded_file=SimpleUploadedFile("housing-chronology.csv", CHRONOLOGY_CSV.encode()),
    )
    chronology.chronology_rows_import(
        case=cases[1],
        agency=housing,
        user=coordinator,
        uploaded_file=SimpleUploadedFile("housing-rows.csv", CHRONOLOGY_CSV.encode()),
    )
    questions = list(ToolQuestion.objects.filter(section__audit=audit))
    graded = {q.pk: ("Evidence seen in the tenancy file.", Grade.GOOD) for q in questions}
    submission = tool.answers_save(case=cases[0], agency=housing, answers=graded)
    tool.submission_submit(submission=submission, user=coordinator)
    first_half = dict(list(graded.items())[: len(graded) // 2])
    tool.answers_save(case=cases[1], agency=housing, answers=first_half)
    tool.answers_save(case=cases[0], agency=agencies["Police"], answers=first_half)
    assert AgencySubmission.objects.filter(case__audit=audit).count() == 3
    return audit


def demo_logo() -> bytes:
    """An invented partnership's logo: a PNG of three bands of blue and a white square."""
    width, height = 240, 80
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            square = 20 <= x < 60 and 20 <= y < 60
            band = (
                (0x1D, 0x3F, 0x6E)
                if x < 80
                else (0x2B, 0x5C, 0x9E)
                if x < 160
                else (0x5A, 0x8B, 0xC6)
            )
            row += bytes((255, 255, 255) if square else band)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def _agency_names():
    return ["Police", "Housing", "Health – GP practices", "Children’s Social Care"]


def add_actions_in_every_state(audit: Audit, *, chair) -> None:
    """Overdue, due soon, at risk, on track, complete and cancelled actions for the plan."""
    today = timezone.localdate()
    agencies = {a.name: a for a in audit.agencies.all()}
    recommendations = list(audit.recommendations.all())

    def add(text, agency, lead, due_in_days, status="in_progress", **extra):
        return Action.objects.create(
            audit=audit,
            recommendation=recommendations[extra.pop("recommendation", 0)],
            text=text,
            owner_agency=agencies[agency],
            lead=lead,
            due_date=today + datetime.timedelta(days=due_in_days),
            status=status,
            order=audit.actions.count(),
            **extra,
        )

    overdue = add(
        "Invite Housing Officers to every Child in Need and core group meeting.",
        "Children’s Social Care",
        "Head of Service, Children in Need",
        -12,
        intended_outcome="Housing risks are planned for before they become a crisis.",
    )
    ActionUpdate.objects.create(
        action=overdue,
        date=today - datetime.timedelta(days=20),
        text="Guidance drafted; awaiting sign-off by the service manager.",
    )
    add(
        "Publish the housing protocol’s one-page guide on the partnership website.",
        "Housing",
        "Housing Options Manager",
        6,
        recommendation=1,
    )
    add(
        "Add a contingency-planning prompt to the assessment template.",
        "Children’s Social Care",
        "Principal Social Worker",
        40,
        at_risk=True,
        recommendation=3,
    )
    add(
        "Run chronology training for health visitors.",
        "Health – community services",
        "Named Nurse",
        75,
        status="not_started",
        recommendation=4,
    )
    done = add(
        "Brief front door staff on referring families to Early Help when notice is served.",
        "Early Help",
        "Front Door Manager",
        -30,
        recommendation=0,
    )
    services.action_complete(
        action=done,
        user=chair,
        outcome_statement="Front door staff briefed; 9 families referred at notice in a quarter.",
    )
    cancelled = add(
        "Commission a separate eviction audit.", "Housing", "Head of Housing", 20, recommendation=0
    )
    services.action_cancel(
        action=cancelled,
        user=chair,
        cancel_reason="Covered by the joint eviction-prevention pathway.",
    )


STANDARD_QUESTIONS = (
    "What would you do differently tomorrow?\n"
    "Who else in the family should you be asking about?\n"
    "When did you last check a chronology before a meeting?"
)
STANDARD_FIND_OUT_MORE = (
    "Partnership procedures: www.example.org/procedures\n"
    "Training and 7-minute briefings: www.example.org/learning\n"
    "Ask the partnership's business unit: learning@example.org"
)
IMPACT_MEASURES = {
    0: "Housing attend child in need meetings for families facing eviction; no eviction reaches "
    "a crisis without a plan.",
    1: "Front door staff can say what the housing protocol asks of them.",
    3: "Supervision records show management oversight of every case audited.",
}
USES = [
    # agency, days ago, team (invented), staff, briefing used, reflection
    (
        "Housing",
        40,
        "Housing options team (demo)",
        14,
        "seven_minute",
        "Tell Early Help the day an eviction notice is served, not the day before the eviction.",
    ),
    (
        "Housing",
        12,
        "Tenancy sustainment officers (demo)",
        9,
        "seven_minute",
        "Ask to join core groups for families we support.",
    ),
    (
        "Early Help",
        25,
        "Early Help hub east (demo)",
        21,
        "six_step",
        "Check the housing position at every assessment.",
    ),
]


def add_learning_into_practice(audit: Audit, *, chair) -> bool:
    """Impact measures on the recommendations, uses of the briefing by two agencies, and a
    re-audit of the theme with two cases carried forward. False when they are there already."""
    from cases.services.reaudit import reaudit_schedule
    from findings.services import usage_record

    if audit.reaudits.exists():
        return False
    today = timezone.localdate()
    recommendations = list(audit.recommendations.all())
    for index, measure in IMPACT_MEASURES.items():
        recommendations[index].impact_measure = measure
        recommendations[index].save(update_fields=["impact_measure"])
    agencies = {a.name: a for a in audit.agencies.all()}
    published = timezone.localdate(audit.briefing_published_at or timezone.now())
    for agency, days_ago, team, staff, briefing, reflection in USES:
        usage_record(
            audit=audit,
            agency=agencies[agency],
            briefing=briefing,
            user=chair,
            date=max(today - datetime.timedelta(days=days_ago), published),
            team=team,
            staff_count=staff,
            reflection=reflection,
        )
    carried = list(audit.cases.filter(label__in=["Case 2", "Case 5"]).values_list("pk", flat=True))
    reaudit_schedule(
        original=audit,
        user=chair,
        meeting_date=today + datetime.timedelta(days=120),
        carry_forward=carried,
    )
    return True
