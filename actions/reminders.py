"""Reminders for the composite action plan, sent by the daily `send_reminders` run.

- An open action's lead (when a MACA user who may open the action) and its owner agency's
  co-ordinators hear about it
  MACA_ACTION_REMINDER_DAYS_BEFORE days before its due date, and again once it is overdue: once
  per action and stage (`action:<id>:due_soon`, `action:<id>:overdue`).
- Each chair gets a weekly digest on Mondays of their partnership's overdue and due-soon actions
  (`digest:<user id>:<ISO year-week>`), when there is anything to list.

Each goes only to someone who, as it is sent, may open every action it describes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateformat import format as date_format

from cases.selectors.identifiers import listed
from cases.services.reminders import Reminder, audit_subject, register_source
from maca.access import forget_memberships
from maca.models import Membership

from .access import restrict_actions
from .models import Action

Role = Membership.Role
OPEN = (Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS)
DUE_SOON, OVERDUE = "due_soon", "overdue"


def _day(date: datetime.date | None) -> str:
    return date_format(date, "j F Y") if date else ""


def _days_before() -> int:
    return settings.MACA_ACTION_REMINDER_DAYS_BEFORE


def action_stage(due: datetime.date, today: datetime.date) -> str | None:
    """ "due_soon" from MACA_ACTION_REMINDER_DAYS_BEFORE days ahead up to the due date itself,
    "overdue" from the day after it, otherwise none."""
    if today > due:
        return OVERDUE
    if due - datetime.timedelta(days=_days_before()) <= today:
        return DUE_SOON
    return None


def _reachable(user) -> bool:
    return bool(user and user.is_active and user.email)


def may_open_all(action_ids):
    """The question the reminders' sender asks of each recipient as it sends: may they, now,
    open every one of the actions the email describes (their page is 'Not found' otherwise)."""
    wanted = set(action_ids)

    def may_see(user) -> bool:
        forget_memberships(user)
        visible = restrict_actions(Action.objects.filter(pk__in=wanted), user, published=False)
        return visible.count() == len(wanted)

    return may_see


def _open_actions_due_by(today: datetime.date):
    until = today + datetime.timedelta(days=_days_before())
    return Action.objects.filter(status__in=OPEN, due_date__isnull=False, due_date__lte=until)


@register_source
def action_reminders(today: datetime.date) -> Iterator[Reminder]:
    actions = list(
        _open_actions_due_by(today)
        .select_related("audit__theme", "audit__partnership", "owner_agency", "lead_user")
        .order_by("due_date", "pk")
    )
    if not actions:
        return
    coordinators = defaultdict(list)
    memberships = (
        Membership.objects.filter(
            role=Role.COORDINATOR,
            agency_id__in={a.owner_agency_id for a in actions if a.owner_agency_id},
            partnership_id__in={a.audit.partnership_id for a in actions},
            user__is_active=True,
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id")
    )
    for membership in memberships:
        coordinators[(membership.partnership_id, membership.agency_id)].append(membership.user)
    for action in actions:
        stage = action_stage(action.due_date, today)
        if stage is None:
            continue
        recipients = {}
        if _reachable(action.lead_user):
            recipients[action.lead_user.pk] = action.lead_user
        for user in coordinators[(action.audit.partnership_id, action.owner_agency_id)]:
            recipients.setdefault(user.pk, user)
        if not recipients:
            continue
        subject = audit_subject(
            action.audit,
            f"Action overdue since {_day(action.due_date)}: {action.audit.theme.name}"
            if stage == OVERDUE
            else f"Action due on {_day(action.due_date)}: {action.audit.theme.name}",
        )
        link = settings.SITE_URL + reverse("action_detail", args=[action.pk])
        for user in recipients.values():
            body = render_to_string(
                "emails/action_reminder.txt",
                {
                    "user": user,
                    "action": action,
                    "stage": stage,
                    "due": _day(action.due_date),
                    "link": link,
                },
            )
            yield Reminder(
                key=f"action:{action.pk}:{stage}",
                user=user,
                subject=subject,
                body=body,
                audit_id=action.audit_id,
                permission="view_plan",
                may_see=may_open_all([action.pk]),
            )


@register_source
def chair_digests(today: datetime.date) -> Iterator[Reminder]:
    """On Mondays, each chair's list of their partnership's overdue and due-soon actions."""
    if today.weekday() != 0:
        return
    chairs = (
        Membership.objects.filter(role=Role.CHAIR, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id")
    )
    partnerships_of = defaultdict(set)
    users = {}
    for membership in chairs:
        partnerships_of[membership.user_id].add(membership.partnership_id)
        users[membership.user_id] = membership.user
    if not users:
        return
    all_partnerships = set().union(*partnerships_of.values())
    actions = list(
        _open_actions_due_by(today)
        .filter(audit__partnership_id__in=all_partnerships)
        .select_related("audit__theme", "audit__partnership", "owner_agency", "lead_user")
        .order_by("due_date", "pk")
    )
    iso = today.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    link = settings.SITE_URL + reverse("action_plan")
    for user_id, user in users.items():
        mine = [a for a in actions if a.audit.partnership_id in partnerships_of[user_id]]
        overdue = [a for a in mine if a.due_date < today]
        due_soon = [a for a in mine if a.due_date >= today]
        if not mine:
            continue
        # Named, so that a chair of two partnerships knows whose plan this is, and whose each
        # action is when the digest lists both.
        partnerships = sorted({a.audit.partnership.name for a in mine})
        body = render_to_string(
            "emails/action_digest.txt",
            {
                "user": user,
                "partnerships": partnerships,
                "partnerships_named": listed(partnerships),  # "A, B and C"
                "overdue": overdue,
                "due_soon": due_soon,
                "days": _days_before(),
                "week_of": _day(today),
                "link": link,
            },
        )
        subject = f"Action plan this week: {len(overdue)} overdue, {len(due_soon)} due soon"
        yield Reminder(
            key=f"digest:{user_id}:{week}",
            user=user,
            subject=subject,
            body=body,
            may_see=may_open_all(a.pk for a in mine),
        )
