"""Setting an audit up: creating and editing it, its members and their invitations."""

import datetime
import re
from http.cookies import SimpleCookie

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.forms.setup import AuditForm
from cases.models import Audit, Theme, ToolQuestion
from maca.concurrency import version_of
from maca.models import Agency, Membership, User
from maca.once import FIELD

from .conftest import member
from .factories import PASSWORD, AgencyFactory, AuditFactory, ThemeFactory, UserFactory
from .test_chronology_files import plain
from .test_one_press import FormReader, form_on

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture
def housing(audit):
    agency = AgencyFactory(name="Housing Trust", partnership=audit.partnership)
    audit.agencies.add(agency)
    return agency


@pytest.fixture
def people(audit, housing):
    """One user per role, keyed by role name, plus the outsider."""
    return {
        "chair": member(audit, Role.CHAIR),
        "qa_member": member(audit, Role.QA_MEMBER),
        "coordinator": member(audit, Role.COORDINATOR, agency=housing),
        "viewer": member(audit, Role.VIEWER),
    }


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


IN_A_MONTH = timezone.localdate() + datetime.timedelta(days=30)


def audit_data(**overrides):
    data = {
        "theme": "",
        "new_theme_name": "Exploitation",
        "new_theme_description": "Children at risk outside the home.",
        "title": "Multi Agency Case Audit",
        "new_agencies": "",
        "new_agency_sector": "other",
        "submission_deadline": str(IN_A_MONTH),
        "meeting_date": str(IN_A_MONTH + datetime.timedelta(days=21)),
        "protective_marking": "OFFICIAL-SENSITIVE",
        "target_case_count": "6",
    }
    data.update(overrides)
    return data


# Creating an audit ---------------------------------------------------------------------------


def test_only_chairs_may_start_an_audit(client, audit, people, outsider):
    url = reverse("audit_create")
    for role in ("qa_member", "coordinator", "viewer"):
        client.force_login(people[role])
        assert client.get(url).status_code == 404, role
    client.force_login(people["chair"])
    assert client.get(url).status_code == 200
    client.force_login(outsider)  # a chair of another partnership, for their own
    assert client.get(url).status_code == 200


def test_a_chair_of_two_partnerships_chooses_which_runs_the_new_audit(client, audit, chair):
    from .factories import MembershipFactory

    second = AuditFactory().partnership
    MembershipFactory(user=chair, partnership=second, role=Role.CHAIR)
    client.force_login(chair)
    page = client.get(reverse("audit_create")).content.decode()
    assert '<option value="" selected>Choose the partnership running this audit</option>' in page
    response = client.post(reverse("audit_create"), audit_data(new_agencies="Family Hub"))
    said = plain(response)
    assert "Choose an option for “Partnership”." in said
    assert "Children at risk outside the home." in response.content.decode()  # kept
    assert Audit.objects.count() == 2
    client.post(reverse("audit_create"), audit_data(partnership=second.pk, new_agencies="Hub"))
    created = Audit.objects.latest("pk")
    assert created.partnership == second and created.agencies.get().partnership == second


