"""Two-step sign-in: who must use it, setting it up, signing in with a code or a recovery code,
and that signing in and resetting a password tell nothing about which accounts exist."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from maca import mfa
from maca.models import Membership

from .conftest import member
from .factories import PASSWORD, AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


@pytest.fixture(autouse=True)
def enforced(settings):
    """Production behaviour: pytest.ini turns enforcement off for the rest of the suite."""
    settings.MFA_ENFORCED = True
    settings.MFA_REQUIRED_FOR_ALL = False


def sign_in(client, user, next_url=""):
    """The password step, through the real sign-in page."""
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def code_for(key: bytes, steps_ahead: int = 0) -> str:
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def app_for(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def codes_for(user, codes=("aaaa2222", "bbbb3333")) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    for code in codes:
        device.token_set.create(token=code)
    return device


def set_up(client) -> tuple[str, object]:
    """Complete set-up as the signed-in user; returns the page's text and the response."""
    client.get(reverse("mfa_setup"))
    key = bytes.fromhex(client.session[mfa.SETUP_KEY_SESSION])
    response = client.post(reverse("mfa_setup"), {"code": code_for(key)})
    return response.content.decode(), response


def protected_urls(audit):
    return [
        reverse("home"),
        reverse("audit_detail", args=[audit.pk]),
        reverse("briefing_pdf", args=[audit.pk]),
        reverse("case_pack_pdf", args=[audit.pk]),
        reverse("action_plan_export", args=["csv"]),
        reverse("action_plan_pdf"),
        reverse("access_log"),
        reverse("mfa_recovery_codes"),
        reverse("password_reset"),
        "/admin/",
    ]


# Who must use it ------------------------------------------------------------------------------


def test_a_chair_signed_in_with_a_password_only_reaches_nothing_but_set_up(client, audit, chair):
    response = sign_in(client, chair)
    assert response.status_code == 302
    for url in protected_urls(audit):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("mfa_setup")), url
    # A write is turned away too, and nothing of the audit shows.
    response = client.post(reverse("audit_edit", args=[audit.pk]), {"title": "Changed"})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_setup")
    audit.refresh_from_db()
    assert audit.title == "Multi Agency Case Audit"


def test_the_set_up_page_keeps_where_the_chair_was_going(client, audit, chair):
    client.force_login(chair)
    target = reverse("audit_detail", args=[audit.pk])
    response = client.get(target)
    assert response["Location"] == f"{reverse('mfa_setup')}?next=%2Faudits%2F{audit.pk}%2F"


def test_sign_out_static_files_and_the_health_check_stay_open(client, chair):
    client.force_login(chair)
    assert client.get(reverse("health")).status_code == 200
    assert client.get("/static/css/maca.css").status_code == 200
    assert client.get(reverse("mfa_setup")).status_code == 200
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_an_htmx_request_is_sent_to_set_up_with_a_client_redirect(client, audit, chair):
    client.force_login(chair)
    response = client.get(reverse("audit_detail", args=[audit.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("mfa_setup"))


@pytest.mark.parametrize("superuser", [True, False], ids=["superuser", "staff"])
def test_whoever_can_open_the_administration_pages_must_use_it(client, superuser):
    admin = UserFactory(is_superuser=superuser, is_staff=True)
    client.force_login(admin)
    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("mfa_setup"))


def test_a_partnership_administrator_must_use_it_as_a_chair_must(client, audit):
    """They give people roles: their account is as valuable as a chair's."""
    client.force_login(member(audit, Role.PARTNERSHIP_ADMIN))
    response = client.get(reverse("partnership_people", args=[audit.partnership_id]))
    assert response["Location"].startswith(reverse("mfa_setup"))


@pytest.mark.parametrize("role", [Role.QA_MEMBER, Role.COORDINATOR, Role.VIEWER])
def test_other_roles_are_not_required_to(client, audit, role):
    agency = AgencyFactory() if role == Role.COORDINATOR else None
    client.force_login(member(audit, role, agency=agency))
    assert client.get(reverse("home")).status_code == 200


def test_everyone_must_use_it_when_the_setting_says_so(client, audit, settings):
    settings.MFA_REQUIRED_FOR_ALL = True
    client.force_login(member(audit, Role.QA_MEMBER))
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa_setup"))


def test_nobody_is_required_to_when_enforcement_is_off(client, audit, chair, settings):
    settings.MFA_ENFORCED = False
    settings.MFA_REQUIRED_FOR_ALL = True
    client.force_login(chair)
    assert client.get(reverse("audit_detail", args=[audit.pk])).status_code == 200
    # Still offered.
    page = client.get(reverse("mfa_setup")).content.decode()
    assert "Set up your authenticator app" in page


def test_a_qa_member_who_set_it_up_is_asked_for_a_code(client, audit):
    qa = member(audit, Role.QA_MEMBER)
    app_for(qa)
    client.force_login(qa)
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("mfa_verify"))
    # Who can help when the phone and the recovery codes are both lost: not a chair.
    page = client.get(response["Location"]).content.decode()
    assert "Ask MACA's site staff, who run the service for your partnership" in page


