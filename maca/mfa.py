"""Two-step sign-in: a code from an authenticator app (TOTP) after the password, with one-time
recovery codes for when the phone is not at hand.

Who must use it: anyone who can open the administration pages (staff and superusers) and
partnership chairs, or everyone when MFA_REQUIRED_FOR_ALL is on,
whenever MFA_ENFORCED is on (the default unless DEBUG). Anyone may set it up, and anyone who has
set it up is asked for a code at every sign-in. Until the session is verified, such a user reaches
only the set-up and verify pages, sign-out, static files and the health check.
"""

from __future__ import annotations

import base64
import io
import math
from urllib.parse import quote, urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from maca import access

ISSUER = "MACA"
RECOVERY_CODE_COUNT = 10
# Wrong codes allowed in one session before it is signed out.
MAX_FAILURES = 5
SETUP_KEY_SESSION = "mfa_setup_key"
FAILURES_SESSION = "mfa_failures"
# Pages an unverified user who must verify may still reach.
OPEN_URL_NAMES = {"mfa_setup", "mfa_verify", "logout", "health", "readiness"}


# Who must use it ------------------------------------------------------------------------------


def has_device(user) -> bool:
    """Whether `user` has set up an authenticator app."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def required_by_policy(user) -> bool:
    """Whether the settings require `user` to use two-step sign-in."""
    if not settings.MFA_ENFORCED:
        return False
    return (
        user.is_staff
        or user.is_superuser
        or settings.MFA_REQUIRED_FOR_ALL
        or bool(access.memberships_of(user).chaired)
        or bool(access.memberships_of(user).administered)
    )


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def must_verify(user) -> bool:
    """Whether a signed-in `user` has still to give a code before reaching anything else."""
    if not user.is_authenticated or is_verified(user):
        return False
    return has_device(user) or required_by_policy(user)


class MFARequiredMiddleware:
    """Sends a signed-in user who must use two-step sign-in, and has not yet in this session, to
    the verify page (or to set-up, if they have no authenticator app yet)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name in OPEN_URL_NAMES:
            return None
        if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return None
        user = request.user
        if not must_verify(user):
            return None
        name = "mfa_verify" if has_device(user) else "mfa_setup"
        next_url = request.get_full_path() if request.method == "GET" else ""
        target = _with_next(reverse(name), next_url)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)


# Services -------------------------------------------------------------------------------------


