""" "Update the action" in the home page's "My tasks" (cases/selectors/tasks.py), which this app
registers from its `AppConfig.ready()`."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from cases.access import takes_part
from cases.selectors.tasks import Task, register_source

from .models import Action, ActionUpdate

# An action updated this recently wants no update yet: the plan is followed up month by month.
UPDATED_RECENTLY = datetime.timedelta(days=28)


@register_source
def action_updates(*, audits, memberships) -> list[Task]:
    """Open actions owned by an agency the user co-ordinates for, while it takes part in the
    action's audit (as `actions.access.restrict_actions` shows them), and not updated in the
    last four weeks: each wants an update. One query."""
    coordinated = memberships.coordinated
    if not coordinated:
        return []
    by_pk = {audit.pk: audit for audit in audits if audit.partnership_id in coordinated}
    if not by_pk:
        return []
    mine = {agency for agencies in coordinated.values() for agency in agencies}
    updated_lately = ActionUpdate.objects.filter(
        action=OuterRef("pk"), created_at__gte=timezone.now() - UPDATED_RECENTLY
    )
    actions = Action.objects.filter(
        takes_part(audit="audit_id", agency="owner_agency_id"),
        ~Exists(updated_lately),
        audit_id__in=by_pk,
        owner_agency_id__in=mine,
        status__in=["not_started", "in_progress"],
    ).only("pk", "text", "due_date", "audit_id", "owner_agency_id")
    tasks = []
    for action in actions:
        audit = by_pk[action.audit_id]
        if action.owner_agency_id in coordinated[audit.partnership_id]:
            where = f"{Truncator(action.text).chars(80)} · {audit.theme.name}"
            url = reverse("action_detail", args=[action.pk])
            tasks.append(Task("Update the action", where, url, audit, action.due_date))
    return tasks