# Setting it up --------------------------------------------------------------------------------


def test_the_set_up_page_shows_a_qr_code_and_the_key(client, chair):
    client.force_login(chair)
    response = client.get(reverse("mfa_setup"))
    page = response.content.decode()
    assert '<img src="data:image/svg+xml;base64,' in page
    assert 'alt="QR code to add MACA to your authenticator app"' in page
    assert "Required" in page
    key = bytes.fromhex(client.session[mfa.SETUP_KEY_SESSION])
    secret = base64.b32encode(key).decode()
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
    # Nothing is stored until a code confirms it.
    assert not TOTPDevice.objects.filter(user=chair).exists()


def test_completing_set_up_lets_the_chair_in_and_shows_ten_recovery_codes(client, audit, chair):
    sign_in(client, chair)
    target = reverse("audit_detail", args=[audit.pk])
    client.get(reverse("mfa_setup") + f"?next={target}")
    key = bytes.fromhex(client.session[mfa.SETUP_KEY_SESSION])
    response = client.post(reverse("mfa_setup"), {"code": code_for(key), "next": target})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Two-step sign-in is on" in page
    assert "This is the only time they are shown" in page
    codes = list(StaticToken.objects.filter(device__user=chair).values_list("token", flat=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in page for code in codes)
    assert f'href="{target}"' in page
    assert "no-store" in response["Cache-Control"]  # not kept by the browser
    device = TOTPDevice.objects.get(user=chair)
    assert device.confirmed and device.bin_key == key
    for url in [target, reverse("home"), reverse("action_plan_export", args=["csv"])]:
        assert client.get(url).status_code == 200, url
    # The codes are not shown again.
    assert codes[0] not in client.get(reverse("mfa_recovery_codes")).content.decode()


def test_a_wrong_code_at_set_up_is_refused_and_stores_nothing(client, chair):
    client.force_login(chair)
    client.get(reverse("mfa_setup"))
    key = client.session[mfa.SETUP_KEY_SESSION]
    for code, message in [
        ("", "Fill in “Code from the app”."),
        ("12ab", "Enter the 6 digits the app shows"),
        ("000000" if code_for(bytes.fromhex(key)) != "000000" else "111111", "does not match"),
        ("1" * 5000, "over the limit of 20: shorten it"),
        ("²²²²²²", "Enter the 6 digits the app shows"),  # digits to Python, not to int()
    ]:
        response = client.post(reverse("mfa_setup"), {"code": code})
        assert response.status_code == 200
        page = response.content.decode()
        assert "There is a problem" in page and message in page
    # The same key stays, so the app the user already scanned still fits.
    assert client.session[mfa.SETUP_KEY_SESSION] == key
    assert not TOTPDevice.objects.filter(user=chair).exists()
    assert client.get(reverse("home"))["Location"].startswith(reverse("mfa_setup"))


def test_set_up_without_required_use_is_offered_from_the_navigation(client, audit):
    qa = member(audit, Role.QA_MEMBER)
    client.force_login(qa)
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("mfa_setup")}"' in page and "Two-step sign-in" in page
    page = client.get(reverse("mfa_setup")).content.decode()
    assert "Off" in page and "Required" not in page
    text, _ = set_up(client)
    assert "Two-step sign-in is on" in text
    assert TOTPDevice.objects.filter(user=qa, confirmed=True).exists()


def test_a_password_alone_cannot_replace_the_app(client, chair):
    app_for(chair)
    client.force_login(chair)
    response = client.get(reverse("mfa_setup"))
    assert response["Location"].startswith(reverse("mfa_verify"))
    response = client.post(reverse("mfa_setup"), {"code": "123456"})
    assert response["Location"].startswith(reverse("mfa_verify"))
    assert TOTPDevice.objects.filter(user=chair).count() == 1


def test_a_verified_user_can_replace_their_app(client, chair):
    client.force_login(chair)
    set_up(client)
    old = TOTPDevice.objects.get(user=chair)
    page = client.get(reverse("mfa_setup")).content.decode()
    assert "Set up a new authenticator app" in page and "On" in page
    text, _ = set_up(client)
    assert "Two-step sign-in is on" in text
    assert list(TOTPDevice.objects.filter(user=chair)) != [old]
    assert TOTPDevice.objects.filter(user=chair).count() == 1
    assert client.get(reverse("home")).status_code == 200


