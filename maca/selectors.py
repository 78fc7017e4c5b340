"""Reads of the core: the access log as a chair sees it."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q

from maca.looks import url_name_of
from maca.models import AccessLogEntry, Membership
from maca.spreadsheets import neutralise

# Audits belong to the cases app, built on this one: it registers the reader of the audits a chair
# may filter the access log by, from its `AppConfig.ready()` (cases/selectors/__init__.py).
_audit_choice_readers: list = []

# Pages that show several partnerships' data at once. A look at one by a member of several is
# filed under each of them; entries made before that were filed under none, and are shown to
# the chair of each partnership the person belongs to now.
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
    partnerships filed under none), newest first, each look once, narrowed by each filter
    given."""
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
    if len(partnership_ids) > 1:
        entries = entries.exclude(Exists(_same_look_filed_earlier(partnership_ids)))
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


def access_log_table(entries, partnership_names: dict[int, str]):
    """The entries as the access log's CSV has them, the header first; with the partnership of
    each when `partnership_names` is given (a reader of several partnerships' logs)."""
    several = bool(partnership_names)
    header = ["When", "User", "Action", "What", "Page name", "Path", "Audit", "Address"]
    yield header + (["Partnership"] if several else [])
    for entry in entries.iterator():
        yield [
            entry.at.isoformat(),
            neutralise(entry.username),
            entry.get_action_display(),
            entry.what_display,
            url_name_of(entry.what),
            neutralise(entry.path),
            entry.audit_id or "",
            entry.ip_address or "",
            *([neutralise(partnership_names.get(entry.partnership_id, ""))] if several else []),
        ]


def _same_look_filed_earlier(partnership_ids: list[int]):
    """Another entry of the same look under one of `partnership_ids`: a look filed under each
    of several partnerships is shown once to a chair of several of them. Only looks across
    partnerships have a `look`, so the rows compared are few whatever the log's size."""
    return AccessLogEntry.objects.filter(
        look__isnull=False,
        look=OuterRef("look"),
        partnership_id__in=partnership_ids,
        pk__lt=OuterRef("pk"),
    )


def register_audit_choices(reader):
    """Add a reader of the audits offered by the access log's filter (usable as a decorator): it
    takes `partnership_ids` and returns (id, name) pairs."""
    if reader not in _audit_choice_readers:
        _audit_choice_readers.append(reader)
    return reader


def audit_choices(*, partnership_ids) -> list[tuple[int, str]]:
    """The partnerships' audits by name, newest first, as choices."""
    return [
        choice
        for reader in _audit_choice_readers
        for choice in reader(partnership_ids=partnership_ids)
    ]
