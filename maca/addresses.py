"""The address a request came from, as the access log and the record of failed sign-ins hold it."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_address(request) -> str | None:
    """The connecting address, or, when that is a proxy named in TRUSTED_PROXIES, the address
    that proxy says it was asked from: the last in X-Forwarded-For that is not itself a trusted
    proxy. What a client writes into X-Forwarded-For is never taken: only the hops a trusted proxy
    added are read, from the right."""
    address = _valid(request.META.get("REMOTE_ADDR"))
    trusted = settings.TRUSTED_PROXIES
    if address not in trusted:
        return address
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        hop = _valid(hop.strip())
        if hop is None:
            return address  # a hop no proxy would write: keep to the one we know
        if hop not in trusted:
            return hop
    return address


def _valid(text: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(text or ""))
    except ValueError:
        return None