# Signing in with a code -----------------------------------------------------------------------


def test_a_later_sign_in_asks_for_a_code_and_then_goes_where_the_user_was_going(
    client, audit, chair
):
    device = app_for(chair)
    target = reverse("audit_detail", args=[audit.pk])
    response = client.get(target)
    assert response["Location"].startswith(reverse("login"))
    response = sign_in(client, chair, next_url=target)
    assert response["Location"] == target
    response = client.get(target)
    assert response["Location"] == f"{reverse('mfa_verify')}?next=%2Faudits%2F{audit.pk}%2F"
    page = client.get(response["Location"]).content.decode()
    assert "Enter your code" in page and f'value="{target}"' in page
    code = code_for(device.bin_key)
    response = client.post(reverse("mfa_verify"), {"code": code, "next": target})
    assert response["Location"] == target
    assert client.get(target).status_code == 200
    # The code cannot be used again, in this session or another (the same code, even when the
    # clock has moved on to the next one meanwhile).
    client.logout()
    sign_in(client, chair)
    response = client.post(reverse("mfa_verify"), {"code": code})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()


def test_a_wrong_code_keeps_the_user_out(client, audit, chair):
    device = app_for(chair)
    sign_in(client, chair)
    wrong = "000000" if code_for(device.bin_key) != "000000" else "111111"
    for code in [wrong, "", "<script>", "9" * 41]:
        response = client.post(reverse("mfa_verify"), {"code": code})
        assert response.status_code == 200, code
        assert "There is a problem" in response.content.decode()
    assert client.get(reverse("audit_detail", args=[audit.pk]))["Location"].startswith(
        reverse("mfa_verify")
    )


