"""Signing in: the form, and what django-axes records of a failed attempt."""

import datetime
import ipaddress
from urllib.parse import urlsplit

from axes.handlers.database import AxesDatabaseHandler
from axes.utils import reset as reset_failed_sign_ins
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.views import LoginView, PasswordResetConfirmView
from django.core.cache import cache
from django.db.models import Sum
from django.utils.crypto import constant_time_compare, salted_hmac

from maca.addresses import client_address

# django-axes stores the user name of a failed sign-in in a column of 255 characters.
AXES_USERNAME_MAX = 255
# A browser someone signed in from before, known by a signed cookie naming their account: the
# name's lockout from every address does not keep them out there (see LockoutHandler).
KNOWN_BROWSER_COOKIE = "maca_known_browser"
KNOWN_BROWSER_SALT = "maca.signin.known-browser"
KNOWN_BROWSER_FOR = datetime.timedelta(days=180)


def axes_username(request, credentials=None) -> str | None:
    """The user name a failed sign-in is recorded and locked out under.

    Django's sign-in form does not limit what is typed as the user name, and django-axes stores
    it as it came: a longer one made the sign-in page a server error on PostgreSQL. No account's
    user name is that long (at most 150 characters), so cutting it changes no one's lockout.
    """
    field = settings.AXES_USERNAME_FORM_FIELD
    source = credentials if credentials else getattr(request, "data", request.POST)
    username = source.get(field) if source else None
    return username[:AXES_USERNAME_MAX] if isinstance(username, str) else username


def account_username(typed: str) -> str:
    """The user name of the one account `typed` names: its user name or its email address in
    any letter case (invited people's user names are their addresses, written small). A name no
    account has is written small: its sign-ins, and its lockout, are under one name however it
    is written, as a real account's are, so that a lockout tells nothing of which names exist."""
    accounts = get_user_model()._default_manager
    typed = typed.strip()
    for lookup in ("username__iexact", "email__iexact"):
        found = list(accounts.filter(**{lookup: typed}).values_list("username", flat=True)[:2])
        if len(found) == 1:
            return found[0]
        if found:  # two accounts of these letters: only the exact one is meant
            return typed
    return typed.casefold()


class SignInForm(AuthenticationForm):
    """A refused sign-in is about both fields together, so its message is not attached to
    either: both are marked invalid and described by the message (#login-error on the page).
    The user name may be written in any letter case, or be the account's email address."""

    def clean(self):
        if self.cleaned_data.get("username"):
            self.cleaned_data["username"] = account_username(self.cleaned_data["username"])
        return super().clean()

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if self.non_field_errors():
            for name in ("username", "password"):
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = "login-error"
        return valid


# Anyone may ask for a link to set a new password, for any address, as often as they like: an
# account is emailed one such link in this time, however often it is asked for. The link it was
# sent works; asking again sooner sends nothing more, and the page answers the same either way.
RESET_EMAIL_EVERY_SECONDS = 10 * 60


class OneResetEmailAWhileForm(PasswordResetForm):
    """Django's form of "Forgotten your password?", which emails an account at most once in
    RESET_EMAIL_EVERY_SECONDS, so that nobody can flood someone's inbox with links. The link
    leads to SITE_URL, as every email's does: never to the address the request was sent to,
    whose name and port are the asker's to choose (the port is not checked against
    ALLOWED_HOSTS), which would send the owner's working link wherever the asker likes."""

    def save(self, *args, **kwargs):
        site = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = site.netloc
        kwargs["use_https"] = site.scheme == "https"
        return super().save(*args, **kwargs)

    def get_users(self, email):
        for user in super().get_users(email):
            if cache.add(f"maca:password-reset-sent:{user.pk}", True, RESET_EMAIL_EVERY_SECONDS):
                yield user


