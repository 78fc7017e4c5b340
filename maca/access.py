"""The machinery of the one access gate: roles, who holds which where, and rule tables; and the
rules of a partnership itself (its administration pages and its logo).

The rules of audits live beside the models they guard (`cases/access.py` for audits and each
agency's work, `actions/access.py` for the action plan); see docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from maca.models import Membership, Partnership

Role = Membership.Role

# Roles that take part in an audit's work (a viewer only reads what is published).
MEMBERS = (Role.CHAIR, Role.QA_MEMBER, Role.COORDINATOR)
# The roles that count in a partnership's audits. The partnership administrator's is not one:
# it opens the partnership's own pages, never an audit.
AUDIT_ROLES = (*MEMBERS, Role.VIEWER)


@dataclass(frozen=True)
class RuleTable:
    """action -> {role: predicate on the object}. A role missing from an action's entry may not
    take it; `not_now` gives, for a predicate, why a role that may in principle may not now."""

    rules: dict[str, dict[str, Callable]]
    not_now: dict[Callable, str]

    def can(self, roles: Iterable[str], action: str, obj) -> bool:
        rules = self.rules[action]
        return any(role in rules and rules[role](obj) for role in roles)

    def why_not(self, roles: Iterable[str], action: str) -> str:
        rules = self.rules[action]
        for role in roles:
            if role in rules and rules[role] in self.not_now:
                return self.not_now[rules[role]]
        return ""

    def allowed(self, roles: frozenset[str], obj) -> frozenset[str]:
        return frozenset(action for action in self.rules if self.can(roles, action, obj))


@dataclass(frozen=True)
class Memberships:
    """Where a user holds which role, read in one query, so that lists filter with plain
    conditions rather than a correlated subquery per role."""

    staff: frozenset[int]  # partnerships where the user is chair or QA member
    coordinated: dict[int, frozenset[int]]  # partnership -> agencies the user co-ordinates for
    viewing: frozenset[int]  # partnerships where the user is a viewer
    chaired: frozenset[int] = frozenset()  # partnerships the user chairs
    roles: frozenset[str] = frozenset()  # every role the user holds anywhere
    administered: frozenset[int] = frozenset()  # partnerships the user administers

    @property
    def partnerships(self) -> list[int]:
        """The partnerships whose audits the user may take part in or read."""
        return sorted(self.staff | self.viewing | set(self.coordinated))

    @property
    def in_several_partnerships(self) -> bool:
        """Whether the user's audits may be of more than one partnership: then lists across
        audits name each one's (neighbouring partnerships audit the same themes)."""
        return len(self.partnerships) > 1


def membership_rows(user) -> list[tuple[int, str, int | None]]:
    """(partnership, role, agency) of each of `user`'s memberships: one query, kept on the user
    object, which the authentication middleware loads afresh for every request (every view that
    changes memberships redirects, so none reads them again after a change)."""
    if not user.is_authenticated:
        return []
    rows = user.__dict__.get("_membership_rows")
    if rows is None:
        rows = _read_memberships(user)
    return rows


def _read_memberships(user) -> list[tuple[int, str, int | None]]:
    """The memberships, and in the same query the name and logo of each partnership (which head
    every page: `member_partnership`)."""
    read_memberships_of([user])
    return user.__dict__["_membership_rows"]


def read_memberships_of(users) -> None:
    """Read the memberships of each of `users` in one query, with the name and logo of each
    partnership, and keep them on each user object: for one person (`membership_rows`), or a
    list naming many, each asked about by the access rules."""
    users = [user for user in users if user is not None]
    read = Membership.objects.filter(user__in={user.pk for user in users}).order_by()
    read = read.values_list(
        "user_id", "partnership_id", "role", "agency_id", "partnership__name", "partnership__logo"
    )
    rows: dict[int, list] = {user.pk: [] for user in users}
    partnerships: dict[int, dict] = {user.pk: {} for user in users}
    for user_id, partnership_id, role, agency_id, name, logo in read:
        rows[user_id].append((partnership_id, role, agency_id))
        partnerships[user_id][partnership_id] = (name, logo)
    for user in users:
        user.__dict__["_membership_rows"] = rows[user.pk]
        user.__dict__["_member_partnerships"] = partnerships[user.pk]


