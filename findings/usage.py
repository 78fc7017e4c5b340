"""Where each agency used the audit's briefing: per-agency counts, who has recorded nothing, the
export's rows, and the reminder to agencies still silent some weeks after publication.

Registered with the daily `send_reminders` run (see findings/apps.py).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Subquery, Sum
from django.template.loader import render_to_string
from django.urls import reverse

from cases.access import can_edit_agency_work
from cases.models import Audit
from cases.services.reminders import Reminder, audit_subject, register_source
from maca.models import Agency, Membership

from .models import BriefingVersion, UsageRecord


@dataclass
class AgencyUse:
    agency: Agency
    sessions: int
    staff: int
    last_used: datetime.date | None
    silent: bool  # nothing recorded, and the reminder period since publication has passed


def silent_after(published_at) -> datetime.date | None:
    """The day from which an agency with nothing recorded is counted as silent."""
    if published_at is None:
        return None
    weeks = datetime.timedelta(weeks=settings.MACA_USAGE_REMINDER_WEEKS)
    return published_at.date() + weeks


def usage_context(audit: Audit, *, agency_ids, today: datetime.date) -> dict:
    """The records shown (every agency's, or those of `agency_ids`) and, per agency taking part,
    its sessions, staff and whether it is silent, and the sessions of each briefing. Four
    queries whatever the numbers."""
    records = UsageRecord.objects.filter(audit=audit).select_related("agency", "recorded_by")
    if agency_ids is not None:
        records = records.filter(agency_id__in=agency_ids)
    totals = {
        row["agency_id"]: row
        for row in UsageRecord.objects.filter(audit=audit)
        .values("agency_id")
        .annotate(sessions=Count("pk"), staff=Sum("staff_count"), last=Max("date"))
        .order_by()
    }
    from_day = silent_after(audit.briefing_published_at)
    overdue = from_day is not None and today >= from_day
    by_agency = []
    for agency in Agency.objects.filter(audits=audit).order_by("name"):
        row = totals.get(agency.pk, {})
        sessions = row.get("sessions", 0)
        by_agency.append(
            AgencyUse(
                agency, sessions, row.get("staff") or 0, row.get("last"), overdue and not sessions
            )
        )
    return {
        "records": _numbered_where_alike(list(records)),
        "by_briefing": _sessions_by_briefing(audit),
        "by_agency": by_agency,
        "silent": [use for use in by_agency if use.silent],
        "silent_from": from_day,
        "reminder_weeks": settings.MACA_USAGE_REMINDER_WEEKS,
        "total_sessions": sum(use.sessions for use in by_agency),
        "total_staff": sum(use.staff for use in by_agency),
    }


def _numbered_where_alike(records: list[UsageRecord]) -> list[UsageRecord]:
    """Sessions of one agency and team on one day, numbered 1, 2… in `alike_number` (0 for the
    others), so that each one's Edit and Delete links have names of their own."""
    alike = Counter((record.date, record.agency_id, record.team) for record in records)
    seen: Counter = Counter()
    for record in records:
        key = (record.date, record.agency_id, record.team)
        seen[key] += 1
        record.alike_number = seen[key] if alike[key] > 1 else 0
    return records


def _sessions_by_briefing(audit: Audit) -> list[tuple[str, int, int]]:
    """(which briefing, sessions, staff) for each briefing used at least once, in the order
    of the choices, with "Not recorded" last: one query."""
    counted = {
        row["briefing"]: (row["sessions"], row["staff"] or 0)
        for row in UsageRecord.objects.filter(audit=audit)
        .values("briefing")
        .annotate(sessions=Count("pk"), staff=Sum("staff_count"))
        .order_by()
    }
    labels = [*UsageRecord.Briefing.choices, ("", NOT_SAID)]
    return [(label, *counted[value]) for value, label in labels if value in counted]


COLUMNS = [
    ("Agency", 28),
    ("Date used", 14),
    ("Briefing used", 22),
    ("Team or setting", 32),
    ("Number of staff", 16),
    ("What will we do differently?", 60),
]
HEADERS = [heading for heading, _ in COLUMNS]


def rows(records) -> Iterator[list]:
    for record in records:
        yield [
            record.agency.name,
            record.date,
            record.get_briefing_display() or NOT_SAID,
            record.team,
            record.staff_count,
            record.reflection,
        ]


NOT_SAID = "Not recorded"


@register_source
def usage_reminders(today: datetime.date) -> Iterator[Reminder]:
    """Co-ordinators of agencies that have recorded no use of a briefing published at least
    MACA_USAGE_REMINDER_WEEKS weeks ago: once per audit, agency and person."""
    weeks = datetime.timedelta(weeks=settings.MACA_USAGE_REMINDER_WEEKS)
    latest = BriefingVersion.objects.filter(audit=OuterRef("pk")).order_by("-number")
    audits = (
        Audit.objects.filter(briefing_published_at__date__lte=today - weeks)
        .select_related("theme", "partnership")
        .annotate(latest_seven_minute=Subquery(latest.values("seven_minute_sha256")[:1]))
    )
    for audit in audits:
        used = set(audit.usage_records.values_list("agency_id", flat=True))
        silent = audit.agencies.exclude(pk__in=used)
        memberships = (
            Membership.objects.filter(
                partnership_id=audit.partnership_id,
                role=Membership.Role.COORDINATOR,
                agency__in=silent,
                user__is_active=True,
            )
            .exclude(user__email="")
            .select_related("user", "agency")
        )
        link = settings.SITE_URL + reverse("usage", args=[audit.pk])
        subject = audit_subject(
            audit, f"Where has your agency used the briefing on {audit.theme.name}?"
        )
        for membership in memberships:
            body = render_to_string(
                "emails/usage_reminder.txt",
                {
                    "user": membership.user,
                    "agency": membership.agency,
                    "audit": audit,
                    "weeks": settings.MACA_USAGE_REMINDER_WEEKS,
                    "link": link,
                },
            )
            yield Reminder(
                key=f"usage:{audit.pk}:{membership.agency_id}",
                user=membership.user,
                subject=subject,
                body=body,
                audit_id=audit.pk,
                permission="record_usage",
                may_see=_still_speaks_for(audit, membership.agency_id),
            )


def _still_speaks_for(audit: Audit, agency_id: int):
    """At the moment of sending: is the person still a co-ordinator of the agency in the audit
    (or its chair), who records its uses?"""
    return lambda user: can_edit_agency_work(user, audit, agency_id)
