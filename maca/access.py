"""The one access gate.

Every view, PDF, export and download fetches its audit through `get_audit_for`, and every list of
audits goes through `restrict_audits`. The role rules live in this module and nowhere else.

A user who is not a member of the audit gets 404, the same answer as for an audit that does not
exist, so ids reveal nothing. A member whose role does not allow an audit-wide action gets 403.
Work that belongs to one agency (its chronologies, its audit tool, the identifiers of cases it is
involved in) answers 404 to anyone who may not see it, so another agency cannot even learn that
it exists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Value
from django.http import Http404

from maca.models import Membership

Role = Membership.Role


def _always(audit) -> bool:
    return True


def _published(audit) -> bool:
    """Viewers read published versions of the briefing, never the draft."""
    return audit.briefing_versions.exists()


def _open(audit) -> bool:
    """A closed audit is the partnership's record: it is read, no longer written."""
    return audit.status != "closed"


def _closed(audit) -> bool:
    return audit.status == "closed"


def _reaudit_open(audit) -> bool:
    """The meeting of a re-audit records its verdicts on the original's recommendations."""
    return audit.reaudit_of_id is not None and _open(audit)


def _is_reaudit(audit) -> bool:
    return audit.reaudit_of_id is not None


def _pack_released(audit) -> bool:
    return audit.pack_released_at is not None


def _plan_published(audit) -> bool:
    """Viewers read an audit's action plan once the chair has published it with the briefing."""
    return audit.plan_published_at is not None and _published(audit)


MEMBERS = (Role.CHAIR, Role.QA_MEMBER, Role.COORDINATOR)

# action -> {role: predicate on the audit}. A role missing from an action's entry may not do it.
RULES: dict[str, dict[str, Callable]] = {
    "view_audit": dict.fromkeys(MEMBERS, _always),
    "view_briefing": {**dict.fromkeys(MEMBERS, _always), Role.VIEWER: _published},
    # The actions of the audit's plan (a co-ordinator's list is narrowed to their own agency).
    "view_plan": {**dict.fromkeys(MEMBERS, _always), Role.VIEWER: _plan_published},
    "view_draft_briefing": dict.fromkeys(MEMBERS, _always),
    "publish_briefing": {Role.CHAIR: _always},
    "export_audit": {Role.CHAIR: _always},
    "manage_audit": {Role.CHAIR: _always},
    "view_nominations": {Role.CHAIR: _always, Role.QA_MEMBER: _always},
    "nominate": {Role.CHAIR: _always, Role.QA_MEMBER: _always},
    "author_briefing": {Role.CHAIR: _open, Role.QA_MEMBER: _open},
    "view_progress": {Role.CHAIR: _always, Role.QA_MEMBER: _always, Role.COORDINATOR: _always},
    # Every agency's column of the completeness matrix (what is in, not what it says).
    "view_all_progress": {Role.CHAIR: _always, Role.QA_MEMBER: _always},
    # The meeting pack (every agency's submissions, integrated chronologies, grade summaries):
    # the chair always, the other members once the chair has released it.
    "view_meeting_pack": {
        Role.CHAIR: _always,
        Role.QA_MEMBER: _pack_released,
        Role.COORDINATOR: _pack_released,
    },
    # The 7-minute briefing is mostly written once the audit has closed: it carries the
    # learning out to teams.
    "write_seven_minute": {Role.CHAIR: _always, Role.QA_MEMBER: _always},
    # Where the published briefing was used: co-ordinators record their own agency's sessions
    # (the chair any agency's); the chair and QA members see every agency's.
    "record_usage": {Role.CHAIR: _published, Role.COORDINATOR: _published},
    "view_usage": dict.fromkeys(MEMBERS, _always),
    "view_all_usage": {Role.CHAIR: _always, Role.QA_MEMBER: _always},
    "schedule_reaudit": {Role.CHAIR: _closed},
    "record_impact": {Role.CHAIR: _reaudit_open, Role.QA_MEMBER: _reaudit_open},
    "view_comparison": {Role.CHAIR: _is_reaudit, Role.QA_MEMBER: _is_reaudit},
}


# Why a role that may take an action in principle may not take it now (shown on the 403 page).
NOT_NOW = {
    _open: "This audit is closed: it can be read but no longer changed.",
    _pack_released: "The chair has not released the meeting pack to members yet.",
    _published: "The briefing of this audit has not been published yet.",
    _plan_published: "The action plan of this audit has not been published to viewers.",
    _closed: "Only a closed audit can be audited again: close it first.",
    _reaudit_open: "This audit is not an open re-audit of an earlier audit.",
    _is_reaudit: "This audit is not a re-audit of an earlier audit.",
}


def why_not(user, action: str, audit) -> str:
    """The reason `user` may not take `action` on `audit`, for the 403 page."""
    rules = RULES[action]
    for role in roles_for(user, audit):
        if role in rules and rules[role] in NOT_NOW:
            return NOT_NOW[rules[role]]
    return ""


