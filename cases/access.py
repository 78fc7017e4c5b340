"""The access rules of audits and of each agency's work in them.

Every view, PDF, export and download fetches its audit through `get_audit_for`, and every list of
audits goes through `restrict_audits`. Non-members get 404, members whose role does not allow an
audit-wide action 403; one agency's work answers 404 to anyone who may not see it. See
docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from cases.models import Audit
from maca.access import (  # noqa: F401 (the rest of the gate, for callers of this module)
    MEMBERS,
    Role,
    RuleTable,
    any_of,
    chair_reached,
    chaired_partnerships,
    forget_memberships,
    get_partnership_for,
    membership_rows,
    memberships_of,
    require,
)


def _always(audit) -> bool:
    return True


def _published(audit) -> bool:
    """Viewers read published versions of the briefing, never the draft."""
    return audit.briefing_published_at is not None


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


AUDIT_RULES = RuleTable(
    rules={
        "view_audit": dict.fromkeys(MEMBERS, _always),
        "view_briefing": {**dict.fromkeys(MEMBERS, _always), Role.VIEWER: _published},
        # The actions of the audit's plan (a co-ordinator's list is narrowed to their agency).
        "view_plan": {**dict.fromkeys(MEMBERS, _always), Role.VIEWER: _plan_published},
        "view_draft_briefing": dict.fromkeys(MEMBERS, _always),
        "publish_briefing": {Role.CHAIR: _always},
        "export_audit": {Role.CHAIR: _always},
        "manage_audit": {Role.CHAIR: _always},
        # The audit tool's questions, and reopening an agency's submitted tool: once the audit
        # is closed, its returns stand as they were asked, answered and submitted.
        "change_tool": {Role.CHAIR: _open},
        "view_nominations": {Role.CHAIR: _always, Role.QA_MEMBER: _always},
        "nominate": {Role.CHAIR: _always, Role.QA_MEMBER: _always},
        "author_briefing": {Role.CHAIR: _open, Role.QA_MEMBER: _open},
        "view_progress": dict.fromkeys(MEMBERS, _always),
        # Every agency's column of the completeness matrix (what is in, not what it says).
        "view_all_progress": {Role.CHAIR: _always, Role.QA_MEMBER: _always},
        # The meeting pack (every agency's submissions, integrated chronologies, grade
        # summaries): the chair always, the other members once the chair has released it.
        "view_meeting_pack": {
            Role.CHAIR: _always,
            Role.QA_MEMBER: _pack_released,
            Role.COORDINATOR: _pack_released,
        },
        # The 7-minute briefing is mostly written once the audit has closed: it carries the
        # learning out to teams.
        "write_seven_minute": {Role.CHAIR: _always, Role.QA_MEMBER: _always},
        # Where the published briefing was used: co-ordinators record their own agency's
        # sessions (the chair any agency's); the chair and QA members see every agency's.
        "record_usage": {Role.CHAIR: _published, Role.COORDINATOR: _published},
        "view_usage": dict.fromkeys(MEMBERS, _always),
        "view_all_usage": {Role.CHAIR: _always, Role.QA_MEMBER: _always},
        "schedule_reaudit": {Role.CHAIR: _closed},
        "record_impact": {Role.CHAIR: _reaudit_open, Role.QA_MEMBER: _reaudit_open},
        "view_comparison": {Role.CHAIR: _is_reaudit, Role.QA_MEMBER: _is_reaudit},
    },
    # Why a role that may take an action in principle may not take it now (the 403 page).
    not_now={
        _open: "This audit is closed: it can be read but no longer changed.",
        _pack_released: "The chair has not released the meeting pack to members yet.",
        _published: "The briefing of this audit has not been published yet.",
        _plan_published: "The action plan of this audit has not been published to viewers.",
        _closed: "Only a closed audit can be audited again: close it first.",
        _reaudit_open: "This audit is not an open re-audit of an earlier audit.",
        _is_reaudit: "This audit is not a re-audit of an earlier audit.",
    },
)
RULES = AUDIT_RULES.rules


def why_not(user, action: str, audit) -> str:
    """The reason `user` may not take `action` on `audit`, for the 403 page."""
    return AUDIT_RULES.why_not(roles_for(user, audit), action)


def takes_part(*, audit: str, agency: str) -> Exists:
    """For a query: whether the agency (the field `agency` of the outer row) takes part in the
    audit (the field `audit`). An agency takes part only while it is one of the audit's
    agencies: its co-ordinators see the audit, and its work and actions in it, only then."""
    return Exists(
        Audit.agencies.through.objects.filter(audit_id=OuterRef(audit), agency_id=OuterRef(agency))
    )


def coordinator_audits(partnership_id: int, agency_ids) -> Q:
    """The audits of a partnership in which one of `agency_ids` takes part."""
    taking_part = Audit.agencies.through.objects.filter(
        audit_id=OuterRef("pk"), agency_id__in=agency_ids
    )
    return Q(partnership_id=partnership_id) & Q(Exists(taking_part))


def restrict_audits(queryset, user):
    """The audits of `queryset` that `user` is a member of."""
    if not user.is_authenticated:
        return queryset.none()
    mine = memberships_of(user)
    conditions = []
    if mine.staff:
        conditions.append(Q(partnership_id__in=mine.staff))
    for partnership_id, agency_ids in mine.coordinated.items():
        conditions.append(coordinator_audits(partnership_id, agency_ids))
    if mine.viewing:
        conditions.append(Q(partnership_id__in=mine.viewing, briefing_published_at__isnull=False))
    if not conditions:
        return queryset.none()
    return queryset.filter(any_of(conditions))


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
    # The partnership administrator's role opens no audit.
    roles = {role for role, _ in memberships if role in (Role.CHAIR, Role.QA_MEMBER, Role.VIEWER)}
    coordinated = {agency_id for role, agency_id in memberships if role == Role.COORDINATOR}
    agency_ids = set()
    if coordinated:
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
    return AUDIT_RULES.can(roles_for(user, audit), action, audit)


def allowed_actions(user, audit) -> frozenset[str]:
    """Every audit-wide action `user` may take on `audit`, for templates to show controls."""
    return AUDIT_RULES.allowed(roles_for(user, audit), audit)


def recipients_who_may_see(audit, users: Iterable, action: str = "view_audit") -> list:
    """Of `users`, those the gate lets take `action` on `audit` at this moment (active, with an
    email address): the only people an email about the audit may go to. Every email about an
    audit asks this just before it is sent, with the roles read afresh (not as they were when
    the email was thought of)."""
    allowed = []
    for user in users:
        if not (user.is_active and user.email):
            continue
        forget_memberships(user)
        audit.__dict__.get("_access_cache", {}).pop(user.pk, None)
        if is_member(user, audit) and can(user, action, audit):
            allowed.append(user)
    return allowed


def get_audit_for(request, pk, action: str):
    """The audit `pk` if `request.user` may take `action` on it; 404 for non-members, else 403."""
    try:
        audit = Audit.objects.select_related("theme", "partnership").get(pk=pk)
    except (Audit.DoesNotExist, ValueError):
        raise Http404("No such audit.") from None
    if not is_member(request.user, audit):
        raise Http404("No such audit.")
    request.audit = audit  # for the access log, which files each look (or refusal) under it
    if not can(request.user, action, audit):
        raise PermissionDenied(why_not(request.user, action, audit))
    return audit


def audit_reached(request, pk) -> None:
    """404 unless `request.user` may know that audit `pk` exists (is a member of it)."""
    get_audit_for(request, pk, "view_briefing")


def partnership_reached(request, partnership_id) -> None:
    """404 unless `request.user` holds a role in the partnership, 403 unless they administer it
    (the partnership's own pages are its administrator's)."""
    get_partnership_for(request, partnership_id, "administer_partnership")


def sees_every_action(user, audit) -> bool:
    """The chair and QA members see all of an audit's actions; a co-ordinator their agency's,
    and all of them once the plan is published with the briefing, as viewers then do."""
    return plan_agency_ids(user, audit) is None


def plan_agency_ids(user, audit) -> frozenset[int] | None:
    """The agencies whose actions of `audit` `user` sees, None for every agency: the same
    answer `actions.access.restrict_actions` gives for one audit's actions."""
    roles = roles_for(user, audit)
    if roles & {Role.CHAIR, Role.QA_MEMBER}:
        return None
    if roles & {Role.VIEWER, Role.COORDINATOR} and _plan_published(audit):
        return None
    return agency_ids_for(user, audit)


