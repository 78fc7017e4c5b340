"""The invitation services on their own: who is invited to what, when an invitation is the same
one asked for again, whose account may accept it, and who may withdraw it."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from maca import invitations
from maca.invitations import (
    account_create,
    account_for,
    invitation_accept,
    invitation_for_token,
    invitation_issue,
    invitation_link_make,
    invitation_withdraw,
    is_for,
    may_withdraw,
    open_invitations,
)
from maca.models import Invitation, Membership

from .conftest import member
from .factories import AgencyFactory, PartnershipFactory, UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def agency(audit):
    return AgencyFactory(partnership=audit.partnership, name="Health")


def issue(audit, chair, email="new@example.org", role=Role.QA_MEMBER, agency=None):
    return invitation_issue(
        email=email, partnership=audit.partnership, role=role, agency=agency, invited_by=chair
    )


def token_of(invitation) -> str:
    return invitation_link_make(invitation).rstrip("/").rsplit("/", 1)[1]


def test_an_address_is_invited_as_typed_in_any_case_and_spacing(audit, chair, agency):
    invitation, send = issue(audit, chair, email="  New@Example.ORG ")
    assert send and invitation.email == "new@example.org"
    assert invitation.invited_by == chair and invitation.agency is None
    lifetime = invitation.expires - timezone.now()
    assert datetime.timedelta(days=13) < lifetime <= datetime.timedelta(days=14)


def test_only_a_coordinator_is_invited_for_an_agency(audit, chair, agency):
    qa, _ = issue(audit, chair, role=Role.QA_MEMBER, agency=agency)
    coordinator, _ = issue(audit, chair, role=Role.COORDINATOR, agency=agency)
    assert qa.agency is None
    assert coordinator.agency == agency


def test_the_same_invitation_asked_again_is_renewed_and_sent_only_after_a_while(audit, chair):
    first, sent = issue(audit, chair)
    other_chair = member(audit, Role.CHAIR)
    again, send_again = issue(audit, other_chair, email="NEW@example.org")
    assert sent and again.pk == first.pk and not send_again
    assert again.invited_by == other_chair
    assert Invitation.objects.count() == 1

    # Asked for three minutes ago: renewed and emailed again.
    Invitation.objects.filter(pk=first.pk).update(
        expires=timezone.now() + invitations._lifetime() - datetime.timedelta(minutes=3)
    )
    renewed, send_renewed = issue(audit, chair)
    assert renewed.pk == first.pk and send_renewed
    assert renewed.expires > timezone.now() + datetime.timedelta(days=13, hours=23)


def test_another_role_or_a_closed_invitation_makes_a_new_one(audit, chair, agency):
    first, _ = issue(audit, chair)
    viewer, _ = issue(audit, chair, role=Role.VIEWER)
    assert viewer.pk != first.pk
    Invitation.objects.filter(pk=first.pk).update(expires=timezone.now())
    assert issue(audit, chair)[0].pk not in (first.pk, viewer.pk)
    withdrawn, _ = issue(audit, chair, email="w@example.org")
    invitation_withdraw(invitation=withdrawn, user=chair)
    assert issue(audit, chair, email="w@example.org")[0].pk != withdrawn.pk
    elsewhere = PartnershipFactory(name="Elsewhere")
    there, _ = invitation_issue(
        email="w@example.org",
        partnership=elsewhere,
        role=Role.QA_MEMBER,
        agency=None,
        invited_by=None,
    )
    assert there.partnership == elsewhere


def test_a_link_finds_its_invitation_and_nothing_else(audit, chair):
    invitation, _ = issue(audit, chair)
    token = token_of(invitation)
    assert invitation_for_token(token) == invitation
    assert invitation_for_token("") is None
    assert invitation_for_token(token + "x") is None
    assert invitation_for_token("x" * 101) is None


def test_a_link_is_looked_up_only_when_it_could_be_one(
    audit, chair, agency, django_assert_num_queries
):
    invitation, _ = issue(audit, chair, role=Role.COORDINATOR, agency=agency)
    token = token_of(invitation)
    with django_assert_num_queries(0):
        assert invitation_for_token("") is None
        assert invitation_for_token("x" * 101) is None
    with django_assert_num_queries(1):
        assert invitation_for_token("x" * 100) is None
    with django_assert_num_queries(1):  # what the accept page shows comes with it
        found = invitation_for_token(token)
        assert (found.partnership, found.agency, found.invited_by) == (
            audit.partnership,
            agency,
            chair,
        )
    renewed = token_of(invitation)
    assert invitation_for_token(token) is None  # an earlier link stops working
    assert invitation_for_token(renewed) == invitation


def test_the_account_of_an_address_is_found_by_email_or_user_name_in_any_case():
    older = UserFactory(username="sam", email="Sam@Example.org")
    UserFactory(username="sam2", email="sam@example.org")
    by_name = UserFactory(username="pat@example.org", email="")
    assert account_for(" SAM@example.org ") == older
    assert account_for("PAT@example.org") == by_name
    assert account_for("nobody@example.org") is None


def test_an_invitation_is_for_the_account_of_its_address(audit, chair):
    invitation, _ = issue(audit, chair, email="Kim@Example.org")
    assert is_for(invitation, UserFactory(username="kim", email="KIM@example.org"))
    assert is_for(invitation, UserFactory(username="KIM@example.org", email=""))
    assert not is_for(invitation, UserFactory(username="other", email="other@example.org"))


def test_accepting_gives_the_role_once_to_the_invited_account_only(audit, chair, agency):
    invitation, _ = issue(
        audit, chair, email="co@example.org", role=Role.COORDINATOR, agency=agency
    )
    stranger = UserFactory(username="stranger", email="stranger@example.org")
    with pytest.raises(ValidationError, match="sent to another email address"):
        invitation_accept(invitation=invitation, user=stranger)
    person = UserFactory(username="co", email="co@example.org")
    membership = invitation_accept(invitation=invitation, user=person)
    assert (membership.user, membership.partnership, membership.role, membership.agency) == (
        person,
        audit.partnership,
        Role.COORDINATOR,
        agency,
    )
    assert invitation_accept(invitation=invitation, user=person) == membership
    invitation.refresh_from_db()
    assert invitation.accepted_by == person and invitation.accepted_at is not None
    assert Membership.objects.filter(user=person).count() == 1

    membership.delete()  # removed since: the spent link gives nothing back
    with pytest.raises(ValidationError, match="expired or has already been used"):
        invitation_accept(invitation=invitation, user=person)
    other = UserFactory(username="co2", email="co@example.org")
    with pytest.raises(ValidationError, match="expired or has already been used"):
        invitation_accept(invitation=invitation, user=other)


def test_a_new_account_takes_the_invited_address_and_role(audit, chair):
    invitation, _ = issue(audit, chair, email="Nia@example.org")
    user = account_create(
        invitation=invitation, first_name="  Nia ", last_name=" Jones  ", password="x-Long-pass-42"
    )
    assert (user.username, user.email, user.first_name, user.last_name) == (
        "nia@example.org",
        "nia@example.org",
        "Nia",
        "Jones",
    )
    assert user.check_password("x-Long-pass-42")
    assert Membership.objects.get(user=user).role == Role.QA_MEMBER
    second, _ = issue(audit, chair, email="nia@example.org", role=Role.VIEWER)
    with pytest.raises(ValidationError, match="already an account"):
        account_create(invitation=second, first_name="N", last_name="J", password="x-Long-pass-42")


def test_open_invitations_are_those_still_waiting_in_the_partnership(audit, chair):
    waiting, _ = issue(audit, chair, email="wait@example.org")
    accepted, _ = issue(audit, chair, email="acc@example.org")
    invitation_accept(invitation=accepted, user=UserFactory(email="acc@example.org"))
    withdrawn, _ = issue(audit, chair, email="gone@example.org")
    invitation_withdraw(invitation=withdrawn, user=chair)
    expired, _ = issue(audit, chair, email="old@example.org")
    Invitation.objects.filter(pk=expired.pk).update(expires=timezone.now())
    invitation_issue(
        email="else@example.org",
        partnership=PartnershipFactory(name="Elsewhere"),
        role=Role.QA_MEMBER,
        agency=None,
        invited_by=None,
    )
    assert open_invitations(audit.partnership_id) == [waiting]


def test_who_may_withdraw_an_invitation(audit, chair, agency):
    administrator = member(audit, Role.PARTNERSHIP_ADMIN)
    qa = member(audit, Role.QA_MEMBER)
    to_audit, _ = issue(audit, chair)
    to_admin, _ = issue(audit, administrator, email="a@example.org", role=Role.PARTNERSHIP_ADMIN)
    assert may_withdraw(chair, to_audit) and not may_withdraw(chair, to_admin)
    assert may_withdraw(administrator, to_audit) and may_withdraw(administrator, to_admin)
    assert not may_withdraw(qa, to_audit)
    assert not may_withdraw(UserFactory(), to_audit)
    with pytest.raises(ValidationError, match="Only whoever could have sent"):
        invitation_withdraw(invitation=to_admin, user=chair)


def test_withdrawing_twice_changes_nothing_and_an_accepted_one_stays(audit, chair):
    invitation, _ = issue(audit, chair)
    first = invitation_withdraw(invitation=invitation, user=chair)
    assert first.withdrawn_by == chair and first.withdrawn_at is not None
    other_chair = member(audit, Role.CHAIR)
    second = invitation_withdraw(invitation=invitation, user=other_chair)
    assert (second.withdrawn_by, second.withdrawn_at) == (chair, first.withdrawn_at)
    accepted, _ = issue(audit, chair, email="acc@example.org")
    invitation_accept(invitation=accepted, user=UserFactory(email="acc@example.org"))
    with pytest.raises(ValidationError, match="nothing to withdraw"):
        invitation_withdraw(invitation=accepted, user=chair)
    accepted.refresh_from_db()
    assert accepted.withdrawn_at is None


def test_a_spent_link_gives_back_only_the_very_role_it_gave(audit, chair, agency):
    """A role removed since accepting is not given back by the link, whatever other roles the
    person, or someone else, holds."""
    police = AgencyFactory(partnership=audit.partnership, name="Police")
    person = UserFactory(username="kim", email="kim@example.org")
    member_elsewhere = Membership.objects.create(
        user=person, partnership=PartnershipFactory(name="Elsewhere"), role=Role.QA_MEMBER
    )
    Membership.objects.create(user=person, partnership=audit.partnership, role=Role.VIEWER)
    Membership.objects.create(
        user=person, partnership=audit.partnership, role=Role.COORDINATOR, agency=police
    )
    member(audit, Role.QA_MEMBER)  # someone else
    member(audit, Role.COORDINATOR, agency=agency)  # someone else
    for role, invited_for in ((Role.QA_MEMBER, None), (Role.COORDINATOR, agency)):
        invitation, _ = issue(audit, chair, email="kim@example.org", role=role, agency=invited_for)
        given = invitation_accept(invitation=invitation, user=person)
        assert (given.role, given.agency) == (role, invited_for)
        given.delete()
        with pytest.raises(ValidationError, match="expired or has already been used"):
            invitation_accept(invitation=invitation, user=person)
    assert Membership.objects.filter(pk=member_elsewhere.pk).exists()


def test_a_link_made_as_the_email_goes_leaves_a_withdrawal_meanwhile_alone(audit, chair):
    invitation, _ = issue(audit, chair)
    as_read_by_the_sender = Invitation.objects.get(pk=invitation.pk)
    invitation_withdraw(invitation=invitation, user=chair)
    token = token_of(as_read_by_the_sender)
    found = invitation_for_token(token)
    assert found.withdrawn_by == chair and not found.is_open()


def test_the_waiting_invitations_come_with_their_agencies(
    audit, chair, agency, django_assert_num_queries
):
    issue(audit, chair, email="a@example.org", role=Role.COORDINATOR, agency=agency)
    issue(audit, chair, email="b@example.org", role=Role.COORDINATOR, agency=agency)
    other_chair = member(audit, Role.CHAIR, username="other-chair")
    issue(audit, other_chair, email="c@example.org", role=Role.COORDINATOR, agency=agency)
    # One for the invitations, one for whether their senders still hold the role to send them.
    with django_assert_num_queries(2):
        assert [i.agency.name for i in open_invitations(audit.partnership_id)] == [
            "Health",
            "Health",
            "Health",
        ]


EXPIRED = (
    "This invitation has expired or has already been used. Ask the person who invited you to "
    "send a new one."
)
ANOTHER_ADDRESS = (
    "This invitation was sent to another email address than your account's. Sign out, then open "
    "the link again and sign in with the account of the address it was sent to (or create one)."
)


def test_a_coordinators_invitation_is_renewed_only_for_the_same_agency_while_open(
    audit, chair, agency
):
    police = AgencyFactory(partnership=audit.partnership, name="Police")
    health, _ = issue(audit, chair, role=Role.COORDINATOR, agency=agency)
    assert issue(audit, chair, role=Role.COORDINATOR, agency=agency)[0].pk == health.pk
    for_police, _ = issue(audit, chair, role=Role.COORDINATOR, agency=police)
    assert for_police.pk != health.pk and for_police.agency == police
    invitation_accept(invitation=health, user=UserFactory(email="new@example.org"))
    with pytest.raises(ValidationError, match="already holds the role Agency co-ordinator"):
        issue(audit, chair, role=Role.COORDINATOR, agency=agency)  # held now: nothing to offer
    Membership.objects.filter(user__email="new@example.org").delete()
    again, _ = issue(audit, chair, role=Role.COORDINATOR, agency=agency)
    assert again.pk not in (health.pk, for_police.pk)
    assert Invitation.objects.filter(agency=agency).count() == 2


def test_an_invitation_accepted_by_one_account_is_spent_for_another_holding_the_role(audit, chair):
    invitation, _ = issue(audit, chair, email="shared@example.org")
    invitation_accept(invitation=invitation, user=UserFactory(email="shared@example.org"))
    already_a_member = member(audit, Role.QA_MEMBER, email="shared@example.org")
    with pytest.raises(ValidationError) as raised:
        invitation_accept(invitation=invitation, user=already_a_member)
    assert raised.value.messages == [EXPIRED]


def test_each_refusal_says_what_to_do(audit, chair):
    invitation, _ = issue(audit, chair, email="named@example.org")
    with pytest.raises(ValidationError) as raised:
        invitation_accept(invitation=invitation, user=UserFactory(email="other@example.org"))
    assert raised.value.messages == [ANOTHER_ADDRESS]
    UserFactory(username="named", email="named@example.org")
    with pytest.raises(ValidationError) as raised:
        account_create(invitation=invitation, first_name="N", last_name="J", password="x-Long-42")
    assert raised.value.messages == [
        "There is already an account with this email address: sign in to accept the invitation."
    ]
    with pytest.raises(ValidationError) as raised:
        invitation_withdraw(invitation=invitation, user=member(audit, Role.QA_MEMBER))
    assert raised.value.messages == [
        "Only whoever could have sent this invitation may withdraw it."
    ]
    Invitation.objects.filter(pk=invitation.pk).update(expires=timezone.now())
    with pytest.raises(ValidationError) as raised:
        invitation_withdraw(invitation=invitation, user=chair)
    assert raised.value.messages == [
        "This invitation has been accepted or has expired: there is nothing to withdraw."
    ]
    with pytest.raises(ValidationError) as raised:
        invitation_accept(invitation=invitation, user=UserFactory(email="named2@example.org"))
    assert raised.value.messages == [EXPIRED]


def test_an_offer_lapses_with_its_inviter_s_own_role(audit, chair, agency):
    """A chair removed (or an account deactivated) before their invitation is accepted can no
    longer give the role through it: a chair about to be removed could otherwise invite an
    address of their own as chair, and accept it once removed."""
    invitation, _ = issue(audit, chair, email="mine@example.org", role=Role.CHAIR)
    Membership.objects.filter(user=chair, partnership=audit.partnership).delete()
    person = UserFactory(username="mine", email="mine@example.org")
    with pytest.raises(ValidationError, match="who invited you can no longer"):
        invitation_accept(invitation=invitation, user=person)
    with pytest.raises(ValidationError, match="who invited you can no longer"):
        account_create(
            invitation=issue(audit, chair, email="new@example.org")[0],
            first_name="N",
            last_name="J",
            password="x-Long-pass-42",
        )
    assert not Membership.objects.filter(partnership=audit.partnership, role=Role.CHAIR).exists()
    assert account_for("new@example.org") is None

    # Renewed by a chair who still is one, it stands.
    other_chair = member(audit, Role.CHAIR, username="other-chair")
    renewed, _ = issue(audit, other_chair, email="mine@example.org", role=Role.CHAIR)
    assert renewed.pk == invitation.pk
    assert invitation_accept(invitation=renewed, user=person).role == Role.CHAIR

    deactivated, _ = issue(audit, other_chair, email="viewer@example.org", role=Role.VIEWER)
    other_chair.is_active = False
    other_chair.save()
    with pytest.raises(ValidationError, match="who invited you can no longer"):
        invitation_accept(
            invitation=deactivated, user=UserFactory(username="v", email="viewer@example.org")
        )


def test_the_members_page_says_which_invitations_lapsed_with_their_sender_s_role(
    client, audit, chair
):
    from django.urls import reverse

    issue(audit, chair, email="mine@example.org", role=Role.QA_MEMBER)
    other_chair = member(audit, Role.CHAIR, username="other-chair")
    issue(audit, other_chair, email="theirs@example.org", role=Role.VIEWER)
    client.force_login(other_chair)
    page = client.get(reverse("audit_members", args=[audit.pk])).content.decode()
    assert "No longer" not in page
    Membership.objects.filter(user=chair, partnership=audit.partnership).delete()
    page = client.get(reverse("audit_members", args=[audit.pk])).content.decode()
    assert (
        "No longer: whoever sent it no longer holds the role that let them. To invite "
        "mine@example.org again, use the form below." in page
    )
    assert page.count("No longer:") == 1  # the other chair's still stands

    issue(audit, other_chair, email="mine@example.org", role=Role.QA_MEMBER)  # invited again
    page = client.get(reverse("audit_members", args=[audit.pk])).content.decode()
    assert "No longer" not in page

    # An administrator's invitation is sent again from the partnership's pages, not this one.
    administrator = member(audit, Role.PARTNERSHIP_ADMIN, username="administrator")
    invitations.invitation_issue(
        email="next@example.org",
        partnership=audit.partnership,
        role=Role.PARTNERSHIP_ADMIN,
        agency=None,
        invited_by=administrator,
    )
    Membership.objects.filter(user=administrator).delete()
    page = client.get(reverse("audit_members", args=[audit.pk])).content.decode()
    assert (
        "To invite next@example.org again, ask one of the partnership's administrators "
        "(under Partnership, People and roles)." in page
    )


def test_an_invitation_from_an_account_since_deleted_does_not_stand_as_the_operator_s(audit):
    administrator = member(audit, Role.PARTNERSHIP_ADMIN, username="administrator")
    other = member(audit, Role.PARTNERSHIP_ADMIN, username="other-administrator")

    def invited(email, by):
        return invitations.invitation_issue(
            email=email,
            partnership=audit.partnership,
            role=Role.PARTNERSHIP_ADMIN,
            agency=None,
            invited_by=by,
        )[0]

    invitation = invited("next@example.org", administrator)
    accepted = invited("taken@example.org", administrator)
    invitation_accept(invitation=accepted, user=UserFactory(email="taken@example.org"))
    others = invited("theirs@example.org", other)
    administrator.delete()
    invitation.refresh_from_db()
    assert invitation.invited_by is None and not invitation.is_open()
    # The other administrator's stands; the accepted one stays accepted, not withdrawn.
    others.refresh_from_db()
    assert others.is_open() and others.withdrawn_at is None
    assert Invitation.objects.get(pk=accepted.pk).withdrawn_at is None
    person = UserFactory(username="next", email="next@example.org")
    with pytest.raises(ValidationError, match="expired or has already been used"):
        invitation_accept(invitation=invitation, user=person)


def test_an_operator_s_invitation_of_a_first_administrator_stands():
    from cases.services.partnership import partnership_administrator_invite

    partnership = PartnershipFactory()
    partnership_administrator_invite(partnership=partnership, email="eve@example.org")
    invitation = Invitation.objects.get(email="eve@example.org")
    person = UserFactory(username="eve", email="eve@example.org")
    assert invitation_accept(invitation=invitation, user=person).role == Role.PARTNERSHIP_ADMIN


def test_the_link_of_an_offer_that_lapsed_says_whom_to_ask_instead(client, audit, chair):
    """Not "ask the person who invited you": they no longer hold the role to invite."""
    import html

    from django.conf import settings

    from maca.invitations import invitation_link_make

    invitation, _ = issue(audit, chair, email="mine@example.org", role=Role.VIEWER)
    link = invitation_link_make(invitation)
    Membership.objects.filter(user=chair, partnership=audit.partnership).delete()
    response = client.get(link.removeprefix(settings.SITE_URL))
    page = html.unescape(response.content.decode())
    assert response.status_code == 404
    assert (
        "The person who invited you can no longer offer this role. Ask the partnership's "
        "administrator, or a chair, to send you a new invitation." in page
    )
    assert "Ask the person who invited you" not in page
