"""Invitations to a partnership: a chair offers a role to an email address, and the person who
reads the email accepts it, signed in with an account of that address or creating one.

Whoever invites learns nothing of any account: the same invitation is made, and the same answer
given, whether or not the address already has one, and no account is attached or changed until
its owner accepts."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from maca.access import AUDIT_ROLES, forget_memberships, memberships_of, read_memberships_of
from maca.models import Agency, Invitation, Membership, Partnership

Role = Membership.Role
# The same invitation asked for again within this time is the same press: it is not sent twice.
REPEAT_WITHIN = datetime.timedelta(minutes=2)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.MACA_INVITATION_DAYS)


def _refuse_a_role_held(*, email: str, partnership, role: str, agency) -> None:
    """An invitation to a role its address holds already in the partnership would be accepted
    to no effect, after emails to it and to the chairs. The partnership's members, with their
    addresses, are on the pages of whoever invites: saying so tells them nothing new."""
    held = Membership.objects.filter(partnership=partnership, role=role, agency=agency).filter(
        Q(user__email__iexact=email) | Q(user__username__iexact=email)
    )
    if held.exists():
        where = f" for {agency.name}" if agency is not None else ""
        raise ValidationError(
            {"email": f"{email} already holds the role {Role(role).label}{where} here."}
        )


# An account made by accepting an invitation is named by its address: no longer than a name.
ADDRESS_MAX_LENGTH = 150


def checked_address(email: str) -> str:
    """`email` as invitations keep it, or ValidationError if it is too long to name an account
    (the forms check it too; the operator's command does not). Its shape is checked with the
    rest of the invitation."""
    email = email.strip().lower()
    if len(email) > ADDRESS_MAX_LENGTH:
        raise ValidationError(
            f"An email address of at most {ADDRESS_MAX_LENGTH} characters, please (this one has "
            f"{len(email)})."
        )
    return email


def invitation_issue(
    *, email: str, partnership: Partnership, role: str, agency: Agency | None, invited_by
) -> tuple[Invitation, bool]:
    """An open invitation of `email` to `role` in `partnership`, and whether it should be emailed
    now: an open invitation of the same address to the same role is renewed (a new expiry),
    not duplicated, and not emailed again if it was asked for moments ago."""
    with transaction.atomic():
        email = checked_address(email)
        if role != Role.COORDINATOR:
            agency = None
        _refuse_a_role_held(email=email, partnership=partnership, role=role, agency=agency)
        now = timezone.now()
        open_one = (
            Invitation.objects.select_for_update()
            .filter(
                email=email,
                partnership=partnership,
                role=role,
                agency=agency,
                accepted_at__isnull=True,
                withdrawn_at__isnull=True,
                expires__gt=now,
            )
            .first()
        )
        if open_one is not None:
            repeated = open_one.expires - _lifetime() > now - REPEAT_WITHIN
            open_one.expires = now + _lifetime()
            open_one.invited_by = invited_by
            open_one.save(update_fields=["expires", "invited_by"])
            return open_one, not repeated
        invitation = Invitation(
            email=email,
            partnership=partnership,
            role=role,
            agency=agency,
            invited_by=invited_by,
            expires=now + _lifetime(),
        )
        invitation.full_clean()
        invitation.save()
        return invitation, True


def invitation_link_make(invitation: Invitation) -> str:
    """A fresh link to accept `invitation`, made as its email is sent: only the secret's digest
    is kept, so an earlier link (never sent, if sending failed) stops working."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _digest(token)
    invitation.save(update_fields=["token_hash"])
    return settings.SITE_URL + reverse("invitation_accept", args=[token])


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link's secret belongs to (open, accepted or expired), or None."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("partnership", "agency", "invited_by")
        .filter(token_hash=_digest(token))
        .first()
    )


def account_for(email: str):
    """The account whose email address (or user name) is `email`, if any."""
    User = get_user_model()
    email = email.strip()
    matching = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
    return matching.order_by("pk").first()


def is_for(invitation: Invitation, user) -> bool:
    """Whether `user`'s account is the one of the invited address."""
    address = invitation.email.lower()
    return (user.email or "").lower() == address or user.username.lower() == address