def opening_agency_ids(user, audit) -> frozenset[int] | None:
    """The agencies whose actions of `audit` `user` may open (their page, updates, evidence),
    None for every agency: the same answer `restrict_actions` gives as `opens`."""
    if roles_for(user, audit) & {Role.CHAIR, Role.QA_MEMBER}:
        return None
    return agency_ids_for(user, audit)


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


def restrict_agency_work(queryset, user, *, audit: str, agency: str, every_return: bool = False):
    """The rows of agencies' work in audits (an audit tool, its answers) that `user` may read,
    as `can_view_agency_work` decides for one: every agency's for the chair; for a QA member
    and a co-ordinator, every agency's once the chair has released the meeting pack, and a
    co-ordinator's own agency's before, while it takes part; nothing for a viewer. With
    `every_return`, whether the work has come in (not what it says), as the progress page
    shows it: every agency's for QA members too (`view_all_progress`). `audit` and `agency` are
    the rows' paths to the audit and the agency ("submission__case__audit"). Lists across
    audits (trends, the board's report) count no more than the audit's own pages show."""
    if not user.is_authenticated:
        return queryset.none()
    mine = memberships_of(user)

    def of(partnerships) -> Q:
        return Q(**{f"{audit}__partnership_id__in": partnerships})

    released = Q(**{f"{audit}__pack_released_at__isnull": False})
    qa_members = mine.staff - mine.chaired
    conditions = [of(mine.chaired)] if mine.chaired else []
    if qa_members:
        conditions.append(of(qa_members) if every_return else of(qa_members) & released)
    for partnership_id, agency_ids in mine.coordinated.items():
        own = Q(**{f"{audit}__partnership_id": partnership_id, f"{agency}_id__in": agency_ids})
        conditions.append(own & Q(takes_part(audit=f"{audit}_id", agency=f"{agency}_id")))
        taking_part = Audit.objects.filter(coordinator_audits(partnership_id, agency_ids))
        conditions.append(released & Q(**{f"{audit}__in": taking_part.values("pk")}))
    return queryset.filter(any_of(conditions))


def can_view_identifiers(
    user, audit, involved_agency_ids: Iterable[int], *, selected: bool = True
) -> bool:
    """A child's identifying details: the chair, and co-ordinators of agencies involved in a
    case that was selected (a nomination still waiting, or declined, is the chair's alone)."""
    access = access_for(user, audit)
    if Role.CHAIR in access.roles:
        return True
    return selected and bool(access.agency_ids & set(involved_agency_ids))