@dataclass(frozen=True)
class Memberships:
    """Where a user holds which role, read in one query, so that lists filter with plain
    conditions rather than a correlated subquery per role."""

    staff: frozenset[int]  # partnerships where the user is chair or QA member
    coordinated: dict[int, frozenset[int]]  # partnership -> agencies the user co-ordinates for
    viewing: frozenset[int]  # partnerships where the user is a viewer
    chaired: frozenset[int] = frozenset()  # partnerships the user chairs
    roles: frozenset[str] = frozenset()  # every role the user holds anywhere

    @property
    def partnerships(self) -> list[int]:
        return sorted(self.staff | self.viewing | set(self.coordinated))


def membership_rows(user) -> list[tuple[int, str, int | None]]:
    """(partnership, role, agency) of each of `user`'s memberships: one query, kept on the user
    object, which the authentication middleware loads afresh for every request (every view that
    changes memberships redirects, so none reads them again after a change)."""
    if not user.is_authenticated:
        return []
    rows = user.__dict__.get("_membership_rows")
    if rows is None:
        rows = list(
            Membership.objects.filter(user=user)
            .order_by()
            .values_list("partnership_id", "role", "agency_id")
        )
        user.__dict__["_membership_rows"] = rows
    return rows


def memberships_of(user) -> Memberships:
    staff, viewing, chaired, coordinated = set(), set(), set(), {}
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
    return Memberships(
        frozenset(staff),
        {partnership: frozenset(agencies) for partnership, agencies in coordinated.items()},
        frozenset(viewing),
        frozenset(chaired),
        frozenset(role for _, role, _ in rows),
    )


NOTHING = Q(pk__in=[])


def _any_of(conditions) -> Q:
    combined = NOTHING
    for condition in conditions:
        combined = condition if combined is NOTHING else combined | condition
    return combined


def restrict_audits(queryset, user):
    """The audits of `queryset` that `user` is a member of."""
    if not user.is_authenticated:
        return queryset.none()
    mine = memberships_of(user)
    Audit = apps.get_model("cases", "Audit")
    BriefingVersion = apps.get_model("findings", "BriefingVersion")
    taking_part = Audit.agencies.through.objects.filter(audit_id=OuterRef("pk"))
    conditions = []
    if mine.staff:
        conditions.append(Q(partnership_id__in=mine.staff))
    for partnership_id, agency_ids in mine.coordinated.items():
        conditions.append(
            Q(partnership_id=partnership_id)
            & Q(Exists(taking_part.filter(agency_id__in=agency_ids)))
        )
    if mine.viewing:
        published = BriefingVersion.objects.filter(audit_id=OuterRef("pk"))
        conditions.append(Q(partnership_id__in=mine.viewing) & Q(Exists(published)))
    if not conditions:
        return queryset.none()
    return queryset.filter(_any_of(conditions))


def chaired_partnerships(user):
    """The partnerships in which `user` may start a new audit."""
    Partnership = apps.get_model("maca", "Partnership")
    if not user.is_authenticated:
        return Partnership.objects.none()
    return Partnership.objects.filter(memberships__user=user, memberships__role=Role.CHAIR)


def restrict_actions(queryset, user, *, published: bool = True):
    """Actions of the composite plan `user` may see: the chair and QA members see every action of
    their partnership's audits; a co-ordinator sees their own agency's actions; a viewer sees the
    actions of plans the chair has published with the briefing (with `published`), as rows only.

    Each action is annotated `opens`: whether `user` may open its page (updates, evidence,
    history), which a viewer may not."""
    if not user.is_authenticated:
        return queryset.none()
    mine = memberships_of(user)
    opening = []
    if mine.staff:
        opening.append(Q(audit__partnership_id__in=mine.staff))
    for partnership_id, agency_ids in mine.coordinated.items():
        opening.append(Q(audit__partnership_id=partnership_id, owner_agency_id__in=agency_ids))
    conditions = list(opening)
    if published and mine.viewing:
        BriefingVersion = apps.get_model("findings", "BriefingVersion")
        briefing_out = BriefingVersion.objects.filter(audit_id=OuterRef("audit_id"))
        conditions.append(
            Q(audit__partnership_id__in=mine.viewing, audit__plan_published_at__isnull=False)
            & Q(Exists(briefing_out))
        )
    if not conditions:
        return queryset.none().annotate(opens=Value(False))
    opens = (
        ExpressionWrapper(_any_of(opening), output_field=BooleanField())
        if opening
        else Value(False)
    )
    return queryset.filter(_any_of(conditions)).annotate(opens=opens)


def reads_plan(user) -> bool:
    """Whether `user` sees any of the composite plan: chair, QA member and co-ordinator roles
    do; a viewer only once a plan has been published to them with its briefing."""
    if not user.is_authenticated:
        return False
    if memberships_of(user).roles - {Role.VIEWER}:
        return True
    Action = apps.get_model("actions", "Action")
    return restrict_actions(Action.objects.all(), user).exists()


def get_action_for(request, action_id):
    """An action's own page, or 404 for anyone who may not open it (a viewer of a published
    plan reads its rows only)."""
    Action = apps.get_model("actions", "Action")
    queryset = restrict_actions(Action.objects.all(), request.user, published=False).select_related(
        "audit__theme", "audit__partnership", "owner_agency", "lead_user", "recommendation"
    )
    try:
        action = queryset.get(pk=action_id)
    except (Action.DoesNotExist, ValueError):
        raise Http404("No such action.") from None
    request.audit = action.audit
    return action


