"""The one access gate.

Every view, PDF, export and download fetches its audit through `get_audit_for`, and every list of
audits goes through `restrict_audits`. The role rules live in `RULES` below and nowhere else.

A user who is not a member of the audit gets 404, the same answer as for an audit that does not
exist, so ids reveal nothing. A member whose role does not allow the action gets 403.
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from maca.models import Membership

Role = Membership.Role

# Audits in these states have a finished briefing that viewers may read.
PUBLISHED_STATES = ("closed",)


def _always(audit) -> bool:
    return True


def _published(audit) -> bool:
    return audit.status in PUBLISHED_STATES


# action -> {role: predicate on the audit}. A role missing from an action's entry may not do it.
RULES: dict[str, dict[str, Callable]] = {
    "view_audit": {Role.CHAIR: _always, Role.QA_MEMBER: _always, Role.COORDINATOR: _always},
    "view_briefing": {
        Role.CHAIR: _always,
        Role.QA_MEMBER: _always,
        Role.COORDINATOR: _always,
        Role.VIEWER: _published,
    },
    "export_audit": {Role.CHAIR: _always},
    "manage_audit": {Role.CHAIR: _always},
}


def restrict_audits(queryset, user):
    """The audits of `queryset` that `user` is a member of."""
    if not user.is_authenticated:
        return queryset.none()
    mine = Membership.objects.filter(user=user, partnership=OuterRef("partnership_id"))
    partnership_staff = mine.filter(role__in=[Role.CHAIR, Role.QA_MEMBER])
    agency_taking_part = mine.filter(role=Role.COORDINATOR, agency__audits=OuterRef("pk"))
    viewer = mine.filter(role=Role.VIEWER)
    return queryset.filter(
        Exists(partnership_staff)
        | Exists(agency_taking_part)
        | (Exists(viewer) & Q(status__in=PUBLISHED_STATES))
    )


def roles_for(user, audit) -> frozenset[str]:
    """The roles `user` holds in `audit`, cached on the audit instance for the request."""
    cache = audit.__dict__.setdefault("_roles_cache", {})
    if user.pk not in cache:
        cache[user.pk] = _load_roles(user, audit)
    return cache[user.pk]


def _load_roles(user, audit) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    memberships = Membership.objects.filter(user=user, partnership_id=audit.partnership_id)
    audit_agencies = apps.get_model("cases", "Audit").agencies.through.objects.filter(
        audit_id=audit.pk
    )
    roles = set(
        memberships.exclude(role=Role.COORDINATOR).values_list("role", flat=True).distinct()
    )
    coordinates_taking_part = memberships.filter(
        role=Role.COORDINATOR, agency_id__in=audit_agencies.values("agency_id")
    ).exists()
    if coordinates_taking_part:
        roles.add(Role.COORDINATOR)
    return frozenset(roles)


def can(user, action: str, audit) -> bool:
    rules = RULES[action]
    return any(role in rules and rules[role](audit) for role in roles_for(user, audit))


def allowed_actions(user, audit) -> frozenset[str]:
    """Every action `user` may take on `audit`, for templates to show or hide controls."""
    return frozenset(action for action in RULES if can(user, action, audit))


def get_audit_for(request, pk, action: str):
    """The audit `pk` if `request.user` may take `action` on it; 404 for non-members, else 403."""
    Audit = apps.get_model("cases", "Audit")
    queryset = Audit.objects.visible_to(request.user).select_related("theme", "partnership")
    try:
        audit = queryset.get(pk=pk)
    except (Audit.DoesNotExist, ValueError):
        raise Http404("No such audit.") from None
    if not can(request.user, action, audit):
        raise PermissionDenied
    return audit
