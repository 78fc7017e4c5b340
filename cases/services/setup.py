"""Writes for setting an audit up: the audit itself, its theme and agencies, and its members."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from cases.models import Audit, BriefingParagraph, Theme
from cases.services.emails import INVITATION_LINK, email_queue
from cases.services.tool import default_tool_create
from maca.access import AUDIT_ROLES
from maca.concurrency import differs_from_saved
from maca.invitations import invitation_issue
from maca.models import Agency, Invitation, Membership, Partnership
from maca.text import name_key

Role = Membership.Role

AUDIT_FIELDS = (
    "title",
    "submission_deadline",
    "meeting_date",
    "protective_marking",
    "target_case_count",
)


def _theme(partnership: Partnership, data: dict) -> Theme:
    if data.get("theme"):
        theme = data["theme"]
        if theme.partnership_id != partnership.pk:
            raise ValidationError({"theme": "Choose a theme of this audit's partnership."})
        return theme
    theme = Theme(
        partnership=partnership,
        name=data["new_theme_name"].strip(),
        description=(data.get("new_theme_description") or "").strip(),
    )
    theme.full_clean()
    try:
        with transaction.atomic():
            theme.save()
    except IntegrityError:  # the same name saved by someone else a moment ago
        message = f"The partnership already has a theme called '{theme.name}': choose it instead."
        raise ValidationError({"new_theme_name": message}) from None
    return theme


def agency_named_alike(agencies, name: str) -> Agency | None:
    """The one of `agencies` whose name reads as `name` (capitals, apostrophes and dashes
    aside), or None."""
    key = name_key(name)
    return next((agency for agency in agencies if name_key(agency.name) == key), None)


def _agencies(partnership: Partnership, data: dict) -> list[Agency]:
    """The agencies ticked plus those typed in, reusing the partnership's agency of the same
    name. Every one is the partnership's own."""
    agencies = {agency.pk: agency for agency in data.get("agencies") or []}
    if any(agency.partnership_id != partnership.pk for agency in agencies.values()):
        raise ValidationError({"agencies": "Choose agencies of this audit's partnership."})
    for name, sector in data.get("new_agencies") or []:
        agency = agency_named_alike(Agency.objects.filter(partnership=partnership), name)
        if agency is None:
            Agency(partnership=partnership, name=name, sector=sector).full_clean(
                validate_unique=False
            )
            # Another audit may add the same agency at this moment: both use one.
            agency = Agency.objects.get_or_create(
                partnership=partnership, name=name, defaults={"sector": sector}
            )[0]
        agencies[agency.pk] = agency
    return list(agencies.values())


@transaction.atomic
def audit_create(*, user, partnership: Partnership, data: dict) -> Audit:
    """A new draft audit with the default audit tool. `data` is AuditForm's cleaned data."""
    audit = Audit(
        partnership=partnership,
        theme=_theme(partnership, data),
        status=Audit.Status.DRAFT,
        **{field: data[field] for field in AUDIT_FIELDS},
        **{f"heading_{key}": heading for key, heading in partnership.headings.items()},
    )
    audit.full_clean()
    audit.save()
    audit.agencies.set(_agencies(partnership, data))
    default_tool_create(audit=audit)
    _start_with_standard_paragraphs(audit)
    return audit


def standard_paragraphs(partnership: Partnership) -> list[tuple[str, str]]:
    """The partnership's standard Theme / Cases and Process points, as (section, text): those
    its administrator set, else MACA's wording of the usual process. Never another audit's
    points: they name that audit's own cases ("Five cases of young people missing from
    education"), which a new audit's draft would carry unnoticed into its briefing."""
    Section = BriefingParagraph.Section
    own = [
        (section, line.strip())
        for section, text in (
            (Section.THEME_AND_CASES, partnership.standard_theme_and_cases),
            (Section.PROCESS, partnership.standard_process),
        )
        for line in text.splitlines()
        if line.strip()
    ]
    if own:
        return own
    return [
        (Section.THEME_AND_CASES, f"Themes are based on priorities identified by {partnership}."),
        (Section.THEME_AND_CASES, "QA sub-group members nominate cases."),
        (
            Section.THEME_AND_CASES,
            "Cases are selected to ensure there is a cross-section of children, their needs and "
            "the services working with them.",
        ),
        (
            Section.PROCESS,
            "Completed chronologies and audit tools submitted for the selected cases from each "
            "agency.",
        ),
        (Section.PROCESS, "Multi-agency meeting to examine and analyse each case."),
        (Section.PROCESS, "Learning summary developed."),
        (Section.PROCESS, "Actions identified as part of the MACA composite action plan."),
    ]


def _start_with_standard_paragraphs(audit: Audit) -> None:
    BriefingParagraph.objects.bulk_create(
        BriefingParagraph(audit=audit, section=section, text=text, order=order)
        for order, (section, text) in enumerate(standard_paragraphs(audit.partnership))
    )