def test_creating_an_audit_makes_a_draft_with_the_default_tool(client, audit, chair):
    police = AgencyFactory(name="City Police", partnership=audit.partnership)
    client.force_login(chair)
    page = client.get(reverse("audit_create")).content.decode()
    assert 'value="Multi Agency Case Audit"' in page
    assert 'value="OFFICIAL-SENSITIVE"' in page
    assert 'type="hidden" name="partnership"' in page  # they chair one partnership only

    response = client.post(
        reverse("audit_create"),
        audit_data(
            partnership=audit.partnership.pk,
            agencies=[police.pk],
            new_agencies="Northtown Academy, Education\nFamily Support Service",
            new_agency_sector="voluntary",
        ),
    )
    created = Audit.objects.exclude(pk=audit.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("audit_detail", args=[created.pk])
    assert created.status == Audit.Status.DRAFT
    assert created.partnership == audit.partnership
    assert created.theme.name == "Exploitation"
    assert created.theme.description == "Children at risk outside the home."
    assert created.meeting_date == IN_A_MONTH + datetime.timedelta(days=21)
    assert ToolQuestion.objects.filter(section__audit=created).exists()
    assert {a.name for a in created.agencies.all()} == {
        "City Police",
        "Northtown Academy",
        "Family Support Service",
    }
    assert Agency.objects.get(name="Northtown Academy").sector == "education"
    assert Agency.objects.get(name="Family Support Service").sector == "voluntary"


def test_an_existing_theme_can_be_chosen_but_not_retyped(client, audit, chair):
    client.force_login(chair)
    data = audit_data(partnership=audit.partnership.pk, new_theme_name="neglect AND housing")
    response = client.post(reverse("audit_create"), data)
    assert response.status_code == 200
    assert "already has a theme called" in response.content.decode()
    assert 'value="neglect AND housing"' in response.content.decode()  # nothing typed is lost

    data = audit_data(partnership=audit.partnership.pk, theme=audit.theme.pk, new_theme_name="")
    response = client.post(reverse("audit_create"), data)
    assert response.status_code == 302
    assert Audit.objects.filter(theme=audit.theme).count() == 2


def test_a_date_more_than_five_years_ahead_is_refused_as_a_slip_of_the_year(client, audit, chair):
    client.force_login(chair)
    data = audit_data(
        partnership=audit.partnership.pk,
        submission_deadline="9999-12-31",
        meeting_date="9999-12-31",
    )
    response = client.post(reverse("audit_create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["submission_deadline"] == ["This is more than 5 years ahead: check the year."]
    assert errors["meeting_date"] == ["This is more than 5 years ahead: check the year."]
    assert not Audit.objects.exclude(pk=audit.pk).exists()


def test_an_audit_without_a_protective_marking_is_refused_next_to_it(client, audit, chair):
    client.force_login(chair)
    data = audit_data(partnership=audit.partnership.pk, protective_marking="  ")
    response = client.post(reverse("audit_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["protective_marking"] == [
        "Enter the protective marking printed on every page, for example OFFICIAL-SENSITIVE or "
        "OFFICIAL."
    ]
    assert "Children at risk outside the home." in response.content.decode()  # kept as typed
    assert not Audit.objects.exclude(pk=audit.pk).exists()


def test_a_line_break_in_a_one_line_name_is_refused_next_to_it(client, audit, chair):
    client.force_login(chair)
    typed = "Exploitation\r\nBcc: someone@example.org"
    data = audit_data(partnership=audit.partnership.pk, new_theme_name=typed)
    response = client.post(reverse("audit_create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["new_theme_name"] == [
        "This fits on one line: take out the line break."
    ]
    assert "Children at risk outside the home." in response.content.decode()  # kept as typed
    assert not Audit.objects.exclude(pk=audit.pk).exists()
    data = audit_data(partnership=audit.partnership.pk, new_theme_name="Exploitation\n")
    assert client.post(reverse("audit_create"), data).status_code == 302  # only at the end


def test_a_chair_cannot_use_another_partnerships_theme_or_partnership(client, audit, chair):
    other_theme = ThemeFactory(name="Elsewhere")
    client.force_login(chair)
    response = client.post(
        reverse("audit_create"),
        audit_data(partnership=other_theme.partnership.pk, theme=other_theme.pk, new_theme_name=""),
    )
    assert response.status_code == 200
    assert Audit.objects.count() == 1


def test_creating_needs_a_theme_and_a_sensible_meeting_date(client, audit, chair):
    client.force_login(chair)
    response = client.post(
        reverse("audit_create"),
        audit_data(
            partnership=audit.partnership.pk,
            new_theme_name="",
            meeting_date="2026-10-01",
            target_case_count="abc",
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "<title>Error: " in page  # a screen reader says so first
    assert "Choose a theme" in page
    assert "The meeting must be on or after the submission deadline." in page
    assert "Enter a whole number, such as 6." in page
    assert Audit.objects.count() == 1
    none = client.post(
        reverse("audit_create"),
        audit_data(partnership=audit.partnership.pk, target_case_count="0"),
    )
    assert "Select at least one case." in none.content.decode()


def test_the_error_summary_lists_the_problems_in_the_order_of_the_form(client, audit, chair):
    """Read from the top, the summary's links go down the form, as a keyboard user goes through
    them: never from the agencies at its foot back up to the meeting date."""
    client.force_login(chair)
    page = client.post(
        reverse("audit_create"),
        audit_data(
            partnership=audit.partnership.pk,
            new_theme_name="",
            meeting_date=str(IN_A_MONTH - datetime.timedelta(days=1)),
            new_agencies="A" * 201,
        ),
    ).content.decode()
    summary, form = page.split('id="error-summary"')[1].split("</div>", 1)
    linked = re.findall(r'href="#(id_[a-z_]+)"', summary)
    assert linked == ["id_theme", "id_meeting_date", "id_new_agencies"]
    on_the_page = sorted(linked, key=lambda field: form.index(f'id="{field}"'))
    assert linked == on_the_page


def test_editing_the_audit_is_for_the_chair(client, audit, people, outsider):
    url = reverse("audit_edit", args=[audit.pk])
    expected = {"chair": 200, "qa_member": 403, "coordinator": 403, "viewer": 404}
    for role, status in expected.items():
        client.force_login(people[role])
        assert client.get(url).status_code == status, role
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_editing_saves_details_and_agencies(client, audit, people, housing):
    client.force_login(people["chair"])
    page = client.get(reverse("audit_edit", args=[audit.pk])).content.decode()
    assert "Neglect and housing" in page
    response = client.post(
        reverse("audit_edit", args=[audit.pk]),
        audit_data(
            theme=audit.theme.pk,
            new_theme_name="",
            title="Spring audit",
            new_agencies="Youth Offending Service, youth justice",
            target_case_count="4",
            loaded_version=version_of(audit),
        ),
    )
    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.title == "Spring audit"
    assert audit.target_case_count == 4
    assert [a.name for a in audit.agencies.all()] == ["Youth Offending Service"]
    assert Theme.objects.filter(partnership=audit.partnership).count() == 1


# Members -------------------------------------------------------------------------------------


def test_members_page_is_for_the_chair(client, audit, people, outsider):
    url = reverse("audit_members", args=[audit.pk])
    expected = {"chair": 200, "qa_member": 403, "coordinator": 403, "viewer": 404}
    for role, status in expected.items():
        client.force_login(people[role])
        assert client.get(url).status_code == status, role
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_members_page_lists_the_audits_people(client, audit, people, housing):
    other_agency = AgencyFactory(name="Not Taking Part")
    member(audit, Role.COORDINATOR, agency=other_agency, first_name="Absent", last_name="Person")
    client.force_login(people["chair"])
    page = client.get(reverse("audit_members", args=[audit.pk])).content.decode()
    for role in ("Chair", "QA member", "Agency co-ordinator", "Viewer"):
        assert role in page
    assert "Housing Trust" in page
    assert people["qa_member"].email in page
    assert "Absent" not in page
    # The agency list's empty choice says what it means, not "---------".
    empty = re.search(r'<select name="agency"[^>]*>\s*<option value=""[^>]*>([^<]*)<', page)[1]
    assert empty == "No agency: only an agency co-ordinator has one"
    assert "---------" not in page


def invite(client, chair, audit, capture, **data):
    client.force_login(chair)
    with capture(execute=True):
        return client.post(
            reverse("audit_members", args=[audit.pk]), {"role": Role.QA_MEMBER, **data}
        )


def accept_link(message) -> str:
    return re.search(r"https://maca\.example\.org(/invitations/\S+/)", message.body).group(1)


def test_a_new_person_is_invited_and_creates_their_account_on_accepting(
    client, audit, chair, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://maca.example.org"
    response = invite(
        client, chair, audit, django_capture_on_commit_callbacks, email="New.Person@Example.org"
    )
    assert response.status_code == 302
    assert texts(response) == [
        "An invitation to join as QA member was emailed to new.person@example.org. They become "
        "a member when they accept it."
    ]
    assert not User.objects.filter(email="new.person@example.org").exists()  # not until accepted
    assert "new.person@example.org" in client.get(response.url).content.decode()  # waiting
    assert [message.to for message in mailoutbox] == [["new.person@example.org"]]
    link = accept_link(mailoutbox[0])

    client.logout()
    page = client.get(link)
    assert "Create your account" in page.content.decode()
    short = client.post(
        link, {"first_name": "Nia", "last_name": "Person", "password1": "a", "password2": "a"}
    )
    assert (
        short.status_code == 422
        and not User.objects.filter(username__iexact="new.person@example.org").exists()
    )
    password = "a-long-new-pass-4521"
    done = client.post(
        link,
        {"first_name": "Nia", "last_name": "Person", "password1": password, "password2": password},
    )
    assert done.status_code == 302
    user = User.objects.get(email="new.person@example.org")
    assert user.username == "new.person@example.org" and user.get_full_name() == "Nia Person"
    assert Membership.objects.filter(user=user, role=Role.QA_MEMBER).count() == 1
    assert "You are now QA member" in " ".join(texts(done))
    # The link has done its work: it no longer works, for anyone.
    client.logout()
    assert client.get(link).status_code == 404
    signed_in = client.post(
        reverse("login"), {"username": "new.person@example.org", "password": password}
    )
    assert signed_in.status_code == 302


@pytest.fixture
def invited(client, audit, chair, mailoutbox, settings, django_capture_on_commit_callbacks):
    """The accept link emailed to new@example.org, opened signed out."""
    settings.SITE_URL = "https://maca.example.org"
    invite(client, chair, audit, django_capture_on_commit_callbacks, email="new@example.org")
    client.logout()
    return accept_link(mailoutbox[0])


NEW_PASSWORD = "a-long-new-pass-4521"


def account_form(client, link) -> dict:
    fields = form_on(client, link)
    assert fields.get(FIELD), "the form carries no one-time token"
    names = {"first_name": "Nia", "last_name": "Person"}
    return {**fields, **names, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}


def sign_in_fields(response, page) -> dict:
    reader = FormReader(reverse("login"), page)
    reader.feed(response.content.decode())
    return {name: values[0] for name, values in reader.fields.items()}


def signed_in_user(client):
    return User.objects.filter(pk=client.session.get("_auth_user_id")).first()


def test_creating_the_account_says_so_once_even_when_the_button_is_pressed_twice(
    client, audit, invited
):
    form = account_form(client, invited)
    first = client.post(invited, form)
    second = client.post(invited, form)  # sent once the first's answer had signed it in
    assert first["Location"] == second["Location"] == reverse("home")
    landed = client.get(second["Location"]).content.decode()
    assert landed.count(f"You are now QA member in {audit.partnership.name}.") == 1
    assert Membership.objects.filter(user__email="new@example.org").count() == 1


def test_a_second_press_sent_before_the_first_signed_in_says_the_account_was_made(
    client, audit, invited
):
    form = account_form(client, invited)
    before = SimpleCookie(client.cookies)
    assert client.post(invited, form)["Location"] == reverse("home")
    client.cookies = before  # the first answer's session had not arrived
    second = client.post(invited, form)
    page = second.content.decode()
    assert second.status_code == 200 and "Your account was created" in page
    assert f"You are now QA member in {audit.partnership.name}." in page
    assert "no longer works" not in page and "already an account" not in page
    assert signed_in_user(client) is None  # the repeat signs nobody in
    fields = sign_in_fields(second, invited)
    assert fields["username"] == "new@example.org"
    landed = client.post(reverse("login"), {**fields, "password": NEW_PASSWORD})
    assert landed["Location"] == reverse("home")
    assert signed_in_user(client).email == "new@example.org"
    assert User.objects.filter(email="new@example.org").count() == 1


def test_the_account_page_signs_in_a_browser_the_first_answer_reached_meanwhile(
    client, audit, invited
):
    form = account_form(client, invited)
    before = SimpleCookie(client.cookies)
    client.post(invited, form)
    signed_in = SimpleCookie(client.cookies)
    client.cookies = before
    page = client.post(invited, form)
    client.cookies = signed_in
    client.cookies.update(page.cookies)  # the second answer came after the first
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = client.cookies
    sign_in = browser.post(reverse("login"), sign_in_fields(page, invited))
    assert sign_in["Location"] == reverse("home")  # signed in already: straight on


def test_the_same_press_from_another_browser_gets_no_account_and_no_session(client, audit, invited):
    form = account_form(client, invited)
    client.post(invited, form)
    elsewhere = Client()
    elsewhere.get(reverse("login"))  # a browser of its own, with its own cookies
    replayed = elsewhere.post(invited, form)
    assert replayed.status_code == 404 and "no longer works" in replayed.content.decode()
    assert signed_in_user(elsewhere) is None


def test_the_same_press_sent_to_another_invitations_link_tells_nothing_of_it(
    client, audit, chair, invited, mailoutbox, django_capture_on_commit_callbacks
):
    theirs = Client()
    invite(theirs, chair, audit, django_capture_on_commit_callbacks, email="other@example.org")
    their_link = accept_link(mailoutbox[-1])
    theirs.logout()
    theirs.post(their_link, account_form(theirs, their_link))
    form = account_form(client, invited)
    before = SimpleCookie(client.cookies)
    client.post(invited, form)
    client.cookies = before  # the same browser, as it was before its first press
    replayed = client.post(their_link, form)
    page = replayed.content.decode()
    assert replayed.status_code == 404 and "no longer works" in page
    assert "other@example.org" not in page and "Your account was created" not in page
    assert signed_in_user(client) is None


def test_accepting_signed_in_says_so_once_even_when_the_button_is_pressed_twice(
    client, audit, invited
):
    person = UserFactory(email="new@example.org")
    client.force_login(person)
    other_tab = Client()
    other_tab.force_login(person)  # the first answer never reached this one
    form = form_on(client, invited)
    assert form.get(FIELD), "the form carries no one-time token"
    first = client.post(invited, form)
    second = other_tab.post(invited, form)
    assert first["Location"] == second["Location"] == reverse("home")
    for landed in (client.get(reverse("home")), other_tab.get(reverse("home"))):
        text = f"You are now QA member in {audit.partnership.name}."
        assert landed.content.decode().count(text) == 1
    assert Membership.objects.filter(user=person).count() == 1


def test_an_address_with_an_account_elsewhere_is_treated_as_any_other(
    client, audit, chair, outsider, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """The page answers the same whether or not the address has an account, shows no other
    account's name, and attaches no one: the person accepts, or nothing happens."""
    settings.SITE_URL = "https://maca.example.org"
    outsider.first_name, outsider.last_name = "Pat", "TwoChair"
    outsider.email = "pat@example.org"
    outsider.save()
    known = invite(
        client, chair, audit, django_capture_on_commit_callbacks, email="pat@example.org"
    )
    said_for_known = texts(known)
    client.get(known.url)  # the message is shown, and gone
    unknown = invite(
        client, chair, audit, django_capture_on_commit_callbacks, email="nobody@example.org"
    )
    assert [t.replace("pat@", "X@") for t in said_for_known] == [
        t.replace("nobody@", "X@") for t in texts(unknown)
    ]
    page = client.get(reverse("audit_members", args=[audit.pk])).content.decode()
    assert "TwoChair" not in page and "Pat" not in page
    assert Membership.objects.filter(user=outsider, partnership=audit.partnership).count() == 0
    assert sorted(m.to[0] for m in mailoutbox) == ["nobody@example.org", "pat@example.org"]
    sent = next(m for m in mailoutbox if m.to == ["pat@example.org"])
    assert "TwoChair" not in sent.body

    # Pat signs in from the link and accepts: only then are they a member.
    link = accept_link(sent)
    client.logout()
    assert "Sign in to accept" in client.get(link).content.decode()
    client.force_login(outsider)
    assert client.post(link).status_code == 302
    assert Membership.objects.filter(user=outsider, partnership=audit.partnership).count() == 1


def test_only_the_account_of_the_invited_address_may_accept(
    client, audit, chair, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://maca.example.org"
    invite(client, chair, audit, django_capture_on_commit_callbacks, email="invited@example.org")
    link = accept_link(mailoutbox[0])
    someone = UserFactory(email="someone.else@example.org")
    client.force_login(someone)
    assert "sent to another email address" in client.get(link).content.decode()
    client.post(link)
    assert not Membership.objects.filter(user=someone).exists()


def test_signing_out_of_the_wrong_account_comes_back_to_the_invitation(
    client, audit, chair, mailoutbox, settings, django_capture_on_commit_callbacks
):
    """Someone in two partnerships, signed in with one address, opens an invitation sent to
    their other one: signing out brings the invitation back, ready to sign in and accept."""
    settings.SITE_URL = "https://maca.example.org"
    invite(client, chair, audit, django_capture_on_commit_callbacks, email="invited@example.org")
    link = accept_link(mailoutbox[0])
    client.force_login(UserFactory(email="someone.else@example.org"))
    page = client.get(link).content.decode()
    path = link.removeprefix("https://maca.example.org")
    assert f'<input type="hidden" name="next" value="{path}">' in page
    response = client.post(reverse("logout"), {"next": path})
    assert response.status_code == 302 and response["Location"] == path
    assert "Create my account and accept" in client.get(path).content.decode()  # signed out


def test_a_member_removed_after_accepting_cannot_accept_again(
    client, audit, chair, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://maca.example.org"
    invite(client, chair, audit, django_capture_on_commit_callbacks, email="was.here@example.org")
    link = accept_link(mailoutbox[0])
    person = UserFactory(email="was.here@example.org")
    client.force_login(person)
    client.post(link)
    assert Membership.objects.filter(user=person).count() == 1
    # Opened again: it says it was accepted, and offers nothing to press.
    page = plain(client.get(link))
    assert "You accepted this invitation on" in page and "You hold that role" in page
    assert "Accept the invitation" not in page
    Membership.objects.filter(user=person).delete()  # the chair removed them
    page = plain(client.get(link))
    assert "That role has since ended, and the link cannot give it back" in page
    assert "Accept the invitation" not in page
    client.post(link)  # the old email's link, pressed again
    assert not Membership.objects.filter(user=person).exists()


def test_an_expired_invitation_does_not_work(
    client, audit, chair, mailoutbox, settings, django_capture_on_commit_callbacks
):
    from maca.models import Invitation

    settings.SITE_URL = "https://maca.example.org"
    invite(client, chair, audit, django_capture_on_commit_callbacks, email="late@example.org")
    Invitation.objects.update(expires=timezone.now() - datetime.timedelta(minutes=1))
    client.logout()
    page = client.get(accept_link(mailoutbox[0]))
    assert page.status_code == 404 and "This invitation no longer works" in page.content.decode()
    assert client.get("/invitations/not-a-token/").status_code == 404


def test_a_second_press_sends_one_invitation(
    client, audit, chair, mailoutbox, django_capture_on_commit_callbacks
):
    for _ in range(2):
        invite(client, chair, audit, django_capture_on_commit_callbacks, email="twice@example.org")
    assert len(mailoutbox) == 1
    page = client.get(reverse("audit_members", args=[audit.pk])).content.decode()
    assert page.count("<td>twice@example.org<div") == 1


def test_a_coordinator_needs_an_agency_taking_part(client, audit, chair, housing):
    from maca.models import Invitation

    other = AgencyFactory(name="Elsewhere Agency", partnership=audit.partnership)
    client.force_login(chair)
    url = reverse("audit_members", args=[audit.pk])
    data = {"email": "coord@example.org", "role": Role.COORDINATOR}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Choose the agency this co-ordinator speaks for" in response.content.decode()
    assert 'value="coord@example.org"' in response.content.decode()
    response = client.post(url, {**data, "agency": other.pk})
    assert response.status_code == 200
    assert not Invitation.objects.exists()
    response = client.post(url, {**data, "agency": housing.pk})
    assert response.status_code == 302
    assert Invitation.objects.get(email="coord@example.org").agency == housing


def test_removing_a_member_asks_first_then_removes(client, audit, people):
    qa = Membership.objects.get(user=people["qa_member"])
    url = reverse("audit_member_remove", args=[audit.pk, qa.pk])
    client.force_login(people["qa_member"])
    assert client.post(url).status_code == 403
    client.force_login(people["chair"])
    page = client.get(url).content.decode()
    assert "every audit of the partnership" in page
    assert Membership.objects.filter(pk=qa.pk).exists()
    assert client.post(url).status_code == 302
    assert not Membership.objects.filter(pk=qa.pk).exists()


def test_a_chair_cannot_remove_their_own_chair_role(client, audit, people):
    mine = Membership.objects.get(user=people["chair"])
    client.force_login(people["chair"])
    url = reverse("audit_member_remove", args=[audit.pk, mine.pk])
    assert "You cannot remove your own chair role" in client.get(url).content.decode()
    response = client.post(url)
    assert any("You cannot remove your own chair role" in text for text in texts(response))
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_memberships_of_other_partnerships_cannot_be_removed(client, audit, chair, outsider):
    theirs = Membership.objects.get(user=outsider)
    client.force_login(chair)
    url = reverse("audit_member_remove", args=[audit.pk, theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=theirs.pk).exists()


# Signing in and passwords --------------------------------------------------------------------


def test_login_page_links_to_forgotten_password(client):
    page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in page
    assert "Forgotten your password?" in page


def test_password_reset_does_not_reveal_whether_an_account_exists(client, mailoutbox):
    UserFactory(email="real@example.org")
    known = client.post(reverse("password_reset"), {"email": "real@example.org"}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert "Check your email" in known.content.decode()
    assert len(mailoutbox) == 1
    assert "/password/set/" in mailoutbox[0].body
    assert mailoutbox[0].subject == "Set a new password for MACA"


def test_a_used_or_broken_set_password_link_says_so(client):
    page = client.get("/password/set/MQ/not-a-token/").content.decode()
    assert "This link no longer works" in page


def test_signing_in_still_works(client):
    UserFactory(username="someone")
    response = client.post(reverse("login"), {"username": "someone", "password": PASSWORD})
    assert response.status_code == 302


def test_members_page_runs_a_constant_number_of_queries(client, audit, people, housing):
    client.force_login(people["chair"])
    url = reverse("audit_members", args=[audit.pk])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(9):
        member(audit, Role.QA_MEMBER)
        member(audit, Role.COORDINATOR, agency=housing)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(few) == len(many)


def test_a_deadline_already_gone_by_is_refused_as_it_is_set(client, audit, people):
    client.force_login(people["chair"])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(
        reverse("audit_create"), audit_data(submission_deadline=str(yesterday), meeting_date="")
    )
    page = response.content.decode()
    assert "This date has passed" in page
    assert not Audit.objects.filter(theme__name="Exploitation").exists()
    # An audit whose deadline has passed keeps it when its other details are edited.
    audit.submission_deadline = yesterday
    audit.save()
    form = AuditForm(
        data=audit_data(
            theme=audit.theme_id,
            new_theme_name="",
            new_theme_description="",
            submission_deadline=str(yesterday),
            meeting_date="",
            title="A new title",
        ),
        audit=audit,
    )
    assert "submission_deadline" not in form.errors


def test_password_reset_emails_an_account_once_in_a_while_however_often_asked(
    client, mailoutbox, settings
):
    """Anyone may ask, for any address: asked again and again, the account's owner is emailed
    one link (which works) rather than flooded, and the page answers the same each time."""
    UserFactory(email="real@example.org")
    UserFactory(email="other@example.org")
    pages = [
        client.post(reverse("password_reset"), {"email": "real@example.org"}, follow=True)
        for _ in range(5)
    ]
    assert {page.content for page in pages} == {pages[0].content}
    assert [email.to for email in mailoutbox] == [["real@example.org"]]
    client.post(reverse("password_reset"), {"email": "other@example.org"})
    assert [email.to for email in mailoutbox] == [["real@example.org"], ["other@example.org"]]


def test_the_password_reset_link_leads_to_the_site_whatever_address_it_was_asked_at(
    client, mailoutbox, settings
):
    """The emailed link carries a working token: it leads to SITE_URL, never to the name, port
    or scheme of the request (a port is not checked against ALLOWED_HOSTS), which whoever asks
    for the link chooses."""
    settings.SITE_URL = "https://maca.example.org"
    UserFactory(email="real@example.org")
    for host in ("testserver:31337", "localhost"):
        client.post(reverse("password_reset"), {"email": "real@example.org"}, HTTP_HOST=host)
        cache.clear()  # the next one is emailed too
    assert len(mailoutbox) == 2
    for email in mailoutbox:
        [link] = [line for line in email.body.splitlines() if "/password/set/" in line]
        assert link.startswith("https://maca.example.org/password/set/")


def test_an_address_a_typed_user_name_could_not_be_makes_its_account(
    client, audit, chair, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://maca.example.org"
    address = "nia.o'brien@example.org"
    invite(client, chair, audit, django_capture_on_commit_callbacks, email=address)
    client.logout()
    link = accept_link(mailoutbox[0])
    assert client.post(link, account_form(client, link))["Location"] == reverse("home")
    assert User.objects.get(email=address).username == address
    client.logout()
    signed_in = client.post(reverse("login"), {"username": address, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302


def test_an_account_its_invitation_could_not_name_is_refused_by_the_form_not_a_server_error(
    client, audit, settings
):
    """An invitation kept from before addresses were held to an account name's length: the
    person is told why, by the form."""
    from maca.invitations import invitation_link_make
    from maca.models import Invitation

    address = "a" * 150 + "@example.org"
    invitation = Invitation.objects.create(
        email=address,
        partnership=audit.partnership,
        role=Role.PARTNERSHIP_ADMIN,  # the operator's, from before the command checked it
        expires=timezone.now() + datetime.timedelta(days=7),
    )
    link = invitation_link_make(invitation).removeprefix(settings.SITE_URL)
    response = client.post(link, account_form(client, link))
    assert response.status_code == 422
    assert "ask whoever invited you to invite a shorter address" in response.content.decode()
    assert not User.objects.filter(email=address).exists()