class LockoutHandler(AxesDatabaseHandler):
    """Failed sign-ins are counted twice: for a user name at one address, against
    LOGIN_FAILURE_LIMIT, and for the name from every address, against the higher
    LOGIN_FAILURE_LIMIT_PER_NAME. So someone elsewhere cannot keep an account's owner out with a
    few wrong passwords, and many addresses do not buy endless guesses at one account. The
    name's own limit does not apply in a browser its owner signed in from before: guesses from
    many addresses cannot keep the owner out of their usual browser either. There the guesses
    made with the known browser's cookie, from whatever address, count against the name's
    limit instead: the cookie copied from a shared computer to many addresses buys no more
    guesses than many addresses do without it."""

    def get_failures(self, request, credentials=None) -> int:
        # One count for each of AXES_LOCKOUT_PARAMETERS, in its order.
        at_address, for_name = (
            attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        username = axes_username(request, credentials)
        if is_known_browser(request, username):
            # Guesses from elsewhere do not keep the owner out here; those made with the cookie do.
            for_name = cache.get(_known_browser_failures_key(username), 0)
        # The name's count on the scale of one address's: its own limit reached is the limit.
        limit, per_name = settings.AXES_FAILURE_LIMIT, settings.LOGIN_FAILURE_LIMIT_PER_NAME
        return max(at_address, for_name * limit // per_name)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None:
            username = axes_username(request, credentials)
            if is_known_browser(request, username):
                _count_known_browser_failure(username)
        super().user_login_failed(sender, credentials, request, **kwargs)


def lockout_address(request) -> str | None:
    """The address failed sign-ins are counted under: the client's (maca.addresses), and for
    IPv6 its /64 network, which one household or one attacker holds whole."""
    address = client_address(request)
    if address is None or ":" not in address:
        return address
    return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)


def is_known_browser(request, username: str | None) -> bool:
    """Whether the browser carries the signed cookie of a sign-in to the account `username`
    with its present password."""
    known = request.get_signed_cookie(
        KNOWN_BROWSER_COOKIE,
        default=None,
        salt=KNOWN_BROWSER_SALT,
        max_age=KNOWN_BROWSER_FOR.total_seconds(),
    )
    if known is None or not username:
        return False
    accounts = get_user_model()._default_manager
    password = accounts.filter(username=username).values_list("password", flat=True).first()
    return password is not None and constant_time_compare(known, _browser_mark(username, password))


def _browser_mark(username: str, password: str) -> str:
    """What the cookie holds: a keyed digest of the user name, not the name, which a shared
    computer's next user should not read, and of the account's password (its hash): setting a
    new password ends every cookie of the old one, wherever it was copied."""
    return salted_hmac(KNOWN_BROWSER_SALT, f"{username}\0{password}").hexdigest()


def _known_browser_failures_key(username: str) -> str:
    return f"maca:known-browser-failures:{_browser_mark(username, '')}"


def _count_known_browser_failure(username: str) -> None:
    """One more failed sign-in to `username` made with its known browser's cookie, counted for
    as long as a lockout lasts."""
    key = _known_browser_failures_key(username)
    lasts = int(settings.AXES_COOLOFF_TIME * 3600)
    cache.add(key, 0, lasts)
    try:
        cache.incr(key)
    except ValueError:  # gone since it was added
        cache.set(key, 1, lasts)


class SignInView(LoginView):
    """Django's sign-in page, which marks the browser as one its owner signs in from."""

    form_class = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        remember_browser(response, form.get_user())
        return response


def remember_browser(response, user) -> None:
    """Marks the browser `response` goes to as one `user` signs in from (with their password as
    it is now: a new password needs a new mark)."""
    response.set_signed_cookie(
        KNOWN_BROWSER_COOKIE,
        _browser_mark(user.get_username(), user.password),
        salt=KNOWN_BROWSER_SALT,
        max_age=int(KNOWN_BROWSER_FOR.total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class SetPasswordView(PasswordResetConfirmView):
    """Django's page of the emailed link that sets a new password. Setting it also ends the
    name's lockout: whoever holds the account's email has shown they are its owner, whom
    guesses from elsewhere should not keep out of a new browser either."""

    def form_valid(self, form):
        response = super().form_valid(form)
        username = form.user.get_username()
        reset_failed_sign_ins(username=username)
        cache.delete(_known_browser_failures_key(username))  # those made with a known browser
        return response