def sees_every_action(user, audit) -> bool:
    """The chair and QA members see all of an audit's actions (as `restrict_actions` does)."""
    return bool(roles_for(user, audit) & {Role.CHAIR, Role.QA_MEMBER})


def can_update_action(user, action) -> bool:
    """Progress updates and evidence: the owner agency's co-ordinators, and the chair."""
    access = access_for(user, action.audit)
    return Role.CHAIR in access.roles or action.owner_agency_id in access.agency_ids


@dataclass(frozen=True)
class AuditAccess:
    """What one user holds in one audit: roles, and the agencies they co-ordinate for in it."""

    roles: frozenset[str]
    agency_ids: frozenset[int]


def access_for(user, audit) -> AuditAccess:
    """The user's roles in `audit`, cached on the audit instance for the request (two queries)."""
    cache = audit.__dict__.setdefault("_access_cache", {})
    if user.pk not in cache:
        cache[user.pk] = _load_access(user, audit)
    return cache[user.pk]


def _load_access(user, audit) -> AuditAccess:
    if not user.is_authenticated:
        return AuditAccess(frozenset(), frozenset())
    memberships = [
        (role, agency_id)
        for partnership_id, role, agency_id in membership_rows(user)
        if partnership_id == audit.partnership_id
    ]
    roles = {role for role, _ in memberships if role != Role.COORDINATOR}
    coordinated = {agency_id for role, agency_id in memberships if role == Role.COORDINATOR}
    agency_ids = set()
    if coordinated:
        Audit = apps.get_model("cases", "Audit")
        agency_ids = set(
            Audit.agencies.through.objects.filter(
                audit_id=audit.pk, agency_id__in=coordinated
            ).values_list("agency_id", flat=True)
        )
    if agency_ids:
        roles.add(Role.COORDINATOR)
    return AuditAccess(frozenset(roles), frozenset(agency_ids))


def is_member(user, audit) -> bool:
    """Whether `user` may know that `audit` exists: as `restrict_audits` decides for lists."""
    roles = roles_for(user, audit)
    if roles - {Role.VIEWER}:
        return True
    return Role.VIEWER in roles and _published(audit)


def roles_for(user, audit) -> frozenset[str]:
    return access_for(user, audit).roles


def can(user, action: str, audit) -> bool:
    rules = RULES[action]
    return any(role in rules and rules[role](audit) for role in roles_for(user, audit))


def allowed_actions(user, audit) -> frozenset[str]:
    """Every audit-wide action `user` may take on `audit`, for templates to show controls."""
    return frozenset(action for action in RULES if can(user, action, audit))


def get_audit_for(request, pk, action: str):
    """The audit `pk` if `request.user` may take `action` on it; 404 for non-members, else 403."""
    Audit = apps.get_model("cases", "Audit")
    try:
        audit = Audit.objects.select_related("theme", "partnership").get(pk=pk)
    except (Audit.DoesNotExist, ValueError):
        raise Http404("No such audit.") from None
    if not is_member(request.user, audit):
        raise Http404("No such audit.")
    if not can(request.user, action, audit):
        raise PermissionDenied(why_not(request.user, action, audit))
    request.audit = audit  # for the access log, which records the audit of each look
    return audit


# Agency-scoped rules -------------------------------------------------------------------------


def agency_ids_for(user, audit) -> frozenset[int]:
    """The agencies `user` co-ordinates for in `audit` (those taking part only)."""
    return access_for(user, audit).agency_ids


def can_edit_agency_work(user, audit, agency_id: int) -> bool:
    """Upload a chronology, write the audit tool: the agency's own co-ordinators and the chair."""
    access = access_for(user, audit)
    return Role.CHAIR in access.roles or agency_id in access.agency_ids


def can_view_agency_work(user, audit, agency_id: int) -> bool:
    """An agency's submissions: its co-ordinators and the chair; other members after release."""
    return can_edit_agency_work(user, audit, agency_id) or can(user, "view_meeting_pack", audit)


def visible_agency_ids(user, audit, agency_ids: Iterable[int]) -> set[int]:
    """Of `agency_ids`, those whose work `user` may see in `audit`, without further queries."""
    agency_ids = set(agency_ids)
    if can(user, "view_meeting_pack", audit):
        return agency_ids
    return agency_ids & access_for(user, audit).agency_ids


def can_view_identifiers(
    user, audit, involved_agency_ids: Iterable[int], *, selected: bool = True
) -> bool:
    """A child's identifying details: the chair, and co-ordinators of agencies involved in a
    case that was selected (a nomination still waiting, or declined, is the chair's alone)."""
    access = access_for(user, audit)
    if Role.CHAIR in access.roles:
        return True
    return selected and bool(access.agency_ids & set(involved_agency_ids))


def require(allowed: bool) -> None:
    """For agency-scoped objects: answer 404, as if the object did not exist, when not allowed."""
    if not allowed:
        raise Http404("Not found.")
