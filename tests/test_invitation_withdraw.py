"""An open invitation can be withdrawn by whoever could have sent it, from the audit's Members
page and the partnership's People page; and an invitation to a role that opens case data, sent
by the partnership's administrator, is told to the partnership's chairs."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import OutgoingEmail
from cases.services import emails
from maca.models import Invitation, Membership

from .conftest import member
from .test_one_press import form_on, press_twice

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def administrator(audit):
    return member(audit, Role.PARTNERSHIP_ADMIN)


def invite_from_members_page(client, chair, audit, capture, email="new@example.org", role=None):
    client.force_login(chair)
    with capture(execute=True):
        client.post(
            reverse("audit_members", args=[audit.pk]),
            {"email": email, "role": role or Role.QA_MEMBER},
        )
    return Invitation.objects.get(email=email)


def invite_from_people_page(client, administrator, audit, capture, email, role, agency=""):
    client.force_login(administrator)
    with capture(execute=True):
        response = client.post(
            reverse("partnership_people", args=[audit.partnership_id]),
            {"email": email, "role": role, "agency": agency},
        )
    assert response.status_code == 302
    return Invitation.objects.get(email=email)


def link_in(message) -> str:
    return re.search(r"https://maca\.example\.org(/invitations/\S+/)", message.body).group(1)


def test_the_chair_withdraws_an_invitation_and_its_link_stops_working(
    client, audit, chair, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://maca.example.org"
    invitation = invite_from_members_page(client, chair, audit, django_capture_on_commit_callbacks)
    members = reverse("audit_members", args=[audit.pk])
    withdraw = reverse("audit_invitation_withdraw", args=[audit.pk, invitation.pk])
    page = client.get(members).content.decode()
    assert f'action="{withdraw}"' in page
    first, second = press_twice(client, members, action=withdraw)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == members
    invitation.refresh_from_db()
    assert invitation.withdrawn_at and invitation.withdrawn_by == chair
    page = client.get(members).content.decode()
    assert "The invitation of new@example.org as QA member was withdrawn" in page
    assert "<td>new@example.org<div" not in page  # no longer waiting
    assert "Invitations not yet accepted" not in page

    client.logout()
    gone = client.get(link_in(mailoutbox[0]))
    assert gone.status_code == 404
    assert "This invitation no longer works" in gone.content.decode()


def test_an_invitation_withdrawn_before_its_email_went_is_not_sent(
    client, audit, chair, settings, mailoutbox, run_worker, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    invitation = invite_from_members_page(client, chair, audit, django_capture_on_commit_callbacks)
    client.post(reverse("audit_invitation_withdraw", args=[audit.pk, invitation.pk]))
    run_worker()
    assert mailoutbox == []
    assert OutgoingEmail.objects.get(invitation=invitation).status == OutgoingEmail.Status.WITHHELD


def test_the_administrator_withdraws_from_the_people_page(
    client, audit, administrator, django_capture_on_commit_callbacks
):
    invitation = invite_from_people_page(
        client,
        administrator,
        audit,
        django_capture_on_commit_callbacks,
        "runs-too@example.org",
        Role.PARTNERSHIP_ADMIN,
    )
    people = reverse("partnership_people", args=[audit.partnership_id])
    withdraw = reverse(
        "partnership_invitation_withdraw", args=[audit.partnership_id, invitation.pk]
    )
    assert f'action="{withdraw}"' in client.get(people).content.decode()
    assert client.post(withdraw)["Location"] == people
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is not None and not invitation.is_open()


def test_only_whoever_could_have_sent_it_may_withdraw_it(
    client, audit, chair, administrator, outsider, django_capture_on_commit_callbacks
):
    # The administrator's role is given on the People page only: a chair cannot withdraw it.
    runs = invite_from_people_page(
        client,
        administrator,
        audit,
        django_capture_on_commit_callbacks,
        "runs@example.org",
        Role.PARTNERSHIP_ADMIN,
    )
    client.force_login(chair)
    members = client.get(reverse("audit_members", args=[audit.pk])).content.decode()
    assert "runs@example.org" in members
    assert reverse("audit_invitation_withdraw", args=[audit.pk, runs.pk]) not in members
    refused = client.post(reverse("audit_invitation_withdraw", args=[audit.pk, runs.pk]))
    assert refused.status_code == 404
    qa = invite_from_members_page(client, chair, audit, django_capture_on_commit_callbacks)
    for who, expected in ((member(audit, Role.QA_MEMBER), 403), (outsider, 404)):
        client.force_login(who)
        url = reverse("audit_invitation_withdraw", args=[audit.pk, qa.pk])
        assert client.post(url).status_code == expected
        url = reverse("partnership_invitation_withdraw", args=[audit.partnership_id, qa.pk])
        assert client.post(url).status_code in (403, 404)
    assert Invitation.objects.filter(withdrawn_at__isnull=False).count() == 0


def test_an_accepted_invitation_cannot_be_withdrawn(
    client, audit, chair, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    invitation = invite_from_members_page(client, chair, audit, django_capture_on_commit_callbacks)
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    response = client.post(
        reverse("audit_invitation_withdraw", args=[audit.pk, invitation.pk]), follow=True
    )
    assert "has been accepted or has expired: there is nothing to withdraw" in (
        response.content.decode()
    )
    invitation.refresh_from_db()
    assert invitation.withdrawn_at is None


def test_a_withdrawn_invitation_does_not_stop_the_same_address_being_invited_again(
    client, audit, chair, django_capture_on_commit_callbacks
):
    first = invite_from_members_page(client, chair, audit, django_capture_on_commit_callbacks)
    client.post(reverse("audit_invitation_withdraw", args=[audit.pk, first.pk]))
    client.force_login(chair)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("audit_members", args=[audit.pk]),
            {"email": "new@example.org", "role": Role.QA_MEMBER},
        )
    again = Invitation.objects.exclude(pk=first.pk).get(email="new@example.org")
    assert again.is_open()


def test_the_invite_form_is_the_same_on_both_pages(client, audit, chair, administrator):
    client.force_login(chair)
    members = form_on(client, reverse("audit_members", args=[audit.pk]))
    client.force_login(administrator)
    people = form_on(client, reverse("partnership_people", args=[audit.partnership_id]))
    assert {"email", "role", "agency", "form_token"} <= set(members) & set(people)


# Chairs are told of a grant of case data ------------------------------------------------------


@pytest.mark.parametrize(
    "role, told", [(Role.QA_MEMBER, True), (Role.CHAIR, True), (Role.COORDINATOR, True),
                   (Role.VIEWER, False), (Role.PARTNERSHIP_ADMIN, False)],
)  # fmt: skip
def test_the_chairs_are_told_when_the_administrator_invites_to_a_role_opening_case_data(
    client, audit, chair, administrator, mailoutbox, django_capture_on_commit_callbacks, role, told
):
    from .factories import AgencyFactory

    agency = AgencyFactory(name="Police", partnership=audit.partnership)
    other_chair = member(audit, Role.CHAIR)
    invite_from_people_page(
        client,
        administrator,
        audit,
        django_capture_on_commit_callbacks,
        "granted@example.org",
        role,
        agency.pk if role == Role.COORDINATOR else "",
    )
    notices = [m for m in mailoutbox if "granted@example.org" not in m.to]
    if not told:
        assert notices == []
        return
    assert sorted(m.to[0] for m in notices) == sorted([chair.email, other_chair.email])
    role_name = Membership.Role(role).label
    assert notices[0].subject == (
        f"granted@example.org is invited as {role_name} of {audit.partnership.name} in MACA"
    )
    assert "granted@example.org" in notices[0].body and role_name in notices[0].body


@pytest.mark.parametrize("role, told", [(Role.CHAIR, True), (Role.QA_MEMBER, False)])
def test_the_other_chairs_are_told_when_a_chair_invites_a_chair(
    client, audit, chair, mailoutbox, django_capture_on_commit_callbacks, role, told
):
    other_chair = member(audit, Role.CHAIR)
    invite_from_members_page(
        client, chair, audit, django_capture_on_commit_callbacks, "granted@example.org", role
    )
    notices = [m for m in mailoutbox if "granted@example.org" not in m.to]
    if not told:
        assert notices == []
        return
    assert [m.to[0] for m in notices] == [other_chair.email]  # not the chair who invited
    assert notices[0].subject == (
        f"granted@example.org is invited as Chair of {audit.partnership.name} in MACA"
    )
    assert chair.get_full_name() in notices[0].body or chair.username in notices[0].body


def test_a_notice_goes_once_and_only_to_someone_still_chairing_when_it_is_sent(
    client, audit, chair, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    invite_from_people_page(
        client,
        administrator,
        audit,
        django_capture_on_commit_callbacks,
        "granted@example.org",
        Role.QA_MEMBER,
    )
    notice = OutgoingEmail.objects.get(recipient=chair)
    assert notice.partnership == audit.partnership
    sent = len(mailoutbox)
    # Asked again (a renewal): the chair is not told twice.
    invite_from_people_page(
        client,
        administrator,
        audit,
        django_capture_on_commit_callbacks,
        "granted@example.org",
        Role.QA_MEMBER,
    )
    assert OutgoingEmail.objects.filter(recipient=chair).count() == 1
    assert len([m for m in mailoutbox[sent:] if m.to == [chair.email]]) == 0

    later = emails.email_queue(
        key="grant-notice:test",
        recipient=chair,
        partnership=audit.partnership,
        subject="S",
        body="B",
    )
    chair.memberships.update(role=Role.QA_MEMBER)  # no longer chairs when it is sent
    assert emails.queued_email_send(email_id=later.pk) == OutgoingEmail.Status.WITHHELD


def test_each_withdraw_button_on_the_members_page_withdraws_its_own_rows_invitation(
    client, audit, chair
):
    """Newest first: a QA member's invitation, then an administrator's older one, which a chair
    may not withdraw: its row has no button, not the row above's."""
    administrators = Invitation.objects.create(
        email="admin@example.org",
        partnership=audit.partnership,
        role=Role.PARTNERSHIP_ADMIN,
        token_hash="a" * 64,
        expires=timezone.now() + datetime.timedelta(days=14),
    )
    qa = Invitation.objects.create(
        email="qa@example.org",
        partnership=audit.partnership,
        role=Role.QA_MEMBER,
        token_hash="b" * 64,
        expires=timezone.now() + datetime.timedelta(days=14),
    )
    client.force_login(chair)
    page = client.get(reverse("audit_members", args=[audit.pk])).content.decode()
    withdraw = reverse("audit_invitation_withdraw", args=[audit.pk, qa.pk])
    pattern = re.escape(withdraw).replace(str(qa.pk), r"\d+")
    assert re.findall(f'action="({pattern})"', page) == [withdraw]
    assert 'Withdraw<span class="visually-hidden"> the invitation of admin@' not in page
    assert administrators.email in page
