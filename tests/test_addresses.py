"""The address the access log and the record of failed sign-ins hold: the connecting one, or
behind a proxy named in TRUSTED_PROXIES, the one that proxy was asked from; never one a client
wrote."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from maca.addresses import client_address
from maca.models import AccessLogEntry

from .conftest import member

NGINX = "127.0.0.1"


def asked(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    "remote, forwarded, recorded",
    [
        ("198.51.100.7", None, "198.51.100.7"),
        # Not through a trusted proxy: what the client wrote is not taken.
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),
        # Through nginx: the address nginx added, the last; one the client wrote before it is not.
        (NGINX, "203.0.113.9", "203.0.113.9"),
        (NGINX, "10.9.9.9, 203.0.113.9", "203.0.113.9"),
        # Through two trusted proxies: the last hop that is not one of them.
        (NGINX, "203.0.113.9, 192.0.2.1", "203.0.113.9"),
        # Nothing added, or nonsense: the proxy's own address, never the nonsense.
        (NGINX, None, NGINX),
        (NGINX, "203.0.113.9, not-an-address", NGINX),
        (NGINX, "192.0.2.1", NGINX),
        ("::1", None, "::1"),
        ("not-an-address", None, None),
    ],
)
def test_the_address_recorded(settings, remote, forwarded, recorded):
    settings.TRUSTED_PROXIES = frozenset({NGINX, "192.0.2.1"})
    assert client_address(asked(remote, forwarded)) == recorded


def test_with_no_trusted_proxy_the_connecting_address_is_recorded(settings):
    settings.TRUSTED_PROXIES = frozenset()
    assert client_address(asked(NGINX, "203.0.113.9")) == NGINX


@pytest.mark.django_db
def test_the_access_log_records_the_address_the_proxy_was_asked_from(client, audit, settings):
    settings.TRUSTED_PROXIES = frozenset({NGINX})
    client.force_login(member(audit))
    page = reverse("audit_detail", args=[audit.pk])
    client.get(page, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.9")
    assert AccessLogEntry.objects.get(path=page).ip_address == "203.0.113.9"


def test_trusted_proxies_must_be_addresses(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from maca.settings import env_addresses

    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1, ::1")
    assert env_addresses("TRUSTED_PROXIES") == {"127.0.0.1", "::1"}
    monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1, nginx")
    with pytest.raises(ImproperlyConfigured, match="got 'nginx'"):
        env_addresses("TRUSTED_PROXIES")