def test_five_wrong_codes_sign_the_user_out(client, chair):
    device = app_for(chair)
    sign_in(client, chair)
    wrong = "000000" if code_for(device.bin_key) != "000000" else "111111"
    for _ in range(4):
        assert client.post(reverse("mfa_verify"), {"code": wrong}).status_code == 200
    response = client.post(reverse("mfa_verify"), {"code": wrong}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "signed out after too many wrong codes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Wrong codes also slow the app's codes down in the database, across sessions.
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1


def test_a_right_code_straight_after_a_wrong_one_asks_the_user_to_wait(client, chair):
    device = app_for(chair)
    sign_in(client, chair)
    right = code_for(device.bin_key)
    wrong = "000000" if right != "000000" else "111111"
    client.post(reverse("mfa_verify"), {"code": wrong})
    response = client.post(reverse("mfa_verify"), {"code": right})
    assert "After a wrong code, wait a second before trying again" in response.content.decode()
    assert f'value="{right}"' in response.content.decode()  # what was typed is kept


def test_a_recovery_code_works_once(client, audit, chair):
    app_for(chair)
    codes_for(chair)
    sign_in(client, chair)
    response = client.post(reverse("mfa_verify"), {"code": "AAAA-2222"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "You used a recovery code; 1 left" in response.content.decode()
    assert client.get(reverse("audit_detail", args=[audit.pk])).status_code == 200
    client.logout()
    sign_in(client, chair)
    response = client.post(reverse("mfa_verify"), {"code": "aaaa2222"})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert StaticToken.objects.filter(device__user=chair).count() == 1


def test_the_verify_page_sends_a_user_without_an_app_to_set_up(client, chair):
    client.force_login(chair)
    response = client.get(reverse("mfa_verify") + "?next=/actions/plan.pdf")
    assert response["Location"] == reverse("mfa_setup") + "?next=%2Factions%2Fplan.pdf"


def test_next_never_leads_off_the_site(client, chair):
    device = app_for(chair)
    client.force_login(chair)
    response = client.post(
        reverse("mfa_verify"),
        {"code": code_for(device.bin_key), "next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("home")


# Recovery codes -------------------------------------------------------------------------------


def test_new_recovery_codes_replace_the_old_ones(client, chair, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # no pause after the wrong (old) code
    client.force_login(chair)
    set_up(client)
    old = set(StaticToken.objects.filter(device__user=chair).values_list("token", flat=True))
    page = client.get(reverse("mfa_recovery_codes")).content.decode()
    assert "10 left" in page and "Your current recovery codes will stop working" in page
    response = client.post(reverse("mfa_recovery_codes"))
    page = response.content.decode()
    new = set(StaticToken.objects.filter(device__user=chair).values_list("token", flat=True))
    assert len(new) == 10 and not (old & new)
    assert all(code in page for code in new)
    assert "Your earlier recovery codes no longer work" in page
    # The session stays signed in.
    assert client.get(reverse("home")).status_code == 200
    client.logout()
    sign_in(client, chair)
    response = client.post(reverse("mfa_verify"), {"code": sorted(old)[0]})
    assert "That code did not work" in response.content.decode()
    response = client.post(reverse("mfa_verify"), {"code": sorted(new)[0]})
    assert response.status_code == 302


def test_recovery_codes_need_a_verified_session(client, chair):
    app_for(chair)
    codes_for(chair)
    client.force_login(chair)
    response = client.post(reverse("mfa_recovery_codes"))
    assert response["Location"].startswith(reverse("mfa_verify"))
    assert StaticToken.objects.filter(device__user=chair).count() == 2


def test_recovery_codes_without_an_app_lead_to_set_up(client, audit):
    client.force_login(member(audit, Role.QA_MEMBER))
    response = client.get(reverse("mfa_recovery_codes"))
    assert response["Location"].startswith(reverse("mfa_setup"))


# Access: owner / member / outsider ------------------------------------------------------------


@pytest.mark.parametrize("name", ["mfa_setup", "mfa_verify", "mfa_recovery_codes"])
def test_the_pages_need_a_signed_in_user(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    response = client.post(reverse(name), {"code": "123456"})
    assert response["Location"].startswith(reverse("login"))


def test_each_user_only_ever_touches_their_own_codes(client, audit, chair, outsider):
    """The owner's codes are not shown to, or changed by, a member or an outsider."""
    client.force_login(chair)
    set_up(client)
    owner_codes = set(
        StaticToken.objects.filter(device__user=chair).values_list("token", flat=True)
    )
    owner_key = TOTPDevice.objects.get(user=chair).key
    for other in [member(audit, Role.QA_MEMBER), outsider]:
        client.force_login(other)
        if other == outsider:  # a chair elsewhere: must set up their own
            assert client.get(reverse("home"))["Location"].startswith(reverse("mfa_setup"))
        text, _ = set_up(client)
        assert not any(code in text for code in owner_codes)
        assert client.post(reverse("mfa_recovery_codes")).status_code == 200
        # Their own code does not verify the owner.
        client.logout()
    after = set(StaticToken.objects.filter(device__user=chair).values_list("token", flat=True))
    assert after == owner_codes
    assert TOTPDevice.objects.get(user=chair).key == owner_key
    sign_in(client, chair)
    other_device = TOTPDevice.objects.get(user=outsider)
    response = client.post(reverse("mfa_verify"), {"code": code_for(other_device.bin_key, 1)})
    assert response.status_code == 200


# Nothing tells which accounts exist -----------------------------------------------------------


def _page(response) -> str:
    """The page without the per-request CSRF token."""
    return re.sub(r'value="[^"]{40,}"', 'value=""', response.content.decode())


def test_sign_in_answers_alike_for_an_existing_and_an_unknown_account(client, audit, chair):
    existing = client.post(reverse("login"), {"username": chair.username, "password": "wrong"})
    client.cookies.clear()
    unknown = client.post(reverse("login"), {"username": "nobody-here", "password": "wrong"})
    assert existing.status_code == unknown.status_code == 200
    assert _page(existing).replace(chair.username, "X") == _page(unknown).replace(
        "nobody-here", "X"
    )
    # A chair with two-step sign-in set up answers the same to a wrong password.
    app_for(chair)
    client.cookies.clear()
    with_app = client.post(reverse("login"), {"username": chair.username, "password": "wrong"})
    assert _page(with_app) == _page(existing)


def test_password_reset_answers_alike_for_an_existing_and_an_unknown_account(client, chair):
    existing = client.post(reverse("password_reset"), {"email": chair.email})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert existing.status_code == unknown.status_code == 302
    assert existing["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [chair.email]


# In a real browser ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_demo_chair_sets_up_two_step_sign_in_in_a_browser(page, live_server):
    from playwright.sync_api import expect

    from .conftest import axe_violations, console_errors, load_demo

    load_demo()
    errors = console_errors(page)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Username").fill("chair")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code to add MACA")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    expect(page.get_by_text("That code does not match")).to_have_count(2)  # summary and field

    secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(code_for(base64.b32decode(secret)))
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert axe_violations(page) == []
    page.get_by_role("link", name="I have stored my codes").click()
    expect(page.get_by_role("heading", name="Audits")).to_be_visible()
    assert errors == []
