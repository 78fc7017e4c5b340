"""Every request passes sign-in, two-step sign-in and the access gate: nothing is answered from a
copy kept from an earlier request, so a change of who may see what shows on the very next request,
however it was made (through MACA, a model save, or a bulk update that sends no signals)."""

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from maca.models import AccessLogEntry, Membership, User

from .conftest import member
from .factories import AgencyFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role

PAGES = ["audit_detail", "briefing_html"]


def loaded(client, user, audit, url_name):
    """The user's browser has just loaded the page."""
    client.force_login(user)
    url = reverse(url_name, args=[audit.pk])
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    return url


@pytest.mark.parametrize("url_name", PAGES)
def test_a_member_removed_from_the_partnership_is_refused_on_the_next_request(
    client, audit, chair, url_name
):
    url = loaded(client, chair, audit, url_name)
    Membership.objects.filter(user=chair).delete()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url_name", PAGES)
def test_a_role_changed_by_a_bulk_update_takes_effect_on_the_next_request(client, audit, url_name):
    agency = AgencyFactory(name="Housing")
    audit.agencies.add(agency)
    coordinator = member(audit, Role.COORDINATOR, agency=agency)
    url = loaded(client, coordinator, audit, url_name)
    Membership.objects.filter(user=coordinator).update(partnership=_other_partnership())
    assert client.get(url).status_code == 404


def _other_partnership():
    from .factories import PartnershipFactory

    return PartnershipFactory(name="Another partnership")


@pytest.mark.parametrize("url_name", PAGES)
def test_a_deactivated_user_is_signed_out_on_the_next_request(client, audit, chair, url_name):
    url = loaded(client, chair, audit, url_name)
    User.objects.filter(pk=chair.pk).update(is_active=False)  # no model signals
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("url_name", PAGES)
def test_a_changed_password_signs_the_session_out_on_the_next_request(
    client, audit, chair, url_name
):
    url = loaded(client, chair, audit, url_name)
    chair.set_password("another-long-passphrase")
    User.objects.filter(pk=chair.pk).update(password=chair.password)  # no model signals
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_an_agency_leaving_the_audit_ends_its_coordinators_access_on_the_next_request(
    client, audit
):
    agency = AgencyFactory(name="Housing")
    audit.agencies.add(agency)
    coordinator = member(audit, Role.COORDINATOR, agency=agency)
    url = loaded(client, coordinator, audit, "audit_detail")
    audit.agencies.remove(agency)
    assert client.get(url).status_code == 404


def test_a_removed_authenticator_app_is_asked_for_again_on_the_next_request(
    client, audit, chair, settings
):
    settings.MFA_ENFORCED = True
    device = TOTPDevice.objects.create(user=chair, name="Authenticator app", confirmed=True)
    client.force_login(chair)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    url = reverse("audit_detail", args=[audit.pk])
    assert client.get(url).status_code == 200
    TOTPDevice.objects.filter(pk=device.pk).delete()
    assert client.get(url).status_code == 302


def test_every_request_for_the_same_page_is_logged(client, audit, chair):
    url = loaded(client, chair, audit, "audit_detail")
    before = AccessLogEntry.objects.count()
    client.get(url)
    client.get(url)
    assert AccessLogEntry.objects.count() == before + 2


def test_sessions_are_djangos_own(settings):
    assert settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    )


def test_an_account_switched_off_and_on_again_does_not_take_its_old_sessions_back(
    client, audit, chair
):
    url = loaded(client, chair, audit, "audit_detail")
    chair.is_active = False
    chair.save()  # as the administration pages and every service save it
    assert client.get(url).status_code == 302
    chair.is_active = True
    chair.save(update_fields=["is_active"])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    # Signing in again works, and a later save that does not switch it off keeps that session.
    client.force_login(chair)
    chair.first_name = "Renamed"
    chair.save()
    assert client.get(url).status_code == 200