@transaction.atomic
def audit_update(*, audit: Audit, user, data: dict) -> bool:
    """Change an audit's details (not its partnership or stage). Whether anything changed: a
    save that changes nothing is not kept."""
    audit.theme = _theme(audit.partnership, data)
    for field in AUDIT_FIELDS:
        setattr(audit, field, data[field])
    audit.full_clean()
    agencies = _agencies(audit.partnership, data)
    if not differs_from_saved(audit, agencies=agencies):
        return False
    audit.save()
    audit.agencies.set(agencies)
    return True


# Members -------------------------------------------------------------------------------------


def invitation_queue(*, invitation: Invitation, invited_by, audit: Audit | None = None) -> None:
    """Email `invitation`, from an audit's Members page (`audit`) or the partnership's own."""
    context = {
        "invitation": invitation,
        "audit": audit,
        "invited_by": invited_by,
        "role": invitation.get_role_display(),
        "link": INVITATION_LINK,  # made when the email is sent
        "days": settings.MACA_INVITATION_DAYS,
        "site_url": settings.SITE_URL,
    }
    email_queue(
        key=f"invitation:{invitation.pk}:{uuid.uuid4().hex}",
        invitation=invitation,
        subject=f"You are invited to join {invitation.partnership.name} in MACA",
        body=render_to_string("cases/setup/invitation_email.txt", context),
    )


def grant_notice_queue(*, invitation: Invitation, invited_by) -> None:
    """Tell the partnership's chairs (but the one who invited) of an invitation to a role that
    opens case data, so that no such grant goes unseen. Once per chair and invitation."""
    chairs = (
        get_user_model()
        .objects.filter(
            memberships__partnership=invitation.partnership_id,
            memberships__role=Role.CHAIR,
            is_active=True,
        )
        .exclude(pk=invited_by.pk)
        .distinct()
    )
    context = {
        "invitation": invitation,
        "invited_by": invited_by,
        "role": invitation.get_role_display(),
        "site_url": settings.SITE_URL,
    }
    for chair in chairs:
        email_queue(
            key=f"grant-notice:{invitation.pk}:{chair.pk}",
            recipient=chair,
            partnership=invitation.partnership,
            subject=(
                f"{invitation.email} is invited as {context['role']} of "
                f"{invitation.partnership.name} in MACA"
            ),
            body=render_to_string("cases/partnership/grant_notice_email.txt", context),
        )


# The agency list's empty choice on the forms that invite someone to a role.
NO_AGENCY = "No agency: only an agency co-ordinator has one"


def agency_of_no_coordinator(role: str) -> str:
    """Said of an agency chosen for a role that has none, rather than dropping it unseen."""
    label = str(Role(role).label)
    named = label if label[:2].isupper() else label[0].lower() + label[1:]  # "QA member" kept
    return (
        f"A {named} is not invited for an agency: only an agency co-ordinator is. Leave the "
        "agency empty, or choose the co-ordinator's role."
    )


@transaction.atomic
def member_invite(
    *, audit: Audit, user, email: str, role: str, agency: Agency | None
) -> tuple[Invitation, bool]:
    """Email `email` an invitation to `role` in the audit's partnership (for a co-ordinator, for
    an agency taking part); returns it, and whether it was emailed now (not when asked for
    moments ago). Every address is treated alike: no account is looked up, attached or changed;
    the person becomes a member by accepting (maca/invitations.py)."""
    if role not in AUDIT_ROLES:
        raise ValidationError({"role": "Choose one of the roles of an audit."})
    taking_part = agency is not None and audit.agencies.filter(pk=agency.pk).exists()
    if role == Role.COORDINATOR and not taking_part:
        raise ValidationError({"agency": "Choose an agency taking part in this audit."})
    if role != Role.COORDINATOR and agency is not None:
        raise ValidationError({"agency": agency_of_no_coordinator(role)})
    invitation, send = invitation_issue(
        email=email, partnership=audit.partnership, role=role, agency=agency, invited_by=user
    )
    if send:
        invitation_queue(invitation=invitation, audit=audit, invited_by=user)
    if role == Role.CHAIR:  # a chair making another: the partnership's other chairs know of it
        grant_notice_queue(invitation=invitation, invited_by=user)
    return invitation, send


def member_remove_refusal(*, membership: Membership, user) -> str | None:
    """Why `user` may not remove `membership`, or None."""
    if membership.role == Role.CHAIR and membership.user_id == user.pk:
        return (
            "You cannot remove your own chair role: the partnership would be left without you "
            "as chair. Ask another chair to do it."
        )
    return None


@transaction.atomic
def member_remove(*, audit: Audit, user, membership: Membership) -> None:
    """End `membership` (a partnership-level role, so it ends in every audit of the partnership)."""
    if membership.partnership_id != audit.partnership_id or membership.role not in AUDIT_ROLES:
        raise ValidationError("That membership is not part of this audit's partnership.")
    reason = member_remove_refusal(membership=membership, user=user)
    if reason:
        raise ValidationError(reason)
    membership.delete()