@transaction.atomic
def totp_device_confirm(*, user, key: str, t: int) -> tuple[TOTPDevice, list[str]]:
    """Replace `user`'s authenticator app with the one holding `key` (its code for time step `t`
    has just been checked) and make a fresh set of recovery codes. Returns the device and the
    codes, which are not shown anywhere again."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice(user=user, name="Authenticator app", key=key, confirmed=True, last_t=t)
    device.full_clean()
    device.save()
    codes = recovery_codes_replace(user=user)
    return device, codes


@transaction.atomic
def recovery_codes_replace(*, user) -> list[str]:
    """A new set of one-time recovery codes for `user`; the old ones stop working."""
    # The device is kept (a session may be verified by it); only its codes change.
    device = StaticDevice.objects.filter(user=user).first()
    if device is None:
        device = StaticDevice(user=user, name="Recovery codes", confirmed=True)
        device.full_clean()
        device.save()
    device.token_set.all().delete()
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = StaticToken.random_token()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


# Forms ----------------------------------------------------------------------------------------


def _normalise(value: str) -> str:
    return "".join(value.split()).replace("-", "").lower()


class SetupForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        help_text="The 6-digit code your authenticator app shows now.",
        max_length=20,
        widget=forms.TextInput(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def __init__(self, *args, key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key
        self.t = None

    def clean_code(self):
        code = _normalise(self.cleaned_data["code"])
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError("Enter the 6 digits the app shows, for example 123456.")
        totp = TOTP(bytes.fromhex(self.key))
        if not totp.verify(int(code), tolerance=1):
            raise forms.ValidationError(
                "That code does not match. Check the app shows MACA and try the newest code."
            )
        self.t = totp.t()
        return code


def _duration(seconds: int) -> str:
    if seconds <= 1:
        return "a second"
    if seconds < 120:
        return f"{seconds} seconds"
    if seconds < 2 * 3600:
        return f"{math.ceil(seconds / 60)} minutes"
    return "a few hours, or use a recovery code"


class VerifyForm(forms.Form):
    code = forms.CharField(
        label="Code",
        help_text=(
            "The 6-digit code from your authenticator app, or one of your recovery codes if "
            "you do not have your phone."
        ),
        max_length=40,
        widget=forms.TextInput({"autocomplete": "one-time-code", "autofocus": True}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = None

    def clean_code(self):
        code = _normalise(self.cleaned_data["code"])
        model = (
            TOTPDevice if (code.isascii() and code.isdigit() and len(code) == 6) else StaticDevice
        )
        for device in model.objects.filter(user=self.user, confirmed=True):
            allowed, why = device.verify_is_allowed()
            if not allowed:
                wait = (why or {}).get("locked_until")
                seconds = math.ceil((wait - timezone.now()).total_seconds()) if wait else 60
                raise forms.ValidationError(
                    f"After a wrong code, wait {_duration(seconds)} before trying again."
                )
            verified = verify_token(self.user, device.persistent_id, code)
            if verified is not None:
                self.device = verified
                return code
        raise forms.ValidationError("That code did not work. Check it and try again.")


# Views ----------------------------------------------------------------------------------------


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _next_url(request) -> str:
    """Where the user was going, if it is a page of this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _qr_image(config_url: str) -> str:
    buffer = io.BytesIO()
    segno.make(config_url, error="m").save(
        buffer, kind="svg", scale=5, border=4, xmldecl=False, dark="#000", light="#fff"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _signed_in(request, device) -> None:
    """Mark the session verified by `device`, under a new session key."""
    request.session.cycle_key()
    request.session.pop(FAILURES_SESSION, None)
    request.session.pop(SETUP_KEY_SESSION, None)
    otp_login(request, device)


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_setup(request):
    """Set up an authenticator app: scan the QR code (or type the key), confirm with a code."""
    user = request.user
    next_url = _next_url(request)
    replacing = has_device(user)
    if replacing and not is_verified(user):
        # Replacing an app needs a code from the current one first.
        return redirect(_with_next(reverse("mfa_verify"), request.get_full_path()))
    key = request.session.get(SETUP_KEY_SESSION)
    if not key:
        key = random_hex(20)
        request.session[SETUP_KEY_SESSION] = key
    form = SetupForm(request.POST if request.method == "POST" else None, key=key)
    if request.method == "POST" and form.is_valid():
        device, codes = totp_device_confirm(user=user, key=key, t=form.t)
        _signed_in(request, device)
        return render(
            request,
            "registration/mfa_codes.html",
            {
                "codes": codes,
                "next": next_url or reverse("home"),
                "just_set_up": True,
                "replaced_codes": replacing,
            },
        )
    secret = base64.b32encode(bytes.fromhex(key)).decode("ascii")
    context = {
        "form": form,
        "next": next_url,
        "replacing": replacing,
        "required": required_by_policy(user),
        "qr_image": _qr_image(_config_url(user, secret)),
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
    }
    return render(request, "registration/mfa_setup.html", context)


def _config_url(user, secret: str) -> str:
    """What an authenticator app reads from the QR code: the key, and whose it is."""
    label = quote(f"{ISSUER}:{user.get_username()}")
    return f"otpauth://totp/{label}?" + urlencode(
        {"secret": secret, "issuer": ISSUER, "digits": 6, "period": 30}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    """The second step of signing in: a code from the app, or a recovery code."""
    user = request.user
    next_url = _next_url(request)
    if is_verified(user):
        return redirect(next_url or "home")
    if not has_device(user):
        return redirect(_with_next(reverse("mfa_setup"), next_url))
    form = VerifyForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST":
        if form.is_valid():
            _signed_in(request, form.device)
            if isinstance(form.device, StaticDevice):
                left = form.device.token_set.count()
                messages.info(
                    request,
                    f"You used a recovery code; {left} left. Make new ones from "
                    "“Two-step sign-in” when you can.",
                )
            return redirect(next_url or "home")
        failures = request.session.get(FAILURES_SESSION, 0) + 1
        request.session[FAILURES_SESSION] = failures
        if failures >= MAX_FAILURES:
            logout(request)
            messages.error(
                request,
                "You have been signed out after too many wrong codes. Sign in again to retry.",
            )
            return redirect("login")
    return render(request, "registration/mfa_verify.html", {"form": form, "next": next_url})


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_recovery_codes(request):
    """Make a new set of recovery codes (the old ones stop working), shown once."""
    user = request.user
    if not has_device(user):
        return redirect(_with_next(reverse("mfa_setup"), request.get_full_path()))
    if not is_verified(user):
        return redirect(_with_next(reverse("mfa_verify"), request.get_full_path()))
    if request.method == "POST":
        codes = recovery_codes_replace(user=user)
        return render(
            request,
            "registration/mfa_codes.html",
            {"codes": codes, "next": reverse("home"), "just_set_up": False, "replaced_codes": True},
        )
    left = StaticToken.objects.filter(device__user=user).count()
    return render(request, "registration/mfa_recovery_codes.html", {"left": left})
