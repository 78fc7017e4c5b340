"""Reads of the core: the access log as a chair sees it."""

from __future__ import annotations

import datetime

from django.db.models import Q

from maca.models import AccessLogEntry, Membership

# Pages that show several partnerships' data at once: a look is filed under no partnership when
# the person belongs to several, and each of their chairs sees it.
ACROSS_PARTNERSHIPS = ("action_plan", "my_actions", "action_plan_pdf", "action_plan_export")


def access_log_entries(
    partnership_ids: list[int],
    *,
    username: str = "",
    audit: int | None = None,
    action: str = "",
    since: datetime.date | None = None,
    until: datetime.date | None = None,
):
    """The access-log entries of `partnership_ids` (and their members' looks across
    partnerships), newest first, narrowed by each filter given."""
    members = Membership.objects.filter(partnership_id__in=partnership_ids).values("user_id")
    entries = AccessLogEntry.objects.filter(
        Q(partnership_id__in=partnership_ids)
        | Q(
            partnership_id__isnull=True,
            audit_id__isnull=True,
            what__in=ACROSS_PARTNERSHIPS,
            user_id__in=members,
        )
    )
    if username:
        entries = entries.filter(username__icontains=username)
    if audit:
        entries = entries.filter(audit_id=audit)
    if action:
        entries = entries.filter(action=action)
    if since:
        entries = entries.filter(at__date__gte=since)
    if until:
        entries = entries.filter(at__date__lte=until)
    return entries
