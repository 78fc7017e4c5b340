"""Writes of the partnership administrator: the partnership's people and their roles, its
agencies, its settings (standard texts, protective marking, briefing headings) and its logo.

None of these reaches an audit: a partnership administrator sees no case-level data by virtue of
the role. They cannot change their own roles (so cannot give themselves one that opens audits),
cannot touch another partnership, and never set an account's staff or superuser flags.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from cases import uploads
from cases.services.setup import (
    agency_named_alike,
    agency_of_no_coordinator,
    grant_notice_queue,
    invitation_queue,
)
from maca.concurrency import check_current
from maca.invitations import invitation_issue
from maca.models import Agency, Invitation, Membership, Partnership
from maca.text import shown_name
from maca.wording import size_limit

Role = Membership.Role
# The roles that open case-level data of the partnership's audits (a co-ordinator's, of their
# agency's cases): inviting someone to one of these is told to the partnership's chairs.
CASE_DATA_ROLES = (Role.CHAIR, Role.QA_MEMBER, Role.COORDINATOR)

OWN_ROLES = (
    "You cannot change your own roles: ask another administrator of the partnership, or your "
    "MACA installation's staff."
)
SETTINGS_FIELDS = (
    "protective_marking",
    "standard_theme_and_cases",
    "standard_process",
    "heading_theme_and_cases",
    "heading_process",
    "heading_strengths",
    "heading_findings",
    "heading_good_practice",
    "heading_recommendations",
    "seven_minute_questions",
    "seven_minute_find_out_more",
)
LOGO_KINDS = (uploads.PNG, uploads.JPEG)
LOGO_DESCRIBED = "a PNG or JPEG image"
LOGO_MAX_PIXELS = 4000  # on either side


# People and their roles -------------------------------------------------------------------------


@transaction.atomic
def partnership_member_invite(
    *, partnership: Partnership, user, email: str, role: str, agency: Agency | None
) -> tuple[Invitation, bool]:
    """Email `email` an invitation to a role in `partnership` (any role, the administrator's
    too); returns it, and whether it was emailed now (not when asked for moments ago). Every
    address is treated alike: no account is looked up, attached or changed; the person becomes
    a member by accepting (maca/invitations.py)."""
    if role not in Role.values:
        raise ValidationError({"role": "Choose one of the roles."})
    if role == Role.COORDINATOR:
        if agency is None or agency.partnership_id != partnership.pk:
            raise ValidationError({"agency": "Choose one of the partnership's agencies."})
    elif agency is not None:
        raise ValidationError({"agency": agency_of_no_coordinator(role)})
    if email.strip().lower() in {(user.email or "").lower(), user.username.lower()}:
        raise ValidationError({"email": OWN_ROLES})
    invitation, send = invitation_issue(
        email=email, partnership=partnership, role=role, agency=agency, invited_by=user
    )
    if send:
        invitation_queue(invitation=invitation, invited_by=user)
    if role in CASE_DATA_ROLES:
        grant_notice_queue(invitation=invitation, invited_by=user)
    return invitation, send


@transaction.atomic
def partnership_administrator_invite(*, partnership: Partnership, email: str) -> bool:
    """Email `email` an invitation to administer `partnership`, from the installation's operator
    (`manage.py invite_administrator`): how a new partnership gets its first administrator, who
    then invites everyone else. Whether an email was queued: the same invitation asked for again
    within moments is not emailed twice."""
    invitation, send = invitation_issue(
        email=email,
        partnership=partnership,
        role=Role.PARTNERSHIP_ADMIN,
        agency=None,
        invited_by=None,
    )
    if send:
        invitation_queue(invitation=invitation, invited_by=None)
    return send


def partnership_member_remove_refusal(*, membership: Membership, user) -> str | None:
    """Why `user` may not end `membership`, or None."""
    return OWN_ROLES if membership.user_id == user.pk else None


@transaction.atomic
def partnership_member_remove(*, partnership: Partnership, user, membership: Membership) -> None:
    """End a role in the partnership (in every one of its audits). The account is kept."""
    if membership.partnership_id != partnership.pk:
        raise ValidationError("That role is not one of this partnership's.")
    refusal = partnership_member_remove_refusal(membership=membership, user=user)
    if refusal:
        raise ValidationError(refusal)
    membership.delete()


# Agencies ---------------------------------------------------------------------------------------


def _check_agency_name(partnership: Partnership, name: str, agency: Agency | None = None) -> str:
    name = shown_name(name)
    if not name:
        raise ValidationError({"name": "Give the agency's name."})
    others = Agency.objects.filter(partnership=partnership)
    if agency is not None:
        others = others.exclude(pk=agency.pk)
    same = agency_named_alike(others, name)
    if same is not None:
        raise ValidationError(
            {"name": f"The partnership already has an agency called {same.name}."}
        )
    return name


@transaction.atomic
def agency_create(*, partnership: Partnership, name: str, sector: str) -> Agency:
    agency = Agency(
        partnership=partnership, name=_check_agency_name(partnership, name), sector=sector
    )
    agency.full_clean()
    agency.save()
    return agency


@transaction.atomic
def agency_update(
    *, agency: Agency, name: str, sector: str, loaded_version: str | None = None
) -> Agency:
    """Rename an agency or change its sector: every audit it takes part in shows the new name."""
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    check_current(agency, loaded_version=loaded_version, label="this agency")
    agency.name = _check_agency_name(agency.partnership, name, agency)
    agency.sector = sector
    agency.full_clean()
    agency.save()
    return agency


# Settings ---------------------------------------------------------------------------------------


@transaction.atomic
def partnership_settings_update(*, partnership: Partnership, data: dict) -> Partnership:
    """The partnership's standard texts, protective marking and briefing headings, as new audits
    and 7-minute briefings take them (audits already started keep their own)."""
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    for field in SETTINGS_FIELDS:
        if field in data:
            value = (data[field] or "").strip()
            if field.startswith("heading_") and not value:
                value = Partnership._meta.get_field(field).default
            setattr(partnership, field, value)
    partnership.full_clean()
    partnership.save()
    return partnership


# The logo ---------------------------------------------------------------------------------------


def logo_max_bytes() -> int:
    return settings.MACA_LOGO_MAX_BYTES


def _check_logo_size(size: int | None) -> None:
    """Checked before the upload is read, and again after."""
    if (size or 0) > logo_max_bytes():
        raise ValidationError(
            f"The picture is {uploads.exact_size(size)}: a logo can be up to "
            f"{size_limit(logo_max_bytes())} ({logo_max_bytes():,} bytes).",
            code="too_large",
        )


def _check_logo_picture(uploaded_file) -> None:
    """A picture a Word document can hold too, of a sensible size: its header read, not decoded."""
    from docx.image.image import Image

    uploaded_file.seek(0)
    try:
        picture = Image.from_blob(uploaded_file.read())
    except Exception:  # any way a damaged picture fails to parse
        raise ValidationError(
            "The picture is damaged or cut short, so it can't be used. Save it again as PNG or "
            "JPEG and upload that.",
            code="damaged",
        ) from None
    finally:
        uploaded_file.seek(0)
    if max(picture.px_width, picture.px_height) > LOGO_MAX_PIXELS:
        raise ValidationError(
            f"The picture is {picture.px_width} × {picture.px_height} pixels: a logo can be up to "
            f"{LOGO_MAX_PIXELS:,} pixels on each side. Make it smaller and upload it again.",
            code="too_large",
        )


@transaction.atomic
def partnership_logo_set(*, partnership: Partnership, uploaded_file) -> Partnership:
    """Keep `uploaded_file` as the partnership's logo, through the same checks as every upload
    (its kind from its content, PNG or JPEG only) and a size cap of its own. The earlier logo is
    deleted once the new one is kept."""
    _check_logo_size(uploaded_file.size)
    inspection, kind = uploads.accept(uploaded_file, LOGO_KINDS, LOGO_DESCRIBED)
    _check_logo_size(inspection.size)
    _check_logo_picture(uploaded_file)
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    earlier = partnership.logo.name if partnership.logo else ""
    partnership.logo_kind = kind
    uploads.store_with_record(
        partnership, uploaded_file, f"logo.{uploads.FILE_EXTENSIONS[kind]}", field="logo"
    )
    if earlier:
        storage = partnership.logo.storage
        transaction.on_commit(lambda: storage.delete(earlier))
    return partnership


@transaction.atomic
def partnership_logo_remove(*, partnership: Partnership) -> Partnership:
    partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
    if partnership.logo:
        storage, name = partnership.logo.storage, partnership.logo.name
        partnership.logo = ""
        partnership.logo_kind = ""
        partnership.save(update_fields=["logo", "logo_kind", "updated_at"])
        transaction.on_commit(lambda: storage.delete(name))
    return partnership
