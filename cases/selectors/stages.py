"""The audit's stage as a step list and a sentence about what happens next.

Both read only the audit object itself: no queries.
"""

from __future__ import annotations

from django.utils.formats import date_format

from cases.models import Audit
from cases.services.stages import ORDER, next_status

Status = Audit.Status


def stage_steps(audit: Audit) -> list[dict]:
    """Each stage in order: its value, label, state ("done", "current" or "todo") and whether
    it is the stage the audit moves to next (`is_next`)."""
    current = ORDER.index(audit.status)
    steps = []
    for index, (value, label) in enumerate(Status.choices):
        state = "done" if index < current else "current" if index == current else "todo"
        steps.append(
            {"status": value, "label": label, "state": state, "is_next": index == current + 1}
        )
    return steps


def next_stage_label(audit: Audit) -> str | None:
    following = next_status(audit.status)
    return Status(following).label if following else None


def _date(value) -> str:
    return date_format(value, "j F Y")


def next_step(audit: Audit, allowed_actions) -> str:
    """A plain sentence: what happens next in `audit` and who is waiting for whom."""
    chair = "manage_audit" in allowed_actions
    status = audit.status
    if status == Status.DRAFT:
        if chair and audit.reaudit_of_id is not None:
            return (
                "Set the re-audit up: it has the original audit's agencies and audit tool "
                "questions, so check them, add the members, then open nominations so QA members "
                "can nominate cases."
            )
        if chair:
            return (
                "Set the audit up: add the agencies taking part and the members, then open "
                "nominations so QA members can nominate cases."
            )
        return "The chair is setting the audit up. Nominations open after that."
    if status == Status.NOMINATING:
        return (
            "QA members are nominating cases. When the nominations are in, the chair selects "
            "the cross-section."
        )
    if status == Status.SELECTED:
        if chair and not audit.submission_deadline:
            return (
                "The cases are selected. Set a submission deadline, then open submissions to "
                "the agencies taking part."
            )
        return "The cases are selected. The chair opens submissions to the agencies next."
    if status == Status.SUBMISSIONS:
        due = f" by {_date(audit.submission_deadline)}" if audit.submission_deadline else ""
        return (
            "Agencies are uploading their chronologies and answering the audit tool for each "
            f"case{due}. Then the multi-agency meeting reviews the cases."
        )
    if status == Status.MEETING:
        when = f" on {_date(audit.meeting_date)}" if audit.meeting_date else ""
        return (
            f"The multi-agency meeting{when} reviews the cases. Afterwards the chair records "
            "the findings and moves the audit to reporting."
        )
    if status == Status.REPORTING:
        if audit.briefing_published_at:
            return (
                "The briefing is published. The chair and QA members finish the action plan "
                "(a later edit of the briefing is published as a new version), then the chair "
                "closes the audit."
            )
        return (
            "The chair and QA members are writing the briefing and the action plan. The chair "
            "publishes the briefing, then closes the audit."
        )
    return "This audit is closed: its briefing and action plan are the partnership's record."
