import datetime
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import access
from cases.models import NominationIdentity
from findings.models import BriefingVersion
from maca.middleware import SEEN_SESSION_KEY
from maca.models import Membership, User

from .conftest import member
from .factories import (
    AgencyFactory,
    AuditFactory,
    MembershipFactory,
    NominationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

AUDIT_URLS = ["audit_detail", "briefing_html", "briefing_pdf"]


@pytest.mark.parametrize("url_name", ["home", *AUDIT_URLS])
def test_anonymous_users_are_sent_to_login(client, audit, url_name):
    url = reverse(url_name) if url_name == "home" else reverse(url_name, args=[audit.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=" in response["Location"]


@pytest.mark.parametrize("url_name", AUDIT_URLS)
def test_non_members_get_not_found_like_a_missing_audit(client, audit, outsider, url_name):
    client.force_login(outsider)
    assert client.get(reverse(url_name, args=[audit.pk])).status_code == 404
    assert client.get(reverse(url_name, args=[999999])).status_code == 404


def test_superusers_see_no_audit_they_are_not_a_member_of(client, audit, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x-password-1")
    client.force_login(admin)
    assert client.get(reverse("audit_detail", args=[audit.pk])).status_code == 404


def test_the_admin_never_shows_a_childs_identifying_details(client, audit, django_user_model):
    nomination = NominationFactory(audit=audit, label="Case 1")
    identity = NominationIdentity.objects.create(nomination=nomination, child_name="Ellie Brampton")
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x-password-1")
    client.force_login(admin)
    index = client.get("/admin/").content.decode()
    assert "identit" not in index.lower() and "local reference" not in index.lower()
    assert client.get(f"/admin/cases/nominationidentity/{identity.pk}/change/").status_code == 404
    assert client.get("/admin/cases/historicalnominationidentity/").status_code == 404
    nomination_page = client.get(f"/admin/cases/nomination/{nomination.pk}/change/")
    assert nomination_page.status_code == 200
    assert "Ellie" not in nomination_page.content.decode()


@pytest.mark.parametrize("role", [Membership.Role.CHAIR, Membership.Role.QA_MEMBER])
@pytest.mark.parametrize("url_name", AUDIT_URLS)
def test_partnership_staff_see_the_audit_and_its_briefing(client, audit, role, url_name):
    client.force_login(member(audit, role))
    assert client.get(reverse(url_name, args=[audit.pk]), follow=True).status_code == 200


def test_coordinators_see_audits_their_agency_takes_part_in_only(client, audit):
    housing, police = AgencyFactory(name="Housing"), AgencyFactory(name="Police")
    audit.agencies.add(housing)
    other = AuditFactory(partnership=audit.partnership)
    other.agencies.add(police)
    coordinator = member(audit, Membership.Role.COORDINATOR, agency=housing)
    client.force_login(coordinator)
    assert client.get(reverse("audit_detail", args=[audit.pk])).status_code == 200
    assert client.get(reverse("audit_detail", args=[other.pk])).status_code == 404
    home = client.get(reverse("home")).content.decode()
    assert reverse("audit_detail", args=[audit.pk]) in home
    assert reverse("audit_detail", args=[other.pk]) not in home


def test_viewers_read_only_published_briefings(client, audit, chair):
    from findings.publishing import briefing_publish

    viewer = member(audit, Membership.Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("briefing_html", args=[audit.pk])).status_code == 404
    assert audit.theme.name not in client.get(reverse("home")).content.decode()
    briefing_publish(audit=audit, user=chair)
    draft = client.get(reverse("briefing_html", args=[audit.pk]))
    assert draft.status_code == 302
    assert draft["Location"] == reverse("briefing_version", args=[audit.pk, 1])
    assert client.get(draft["Location"]).status_code == 200
    pdf = client.get(reverse("briefing_pdf", args=[audit.pk]), follow=True)
    assert pdf.content.startswith(b"%PDF")
    page = client.get(reverse("audit_detail", args=[audit.pk]))
    assert page.status_code == 200
    assert "Case-level working papers are open to the audit" in page.content.decode()
    # No 7-minute briefing was published with it: none is offered.
    assert reverse("seven_minute", args=[audit.pk]) not in page.content.decode()


def test_viewers_are_offered_a_7_minute_briefing_once_one_is_published(client, demo_audit):
    viewer = member(demo_audit, Membership.Role.VIEWER)
    client.force_login(viewer)
    page = client.get(reverse("audit_detail", args=[demo_audit.pk])).content.decode()
    assert f'<a href="{reverse("seven_minute", args=[demo_audit.pk])}">' in page


def test_home_lists_only_the_users_audits(client, audit, outsider):
    mine = member(audit)
    theirs = AuditFactory(theme__name="Someone else's theme")
    client.force_login(mine)
    html = client.get(reverse("home")).content.decode()
    assert audit.theme.name in html
    assert theirs.theme.name not in html
    client.force_login(outsider)
    assert audit.theme.name not in client.get(reverse("home")).content.decode()


def test_a_user_with_no_audits_is_told_what_to_do(client, outsider):
    client.force_login(outsider)
    assert "No audits to show yet." in client.get(reverse("home")).content.decode()


def test_a_chair_with_no_audits_is_told_to_start_one_not_to_ask_the_chair(client, outsider):
    """`outsider` chairs a partnership with no audit yet: the empty list points to New audit."""
    client.force_login(outsider)
    page = client.get(reverse("home")).content.decode()
    assert "start your partnership's first audit with" in page
    assert f'<a href="{reverse("audit_create")}">New audit</a>' in page
    assert "ask the chair of your QA sub-group" not in page


def test_a_qa_member_with_no_audits_is_told_the_chair_starts_them(client):
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.QA_MEMBER)
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    assert "first audit with" not in page
    assert "ask the chair of your QA sub-group" in page


def test_login_and_health_pages_are_open(client):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("health")).json() == {"status": "ok"}


def test_logging_in_with_a_wrong_password_says_so_without_naming_the_account(client, audit):
    user = member(audit)
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_pages_carry_a_strict_content_security_policy(client, audit, chair):
    client.force_login(chair)
    response = client.get(reverse("audit_detail", args=[audit.pk]))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_repeated_failed_sign_ins_lock_the_user_name_and_are_recorded(client, audit, settings):
    from axes.models import AccessAttempt, AccessFailureLog

    settings.AXES_FAILURE_LIMIT = 3
    user = member(audit)
    for _ in range(3):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    locked = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery-staple"}
    )
    assert locked.status_code == 429
    assert "Too many attempts to sign in" in locked.content.decode()
    assert AccessAttempt.objects.filter(username=user.username).exists()
    assert AccessFailureLog.objects.filter(username=user.username).count() >= 3
    # An unknown user name is treated exactly alike: nothing tells an attacker it does not exist.
    for _ in range(3):
        client.post(reverse("login"), {"username": "nobody-here", "password": "wrong"})
    unknown = client.post(reverse("login"), {"username": "nobody-here", "password": "x"})
    assert unknown.status_code == 429
    # Locked at that address only: a few wrong passwords elsewhere do not keep the owner out.
    elsewhere = Client().post(
        reverse("login"),
        {"username": user.username, "password": "correct-horse-battery-staple"},
        REMOTE_ADDR="192.0.2.44",
    )
    assert elsewhere.status_code == 302


def sign_in_from(address, username, password="wrong"):
    return Client().post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_many_addresses_buy_no_more_guesses_at_one_account(audit, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_NAME = 6
    user = member(audit)
    # Two tries from each of three places: under the limit at each, but the sixth in all is
    # the name's own limit, and then the name is paused from everywhere.
    answers = [
        sign_in_from(address, user.username).status_code
        for address in ("192.0.2.1", "192.0.2.1", "198.51.100.2", "198.51.100.2", "203.0.113.3")
    ]
    assert answers == [200] * 5
    assert sign_in_from("203.0.113.3", user.username).status_code == 429
    right = "correct-horse-battery-staple"
    assert sign_in_from("192.0.2.200", user.username, right).status_code == 429


def test_guesses_from_many_addresses_do_not_keep_the_owner_out_of_their_usual_browser(
    audit, settings
):
    from maca.signin import KNOWN_BROWSER_COOKIE

    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_NAME = 6
    user, right = member(audit), "correct-horse-battery-staple"
    usual = Client(REMOTE_ADDR="192.0.2.10")
    usual.post(reverse("login"), {"username": user.username, "password": right})
    cookie = usual.cookies[KNOWN_BROWSER_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 180 * 24 * 3600 and user.username not in cookie.value
    usual.post(reverse("logout"))
    someone_else = Client(REMOTE_ADDR="192.0.2.10")
    someone_else.post(reverse("login"), {"username": "other-name", "password": "x"})
    someone_elses_cookie = someone_else.cookies.get(KNOWN_BROWSER_COOKIE)
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        sign_in_from(address, user.username)
        sign_in_from(address, user.username)
    assert sign_in_from("203.0.113.3", user.username, right).status_code == 429
    forged = Client(REMOTE_ADDR="203.0.113.4")
    forged.cookies[KNOWN_BROWSER_COOKIE] = user.username  # not signed by MACA
    assert (
        forged.post(reverse("login"), {"username": user.username, "password": right}).status_code
        == 429
    )
    assert someone_elses_cookie is None  # a refused sign-in marks no browser
    answer = usual.post(reverse("login"), {"username": user.username, "password": right})
    assert answer.status_code == 302
    # Still counted at its own address: the usual browser buys no more guesses than any other.
    usual.post(reverse("logout"))
    answers = [
        usual.post(reverse("login"), {"username": user.username, "password": "wrong"}).status_code
        for _ in range(3)
    ]
    assert answers == [200, 200, 429]


def _known_browser_cookie(user, password, address="192.0.2.10"):
    from maca.signin import KNOWN_BROWSER_COOKIE

    usual = Client(REMOTE_ADDR=address)
    usual.post(reverse("login"), {"username": user.username, "password": password})
    usual.post(reverse("logout"))
    return usual.cookies[KNOWN_BROWSER_COOKIE].value


def test_a_known_browsers_cookie_copied_to_many_addresses_buys_no_more_guesses(audit, settings):
    """The cookie left in a shared computer's browser, copied elsewhere: guesses made with it
    from many addresses count against the name's own limit, as guesses without it do."""
    from maca.signin import KNOWN_BROWSER_COOKIE

    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_NAME = 6
    user, right = member(audit), "correct-horse-battery-staple"
    cookie = _known_browser_cookie(user, right)
    answers = []
    for number in range(1, 6):
        copied = Client(REMOTE_ADDR=f"198.51.100.{number}")
        copied.cookies[KNOWN_BROWSER_COOKIE] = cookie
        for _ in range(2):
            answer = copied.post(reverse("login"), {"username": user.username, "password": "x"})
            answers.append(answer.status_code)
    assert answers.count(200) <= 6
    assert answers[-1] == 429


def test_a_known_browser_is_not_known_after_a_new_password_is_set(audit, settings, mailoutbox):
    """Setting a new password, as someone does who thinks their account is known to another,
    ends what the old cookie, wherever it was copied, lets a browser do."""
    from maca.signin import KNOWN_BROWSER_COOKIE

    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_NAME = 6
    user, right = member(audit), "correct-horse-battery-staple"
    cookie = _known_browser_cookie(user, right)
    user.set_password("a-new-long-passphrase-42")
    user.save()
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        sign_in_from(address, user.username)
        sign_in_from(address, user.username)
    copied = Client(REMOTE_ADDR="203.0.113.9")
    copied.cookies[KNOWN_BROWSER_COOKIE] = cookie
    answer = copied.post(reverse("login"), {"username": user.username, "password": "x"})
    assert answer.status_code == 429


def test_a_new_password_ends_the_lockout_of_guesses_made_with_a_copied_cookie(
    audit, settings, mailoutbox
):
    from maca.signin import KNOWN_BROWSER_COOKIE

    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_NAME = 6
    user, right = member(audit), "correct-horse-battery-staple"
    cookie = _known_browser_cookie(user, right)
    for number in range(1, 4):
        copied = Client(REMOTE_ADDR=f"198.51.100.{number}")
        copied.cookies[KNOWN_BROWSER_COOKIE] = cookie
        for _ in range(2):
            copied.post(reverse("login"), {"username": user.username, "password": "x"})
    owner = Client(REMOTE_ADDR="203.0.113.3")
    owner.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/password/set/\S+/)", mailoutbox[0].body).group(1)
    form = owner.get(link, follow=True)
    new = "a-new-long-passphrase-42"
    owner.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    owner.post(reverse("login"), {"username": user.username, "password": new})
    owner.post(reverse("logout"))
    answer = owner.post(reverse("login"), {"username": user.username, "password": new})
    assert answer.status_code == 302


def test_setting_a_new_password_from_the_emailed_link_ends_the_names_lockout(
    audit, settings, mailoutbox
):
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_FAILURE_LIMIT_PER_NAME = 6
    user = member(audit)
    for address in ("198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.2"):
        sign_in_from(address, user.username)
    for address in ("198.51.100.3", "198.51.100.3"):
        sign_in_from(address, user.username)
    new = "a-new-long-passphrase-42"
    assert sign_in_from("203.0.113.3", user.username, new).status_code == 429
    owner = Client(REMOTE_ADDR="203.0.113.3")
    owner.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/password/set/\S+/)", mailoutbox[0].body).group(1)
    form = owner.get(link, follow=True)
    answer = owner.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert answer.status_code == 302
    assert sign_in_from("203.0.113.3", user.username, new).status_code == 302


def test_an_ipv6_network_counts_as_one_address(audit, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = member(audit)
    answers = [
        sign_in_from(f"2001:db8:1:2::{host}", user.username).status_code for host in (1, 2, 3)
    ]
    assert answers == [200, 200, 429]
    right = "correct-horse-battery-staple"
    assert sign_in_from("2001:db8:1:2::ffff", user.username, right).status_code == 429
    assert sign_in_from("2001:db8:1:9::1", user.username, right).status_code == 302


def test_behind_a_trusted_proxy_failed_sign_ins_record_the_address_the_proxy_was_asked_from(
    client, audit, settings
):
    from axes.models import AccessFailureLog

    settings.TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    user = member(audit)
    guesser = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    client.post(reverse("login"), {"username": user.username, "password": "wrong"}, **guesser)
    assert AccessFailureLog.objects.get().ip_address == "203.0.113.9"


def test_sessions_end_when_idle_and_at_browser_close(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY


def _stored_session(client):
    return Session.objects.get(session_key=client.session.session_key)


def _idle_for_five_minutes(client):
    """As if the session was last used five minutes ago."""
    session = client.session
    session[SEEN_SESSION_KEY] -= 5 * 60
    session.save()
    stored = _stored_session(client)
    stored.expire_date = timezone.now() + datetime.timedelta(minutes=25)
    stored.save()


def test_a_session_used_stays_alive_and_one_left_idle_ends(client, audit, chair):
    client.force_login(chair)
    page = reverse("audit_detail", args=[audit.pk])
    assert client.get(page).status_code == 200
    first_expiry = _stored_session(client).expire_date
    assert first_expiry > timezone.now() + datetime.timedelta(minutes=29)
    # Used again within the minute: nothing is rewritten.
    client.get(page)
    assert _stored_session(client).expire_date == first_expiry
    # Used a few minutes later: the expiry moves forward.
    _idle_for_five_minutes(client)
    client.get(page)
    assert _stored_session(client).expire_date > timezone.now() + datetime.timedelta(minutes=29)
    # Left idle past its expiry: the next request is asked to sign in again.
    stored = _stored_session(client)
    stored.expire_date = timezone.now() - datetime.timedelta(seconds=1)
    stored.save()
    response = client.get(page)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_page_keeps_a_session_alive_while_someone_types(client, audit, chair):
    """What the page sends while someone types (static/js/maca.js): it moves the expiry on."""
    url = reverse("session_keepalive")
    assert client.post(url).status_code == 302  # signed out: nothing to keep
    client.force_login(chair)
    page = client.get(reverse("audit_detail", args=[audit.pk])).content.decode()
    assert 'data-idle-seconds="1800"' in page and f'data-keepalive-url="{url}"' in page
    _idle_for_five_minutes(client)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 204
    assert _stored_session(client).expire_date > timezone.now() + datetime.timedelta(minutes=29)


@pytest.mark.parametrize(
    "role, involved, published",
    [
        (Membership.Role.CHAIR, False, False),
        (Membership.Role.QA_MEMBER, False, False),
        (Membership.Role.COORDINATOR, True, False),
        (Membership.Role.COORDINATOR, False, False),
        (Membership.Role.VIEWER, False, False),
        (Membership.Role.VIEWER, False, True),
        (None, False, True),
    ],
)
def test_the_gate_and_the_lists_agree_on_who_is_a_member(audit, role, involved, published):
    agency = AgencyFactory()
    if involved:
        audit.agencies.add(agency)
    user = User.objects.create(username="someone")
    if role:
        Membership.objects.create(
            user=user,
            partnership=audit.partnership,
            role=role,
            agency=agency if role == Membership.Role.COORDINATOR else None,
        )
    if published:
        BriefingVersion.objects.create(
            audit=audit, number=1, published_at=timezone.now(), html="", pdf=b"", sha256="0" * 64
        )
    listed = access.restrict_audits(type(audit).objects.all(), user).filter(pk=audit.pk).exists()
    assert access.is_member(user, audit) == listed


def test_a_session_replayed_after_logout_reaches_nothing(client, audit, chair):
    client.force_login(chair)
    page = reverse("audit_detail", args=[audit.pk])
    assert client.get(page).status_code == 200
    stolen = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    client.cookies["sessionid"] = stolen  # replaying the cookie from before the logout
    for url in (page, reverse("briefing_pdf", args=[audit.pk]), reverse("action_plan")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_a_refusal_says_why_when_the_reason_is_the_audits_stage(client, audit, chair):
    from cases.models import Audit

    housing = AgencyFactory()
    audit.agencies.add(housing)
    client.force_login(member(audit, Membership.Role.COORDINATOR, agency=housing))
    pack = client.get(reverse("meeting_pack", args=[audit.pk]))
    assert pack.status_code == 403
    assert "The chair has not released the meeting pack to members yet." in pack.content.decode()
    audit.move_to(Audit.Status.CLOSED)
    audit.save()
    client.force_login(chair)
    writing = client.get(reverse("authoring", args=[audit.pk]))
    assert writing.status_code == 403
    assert "This audit is closed: it can be read but no longer changed." in writing.content.decode()


@pytest.mark.parametrize("url_name", ["audit_detail", "briefing_html", "briefing_pdf"])
def test_nothing_shown_to_a_signed_in_user_is_kept_by_the_browser(client, audit, chair, url_name):
    client.force_login(chair)
    client.get(reverse("home"))  # the CSRF cookie a browser holds, so pages may be kept in memory
    url = reverse(url_name, args=[audit.pk])
    for _ in range(2):  # asked for twice: never answered from anything kept
        response = client.get(url, follow=True)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


def test_briefings_published_before_the_audit_kept_the_date_let_viewers_in(audit):
    import importlib

    from django.apps import apps

    fill = importlib.import_module("findings.migrations.0008_fill_briefing_published_at")
    published_at = timezone.now() - datetime.timedelta(days=3)
    for number, at in ((1, published_at), (2, timezone.now())):
        BriefingVersion.objects.create(
            audit=audit, number=number, published_at=at, html="", pdf=b"", sha256="0" * 64
        )
    type(audit).objects.update(briefing_published_at=None)
    fill.fill_briefing_published_at(apps, None)
    audit.refresh_from_db()
    assert audit.briefing_published_at == published_at


def test_a_user_name_signs_in_in_any_letter_case_or_as_its_email_and_locks_as_one(
    client, audit, settings
):
    from axes.models import AccessAttempt

    from .factories import PASSWORD

    settings.AXES_FAILURE_LIMIT = 3
    invited = member(audit, username="dana@eastvale.example", email="dana@eastvale.example")
    older = member(audit, username="chair-of-old", email="Old.Chair@Example.org")
    for typed, account in (
        ("Dana@Eastvale.example", invited),
        ("  DANA@EASTVALE.EXAMPLE ", invited),
        ("old.chair@example.org", older),
        ("Chair-Of-Old", older),
    ):
        client.logout()
        response = client.post(reverse("login"), {"username": typed, "password": PASSWORD})
        assert response.status_code == 302, typed
        assert int(client.session["_auth_user_id"]) == account.pk
    client.logout()
    # Wrong passwords under three spellings of one name are three tries of that one name.
    for typed in ("dana@eastvale.example", "DANA@eastvale.example", "Dana@Eastvale.Example"):
        client.post(reverse("login"), {"username": typed, "password": "wrong"})
    locked = client.post(
        reverse("login"), {"username": "dana@EASTVALE.example", "password": PASSWORD}
    )
    assert locked.status_code == 429
    assert AccessAttempt.objects.filter(username="dana@eastvale.example").exists()
    # A name no account has locks alike however it is written: a lockout tells nothing.
    for typed in ("nobody@eastvale.example", "NOBODY@eastvale.example", "Nobody@Eastvale.Example"):
        client.post(reverse("login"), {"username": typed, "password": "wrong"})
    unknown = client.post(
        reverse("login"), {"username": "nObOdY@eastvale.example", "password": "x"}
    )
    assert unknown.status_code == 429
