"""The access rules of the composite action plan: who sees which actions, and who updates them.
See docs/architecture.md for the gate as a whole."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, Value
from django.http import Http404

from actions.models import Action
from cases.access import MEMBERS, Role, access_for, any_of, memberships_of, takes_part
from cases.models import Audit


def restrict_actions(queryset, user, *, published: bool = True):
    """Actions of the composite plan `user` may see: the chair and QA members see every action of
    their partnership's audits; a co-ordinator sees their own agency's actions while the agency
    takes part in the action's audit (`cases.access.takes_part`); with `published`, a viewer sees
    the actions of plans the chair has published with the briefing, and a co-ordinator every
    action of the published plans of audits their agency takes part in, as rows only (as the
    published briefing's annex shows them).

    Each action is annotated `opens`: whether `user` may open its page (updates, evidence,
    history), which a viewer may not."""
    if not user.is_authenticated:
        return queryset.none().annotate(opens=Value(False))
    mine = memberships_of(user)
    opening = []
    if mine.staff:
        opening.append(Q(audit__partnership_id__in=mine.staff))
    if mine.coordinated:
        # Their agency's actions, only while the agency takes part in the action's audit.
        coordinated = any_of(
            Q(audit__partnership_id=partnership_id, owner_agency_id__in=agency_ids)
            for partnership_id, agency_ids in mine.coordinated.items()
        )
        opening.append(coordinated & Q(takes_part(audit="audit_id", agency="owner_agency_id")))
    conditions = list(opening)
    plan_published = Q(
        audit__plan_published_at__isnull=False, audit__briefing_published_at__isnull=False
    )
    if published and mine.viewing:
        conditions.append(plan_published & Q(audit__partnership_id__in=mine.viewing))
    if published and mine.coordinated:
        conditions.append(plan_published & _audits_taking_part(mine.coordinated))
    if not conditions:
        return queryset.none().annotate(opens=Value(False))
    opens = (
        ExpressionWrapper(any_of(opening), output_field=BooleanField()) if opening else Value(False)
    )
    return queryset.filter(any_of(conditions)).annotate(opens=opens)


def _audits_taking_part(coordinated: dict) -> Q:
    """Actions of the audits in which one of the co-ordinator's agencies takes part."""
    return any_of(
        Q(
            audit__partnership_id=partnership_id,
            audit_id__in=Audit.agencies.through.objects.filter(agency_id__in=agency_ids).values(
                "audit_id"
            ),
        )
        for partnership_id, agency_ids in coordinated.items()
    )


def reads_plan(user) -> bool:
    """Whether `user` sees any of the composite plan: chair, QA member and co-ordinator roles
    do; a viewer only once a plan has been published to them with its briefing."""
    if not user.is_authenticated:
        return False
    if memberships_of(user).roles & set(MEMBERS):
        return True
    return restrict_actions(Action.objects.all(), user).exists()


def get_action_for(request, action_id):
    """An action's own page, or 404 for anyone who may not open it (a viewer of a published
    plan reads its rows only)."""
    queryset = restrict_actions(Action.objects.all(), request.user, published=False).select_related(
        "audit__theme", "audit__partnership", "owner_agency", "lead_user", "recommendation"
    )
    try:
        action = queryset.get(pk=action_id)
    except (Action.DoesNotExist, ValueError):
        raise Http404("No such action.") from None
    request.audit = action.audit  # for the access log
    return action


def may_lead(user, audit, owner_agency_id) -> bool:
    """Whether `user` could follow up an action of `audit` owned by that agency, as its lead:
    open it (the chair, a QA member, or a co-ordinator of the owner agency taking part)."""
    access = access_for(user, audit)
    return bool(access.roles & {Role.CHAIR, Role.QA_MEMBER}) or owner_agency_id in access.agency_ids


def lead_refusal(lead_user, audit, owner_agency) -> str | None:
    """Why `lead_user` cannot lead an action of `audit` owned by `owner_agency`, or None when
    they can: a lead who could not open the action would never see it, nor be reminded of it."""
    if lead_user is None or owner_agency is None or may_lead(lead_user, audit, owner_agency.pk):
        return None
    return (
        f"{lead_user} cannot open an action owned by {owner_agency}: choose the chair, a QA "
        f"member or a co-ordinator for {owner_agency}, or name an officer who does not use MACA."
    )


def can_update_action(user, action) -> bool:
    """Progress updates and evidence: the owner agency's co-ordinators, and the chair."""
    access = access_for(user, action.audit)
    return Role.CHAIR in access.roles or action.owner_agency_id in access.agency_ids
