"""An email to the people concerned at each stage of an audit, each once per person.

Nominations open (QA members), submissions open (co-ordinators, with their cases and the
deadline), the meeting pack released (QA members and co-ordinators) and each briefing version
published (everyone on the audit, viewers included). They are reminders of their own kind: they
go through the reminders' one sender, which records each (key and person) and sends it once, and
asks the access gate just before sending whether the person may still see the audit. The
background worker sends them as the audit reaches the stage; the daily run sends any that could
not go then.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cases.models import Audit
from cases.selectors.progress import is_asked
from cases.services.reminders import Reminder, audit_subject, due_reminders_send, register_source
from maca.models import Membership

logger = logging.getLogger(__name__)
Role = Membership.Role
TEMPLATE = "emails/stage_email.txt"
# The daily run looks back this far for a pack released or a briefing published.
CATCH_UP_DAYS = 7

# The briefing's versions belong to the findings app, built on this one: it registers from its
# `AppConfig.ready()` how to read an audit's latest published version and which audits published
# one since a given time (findings/publishing.py).
_briefing_versions = {"latest": lambda audit: None, "published_since": lambda since: Q(pk=None)}


def register_briefing_versions(*, latest, published_since) -> None:
    """`latest(audit)`: the audit's latest published version (with its `number`), or None;
    `published_since(since)`: a Q picking the audits that published a version since then."""
    _briefing_versions.update(latest=latest, published_since=published_since)


def _day(date) -> str:
    return f"{date:%-d %B %Y}" if date else ""


def _members(audit: Audit, roles, *, coordinators: bool = False) -> list[Membership]:
    """The partnership's memberships in `roles`, and the co-ordinators of the agencies taking
    part when asked, with their users and agencies."""
    wanted = Q(role__in=roles)
    if coordinators:
        wanted |= Q(role=Role.COORDINATOR, agency__audits=audit)
    return list(
        Membership.objects.filter(wanted, partnership_id=audit.partnership_id)
        .exclude(user__email="")
        .select_related("user", "agency")
        .order_by("user_id", "agency__name")
        .distinct()
    )


def _email(audit: Audit, *, key: str, user, permission: str, subject: str, **context):
    body = render_to_string(TEMPLATE, {"audit": audit, "user": user, **context})
    return Reminder(
        key=f"stage:{audit.pk}:{key}",
        user=user,
        subject=audit_subject(audit, subject),
        body=body,
        audit_id=audit.pk,
        permission=permission,
    )


def _link(name: str, audit: Audit) -> str:
    return settings.SITE_URL + reverse(name, args=[audit.pk])


def stage_emails_of(audit: Audit) -> Iterator[Reminder]:
    """The stage emails `audit` calls for now (the sender skips those already sent)."""
    theme = audit.theme.name
    if audit.status == Audit.Status.NOMINATING:
        for membership in _members(audit, [Role.QA_MEMBER]):
            yield _email(
                audit,
                key="nominating",
                user=membership.user,
                permission="nominate",
                subject=f"Nominations are open: {theme}",
                kind="nominating",
                link=_link("nomination_create", audit),
            )
    if audit.status == Audit.Status.SUBMISSIONS:
        yield from _submissions_open(audit)
    if audit.pack_released_at and not audit.is_closed:
        people = {m.user_id: m.user for m in _members(audit, [Role.QA_MEMBER], coordinators=True)}
        for user in people.values():
            yield _email(
                audit,
                key="pack",
                user=user,
                permission="view_meeting_pack",
                subject=f"The meeting pack is released: {theme}",
                kind="pack",
                link=_link("meeting_pack", audit),
            )
    latest = _briefing_versions["latest"](audit)
    if latest is not None:
        roles = [Role.CHAIR, Role.QA_MEMBER, Role.VIEWER]
        people = {m.user_id: m.user for m in _members(audit, roles, coordinators=True)}
        for user in people.values():
            yield _email(
                audit,
                key=f"published:{latest.number}",
                user=user,
                permission="view_briefing",
                subject=f"Briefing published: {theme} (version {latest.number})",
                kind="published",
                version=latest,
                link=settings.SITE_URL
                + reverse("briefing_version", args=[audit.pk, latest.number]),
            )


def _submissions_open(audit: Audit) -> Iterator[Reminder]:
    """To each co-ordinator: the cases their agencies are asked about, and the deadline."""
    cases = list(audit.cases.prefetch_related("agencies"))
    involved = {case.pk: {agency.pk for agency in case.agencies.all()} for case in cases}
    by_user: dict[int, tuple] = {}
    for membership in _members(audit, [], coordinators=True):
        user, agencies = by_user.setdefault(membership.user_id, (membership.user, []))
        asked = [c.label for c in cases if is_asked(involved[c.pk], membership.agency_id)]
        agencies.append((membership.agency, asked))
    for user, agencies in by_user.values():
        yield _email(
            audit,
            key="submissions",
            user=user,
            permission="view_audit",
            subject=f"Submissions are open: {audit.theme.name}",
            kind="submissions",
            agencies=agencies,
            deadline=_day(audit.submission_deadline),
            link=_link("audit_detail", audit),
        )


@register_source
def recent_stage_emails(today: datetime.date) -> Iterator[Reminder]:
    """For the daily run: what the stage emails sent at the time may have missed."""
    since = timezone.now() - datetime.timedelta(days=CATCH_UP_DAYS)
    audits = (
        Audit.objects.filter(
            Q(status__in=[Audit.Status.NOMINATING, Audit.Status.SUBMISSIONS])
            | Q(pack_released_at__gte=since)
            | _briefing_versions["published_since"](since)
        )
        .select_related("theme", "partnership")
        .distinct()
    )
    for audit in audits:
        yield from stage_emails_of(audit)


def send_stage_emails(audit: Audit) -> None:
    """Once the transaction that moved the audit on commits, have the background worker email
    the people concerned (if the queue does not answer, the daily run sends them)."""
    audit_id = audit.pk

    def enqueue():
        from cases.tasks import send_stage_emails_of_audit

        try:
            send_stage_emails_of_audit.enqueue(audit_id)
        except Exception:
            logger.exception("Could not queue the stage emails of audit %s", audit_id)

    transaction.on_commit(enqueue)


def stage_emails_send(*, audit_id: int) -> None:
    """The worker's part: send the stage emails `audit_id` calls for now, each once."""
    audit = Audit.objects.select_related("theme", "partnership").filter(pk=audit_id).first()
    if audit is not None:
        due_reminders_send(today=timezone.localdate(), sources=[lambda _: stage_emails_of(audit)])