def member_partnership(user, partnership_id: int) -> Partnership | None:
    """The name and logo (only) of a partnership `user` belongs to, as read with their
    memberships; None for any other."""
    membership_rows(user)
    read = user.__dict__.get("_member_partnerships", {}).get(partnership_id)
    if read is None:
        return None
    name, logo = read
    return Partnership(pk=partnership_id, name=name, logo=logo)


def roles_in_partnership(user, partnership_id) -> frozenset[str]:
    """Every role `user` holds in one partnership, the administrator's too."""
    return frozenset(
        role for where, role, _ in membership_rows(user) if str(where) == str(partnership_id)
    )


def forget_memberships(user) -> None:
    """Read `user`'s memberships afresh at the next question: for a long-running job (a
    reminder run), which must ask the gate about the person as things are when it sends."""
    user.__dict__.pop("_membership_rows", None)  # the partnerships' names are read with them


def memberships_of(user) -> Memberships:
    staff, viewing, chaired, administered, coordinated = set(), set(), set(), set(), {}
    rows = membership_rows(user)
    for partnership_id, role, agency_id in rows:
        if role in (Role.CHAIR, Role.QA_MEMBER):
            staff.add(partnership_id)
            if role == Role.CHAIR:
                chaired.add(partnership_id)
        elif role == Role.VIEWER:
            viewing.add(partnership_id)
        elif role == Role.COORDINATOR and agency_id is not None:
            coordinated.setdefault(partnership_id, set()).add(agency_id)
        elif role == Role.PARTNERSHIP_ADMIN:
            administered.add(partnership_id)
    return Memberships(
        frozenset(staff),
        {partnership: frozenset(agencies) for partnership, agencies in coordinated.items()},
        frozenset(viewing),
        frozenset(chaired),
        frozenset(role for _, role, _ in rows),
        frozenset(administered),
    )


NOTHING = Q(pk__in=[])


def any_of(conditions) -> Q:
    """The conditions joined with OR; a condition matching nothing when there are none."""
    combined = NOTHING
    for condition in conditions:
        combined = condition if combined is NOTHING else combined | condition
    return combined


def chaired_partnerships(user):
    """The partnerships in which `user` may start a new audit."""
    if not user.is_authenticated:
        return Partnership.objects.none()
    return Partnership.objects.filter(memberships__user=user, memberships__role=Role.CHAIR)


def chair_reached(request) -> None:
    """404 unless `request.user` chairs a partnership: the gate of pages that start audits."""
    require(chaired_partnerships(request.user).exists())


def require(allowed: bool) -> None:
    """For agency-scoped objects: answer 404, as if the object did not exist, when not allowed."""
    if not allowed:
        raise Http404("Not found.")


# The partnership itself ----------------------------------------------------------------------


def _always(partnership) -> bool:
    return True


PARTNERSHIP_RULES = RuleTable(
    rules={
        # Its people and their roles, its agencies, its standard texts, marking, headings and
        # logo: the partnership administrator's pages. No audit is reached through them.
        "administer_partnership": {Role.PARTNERSHIP_ADMIN: _always},
        # The logo heads the partnership's pages and documents: every member sees it.
        "view_logo": dict.fromkeys(Role.values, _always),
    },
    not_now={},
)


def administered_partnerships(user):
    """The partnerships whose administration pages `user` may open."""
    if not user.is_authenticated:
        return Partnership.objects.none()
    return Partnership.objects.filter(pk__in=memberships_of(user).administered)


def get_partnership_for(request, partnership_id, action: str) -> Partnership:
    """The partnership `partnership_id` if `request.user` may take `action` on it. Anyone who
    holds no role in it gets 404, as for a partnership that does not exist; a member whose roles
    do not allow the action gets 403."""
    roles = roles_in_partnership(request.user, partnership_id)
    if not roles:
        raise Http404("No such partnership.")
    try:
        partnership = Partnership.objects.get(pk=partnership_id)
    except (Partnership.DoesNotExist, ValueError):
        raise Http404("No such partnership.") from None
    if not PARTNERSHIP_RULES.can(roles, action, partnership):
        raise PermissionDenied("Only the partnership's administrators can open this page.")
    return partnership