def invitation_accept(*, invitation: Invitation, user) -> Membership:
    """Give `user` the invited role. Accepting again (a second press) changes nothing."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None and invitation.accepted_by_id == user.pk:
            # A second press finds the role given by the first. A role removed since is not given
            # back: an accepted invitation's link is spent.
            held = _held(invitation, user)
            if held is not None:
                return held
        if not invitation.is_open():
            raise ValidationError(
                "This invitation has expired or has already been used. Ask the person who invited "
                "you to send a new one."
            )
        if not still_offered(invitation):
            raise ValidationError(
                "The person who invited you can no longer offer this role. Ask the partnership's "
                "administrator, or a chair, to send you a new invitation."
            )
        if not is_for(invitation, user):
            raise ValidationError(
                "This invitation was sent to another email address than your account's. Sign "
                "out, then open the link again and sign in with the account of the address it "
                "was sent to (or create one)."
            )
        membership = _membership(invitation, user)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        return membership


def role_held_from(invitation: Invitation, user) -> Membership | None:
    """The role `user` holds by accepting `invitation`, or None (not theirs, or ended since)."""
    if invitation.accepted_by_id != user.pk:
        return None
    return _held(invitation, user)


def _held(invitation: Invitation, user) -> Membership | None:
    return Membership.objects.filter(
        user=user,
        partnership=invitation.partnership,
        role=invitation.role,
        agency=invitation.agency,
    ).first()


def _membership(invitation: Invitation, user) -> Membership:
    membership, _ = Membership.objects.get_or_create(
        user=user,
        partnership=invitation.partnership,
        role=invitation.role,
        agency=invitation.agency,
    )
    return membership


def account_create(*, invitation: Invitation, first_name: str, last_name: str, password: str):
    """The invited person's own account (user name and email: the invited address), with the
    invited role. Refused when the address has an account already: its owner signs in."""
    with transaction.atomic():
        Invitation.objects.select_for_update().get(pk=invitation.pk)
        if account_for(invitation.email) is not None:
            raise ValidationError(
                "There is already an account with this email address: sign in to accept the "
                "invitation."
            )
        if len(invitation.email) > ADDRESS_MAX_LENGTH:  # sent before addresses were checked
            raise ValidationError(
                f"This invitation's address is longer than an account's name may be "
                f"({ADDRESS_MAX_LENGTH} characters): ask whoever invited you to invite a shorter "
                "address of yours."
            )
        User = get_user_model()
        user = User(
            username=invitation.email,
            email=invitation.email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        user.set_password(password)
        user.full_clean()
        user.save()
        invitation_accept(invitation=invitation, user=user)
        return user


def open_invitations(partnership_id: int):
    """The partnership's invitations not yet accepted nor expired, newest first, each with
    `offered`: whether its sender could still send it (`still_offered`). Two queries."""
    invitations = list(
        Invitation.objects.filter(
            partnership_id=partnership_id,
            accepted_at__isnull=True,
            withdrawn_at__isnull=True,
            expires__gt=timezone.now(),
        ).select_related("agency", "invited_by")
    )
    read_memberships_of(invitation.invited_by for invitation in invitations)
    for invitation in invitations:
        invitation.offered = still_offered(invitation, fresh=False)
    return invitations


# How long an invitation that lapsed unanswered is still listed, for its sender to follow up.
LAPSED_LISTED_FOR = datetime.timedelta(days=30)


def lapsed_invitations(partnership_id: int):
    """The partnership's invitations that expired unanswered in the last LAPSED_LISTED_FOR, newest
    first, but for an address and role invited again since (one query)."""
    now = timezone.now()
    renewed = Invitation.objects.filter(
        partnership_id=partnership_id,
        email=OuterRef("email"),
        role=OuterRef("role"),
        created_at__gt=OuterRef("created_at"),
    )
    return list(
        Invitation.objects.filter(
            partnership_id=partnership_id,
            accepted_at__isnull=True,
            withdrawn_at__isnull=True,
            expires__lte=now,
            expires__gt=now - LAPSED_LISTED_FOR,
        )
        .exclude(Exists(renewed))
        .select_related("agency")
        .order_by("-expires")
    )


def may_withdraw(user, invitation: Invitation) -> bool:
    """Whoever could have issued `invitation` may withdraw it: the partnership's administrator
    (any role), or its chair (a role of its audits, as the Members page gives)."""
    held = memberships_of(user)
    if invitation.partnership_id in held.administered:
        return True
    return invitation.partnership_id in held.chaired and invitation.role in AUDIT_ROLES


def withdraw_invitations_of_deleted_account(sender, instance, **kwargs) -> None:
    """pre_delete receiver of accounts: the open invitations the account sent are withdrawn
    with it. Kept open, each would name nobody as its sender, as the operator's invitation of a
    first administrator does, and stand again after it had lapsed with its sender's role."""
    Invitation.objects.filter(
        invited_by=instance, accepted_at__isnull=True, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now())


def still_offered(invitation: Invitation, *, fresh: bool = True) -> bool:
    """Whether whoever sent `invitation` could still send it, asked as it is emailed and as it
    is accepted: an offer lapses with its inviter's own role (a chair or administrator removed,
    or their account deactivated, before it was accepted), so that nobody gives a role after
    losing theirs. Renewed by someone who may, it stands again. The operator's invitation of a
    partnership's administrator (`manage.py invite_administrator`) names nobody, and stands.
    `fresh=False` asks of the inviter's memberships as already read (a page listing them)."""
    inviter = invitation.invited_by
    if inviter is None:
        return invitation.role == Role.PARTNERSHIP_ADMIN
    if fresh:
        forget_memberships(inviter)  # as things are now, not as they were earlier in a long run
    return inviter.is_active and may_withdraw(inviter, invitation)


def invitation_withdraw(*, invitation: Invitation, user) -> Invitation:
    """Withdraw an open invitation: its link then shows what an expired one's does, and its
    email, if not yet sent, is not sent. Withdrawing it again (a second press) changes nothing."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not may_withdraw(user, invitation):
            raise ValidationError("Only whoever could have sent this invitation may withdraw it.")
        if invitation.withdrawn_at is not None:
            return invitation
        if not invitation.is_open():
            raise ValidationError(
                "This invitation has been accepted or has expired: there is nothing to withdraw."
            )
        invitation.withdrawn_at = timezone.now()
        invitation.withdrawn_by = user
        invitation.save(update_fields=["withdrawn_at", "withdrawn_by"])
        return invitation
