"""Reads of the partnership administrator's pages: the partnership's people and agencies."""

from __future__ import annotations

from django.db.models import Count, Q

from maca.models import Agency, Membership, Partnership

Role = Membership.Role
ROLE_ORDER = {role: order for order, role in enumerate(Role.values)}


def partnership_people(partnership: Partnership) -> list[Membership]:
    """Every role held in the partnership, by role then name (one query)."""
    memberships = Membership.objects.filter(partnership=partnership).select_related(
        "user", "agency"
    )
    return sorted(
        memberships,
        key=lambda m: (
            ROLE_ORDER.get(m.role, 99),
            (m.user.get_full_name() or m.user.username).lower(),
            m.agency.name if m.agency_id else "",
        ),
    )


def partnership_agencies(partnership: Partnership):
    """The partnership's agencies, with how many co-ordinators speak for each and how many of
    the partnership's audits each takes part in (one query)."""
    return (
        Agency.objects.filter(partnership=partnership)
        .annotate(
            coordinators=Count(
                "memberships", filter=Q(memberships__role=Role.COORDINATOR), distinct=True
            ),
            audit_count=Count("audits", distinct=True),
        )
        .order_by("name")
    )


def partnership_agency(partnership: Partnership, agency_id) -> Agency | None:
    """One of the partnership's agencies; None for any other (another partnership's too)."""
    return Agency.objects.filter(partnership=partnership, pk=agency_id).first()


def partnership_membership(partnership: Partnership, membership_id) -> Membership | None:
    return (
        Membership.objects.filter(partnership=partnership, pk=membership_id)
        .select_related("user", "agency")
        .first()
    )
