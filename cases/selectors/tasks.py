""" "My tasks" on the home page: what is waiting for this person, due dates first, in a constant
number of queries whatever the number of audits, cases and actions."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, replace

from django.urls import reverse
from django.utils import timezone

from cases.models import Audit, Case
from cases.naming import audit_name
from cases.selectors.progress import _returns
from cases.selectors.stages import next_step
from maca import access

# Shown on the home page; the rest are counted.
SHOWN = 12
# What the tasks are worked out from (a task source reads no other field of an audit).
TASK_AUDIT_FIELDS = (
    "partnership_id",
    "status",
    "submission_deadline",
    "meeting_date",
    "theme__name",
    "reaudit_of_id",  # a re-audit is named as one
    "briefing_published_at",  # at "Reporting", the next step once it is published
    "partnership__name",  # named when the person belongs to several partnerships
)


@dataclass(frozen=True)
class Task:
    text: str  # what to do: the link's words
    where: str  # which audit (and case) it is about
    url: str
    audit: Audit
    due: datetime.date | None = None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < timezone.localdate()


# Tasks from the apps built on this one, which register their sources from their
# `AppConfig.ready()`: the action plan's "Update the action" (actions/my_tasks.py). A source takes
# the audits the user may see (newest first) and their memberships, and returns a list of Tasks.
_sources: list[Callable[..., list[Task]]] = []


def register_source(source):
    """Add a source of tasks (usable as a decorator)."""
    if source not in _sources:
        _sources.append(source)
    return source


def my_tasks(user) -> list[Task]:
    """Tasks from the audits the user may see, those with a due date first, soonest first, then
    the rest in the audits' order (newest first)."""
    audits = list(
        Audit.objects.visible_to(user)
        .select_related("theme", "partnership")
        .only(*TASK_AUDIT_FIELDS)
        .order_by("-created_at", "-pk")
    )
    memberships = access.memberships_of(user)
    tasks = [
        *_returns_to_give(audits, memberships.coordinated),
        *(task for source in _sources for task in source(audits=audits, memberships=memberships)),
        *_nominations_open(audits, memberships.staff),
        *_chair_next_steps(audits, memberships.chaired),
    ]
    if memberships.in_several_partnerships:
        # Neighbouring partnerships audit the same themes: each task says whose audit it is.
        tasks = [
            replace(task, where=f"{task.where} · {task.audit.partnership.name}") for task in tasks
        ]
    undated = datetime.date.max
    return sorted(tasks, key=lambda task: task.due or undated)  # stable: undated keep order


def _returns_to_give(audits, coordinated) -> list[Task]:
    """A co-ordinator's chronologies and audit tools still to give, while submissions are open.
    Three queries: the agencies taking part, the cases, what has come in."""
    open_audits = {
        audit.pk: audit
        for audit in audits
        if audit.accepts_submissions and audit.partnership_id in coordinated
    }
    if not open_audits:
        return []
    mine = {agency for agencies in coordinated.values() for agency in agencies}
    taking_part = Audit.agencies.through.objects.filter(
        audit_id__in=open_audits, agency_id__in=mine
    ).select_related("agency")
    agencies_of: dict[int, list] = {}
    for row in taking_part:
        if row.agency_id in coordinated[open_audits[row.audit_id].partnership_id]:
            agencies_of.setdefault(row.audit_id, []).append(row.agency)
    cases = list(Case.objects.filter(audit_id__in=agencies_of).order_by("audit_id", "order", "id"))
    given = _returns({"case__audit_id__in": list(agencies_of)}, {"agency_id__in": list(mine)})
    tasks = []
    for case in cases:
        audit = open_audits[case.audit_id]
        for agency in agencies_of[case.audit_id]:
            cell = given.cell(case, agency, linkable=True, passed=False)
            if not cell.expected:
                continue
            args = [audit.pk, case.pk, agency.pk]
            where = f"{case.label}, {agency.name} · {audit_name(audit)}"
            due = audit.submission_deadline
            if not cell.chronology:
                url = reverse("agency_chronology", args=args)
                tasks.append(Task("Give the chronology", where, url, audit, due))
            if not cell.tool_submitted:
                url = reverse("tool_answer", args=args)
                tasks.append(Task("Submit the audit tool", where, url, audit, due))
    return tasks


def _nominations_open(audits, staff) -> list[Task]:
    return [
        Task(
            "Nominate cases",
            audit_name(audit),
            reverse("nomination_create", args=[audit.pk]),
            audit,
        )
        for audit in audits
        if audit.accepts_nominations and audit.partnership_id in staff
    ]


def _chair_next_steps(audits, chaired) -> list[Task]:
    chair = frozenset({"manage_audit"})
    tasks = []
    for audit in audits:
        if audit.partnership_id not in chaired or audit.is_closed:
            continue
        url = reverse("audit_detail", args=[audit.pk])
        due = _chair_due(audit)
        tasks.append(Task(next_step(audit, chair), audit_name(audit), url, audit, due))
    return tasks


def _chair_due(audit) -> datetime.date | None:
    """When the chair's next step is due: the agencies' deadline until the meeting stage, the
    meeting during it; after the meeting, writing up has no date to keep."""
    Status = Audit.Status
    if audit.status == Status.MEETING:
        return audit.meeting_date
    if audit.status == Status.REPORTING:
        return None
    return audit.submission_deadline
