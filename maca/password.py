"""Changing one's own password while signed in, knowing the current one. Every other session of
the account ends with it (Django checks each session against the password it was made under);
this one goes on. The owner is emailed a notice (`models.password_changed`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.db.models import F
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from maca.once import one_press
from maca.signin import remember_browser

TEMPLATE = "registration/password_change.html"
PASSWORD_FIELDS = ("old_password", "new_password1", "new_password2")
# Wrong current passwords allowed before the session is signed out, as for wrong codes of
# two-step sign-in: a session left open on a shared computer buys no more guesses, sent one
# after another or all at once.
MAX_WRONG = 5
CHANGED = "Your password was changed. Anywhere else you were signed in, you have been signed out."
SIGNED_OUT = "You have been signed out after too many wrong passwords. Sign in again to retry."


class OwnPasswordForm(PasswordChangeForm):
    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": "This is not your current password. Type it again.",  # noqa: S105
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Your current password"
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "The new password again"


@one_press(passwords=PASSWORD_FIELDS)
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = OwnPasswordForm(request.user, request.POST or None)
    if request.method == "POST":
        if _tries_counted(request.user) > MAX_WRONG:
            return _signed_out(request)  # not checked: the guesses allowed are spent
        if form.is_valid():
            return _changed(request, form)
        if "old_password" not in form.errors:
            _tries_ended(request.user)  # the current password was right
        elif request.user.current_password_tries >= MAX_WRONG:
            return _signed_out(request)
    status = 422 if form.errors else 200
    return render(request, TEMPLATE, {"form": form}, status=status)


def _changed(request, form):
    user = form.save()
    update_session_auth_hash(request, user)  # this session goes on; the others end
    _tries_ended(user)
    messages.success(request, CHANGED)
    response = redirect("home")
    remember_browser(response, user)
    return response


def _signed_out(request):
    logout(request)
    messages.error(request, SIGNED_OUT)
    return redirect("login")


def _tries_counted(user) -> int:
    """This press counted, in one statement, before its password is checked: of guesses sent at
    once, those past MAX_WRONG are refused unchecked, whatever order they are answered in."""
    accounts = get_user_model().objects.filter(pk=user.pk)
    accounts.update(current_password_tries=F("current_password_tries") + 1)
    user.current_password_tries = accounts.values_list("current_password_tries", flat=True).get()
    return user.current_password_tries


def _tries_ended(user) -> None:
    get_user_model().objects.filter(pk=user.pk).update(current_password_tries=0)


def password_tries_end_on_sign_in(sender, request, user, **kwargs) -> None:
    """Signing in again (knowing the password) starts the count of guesses again."""
    if user.current_password_tries:
        _tries_ended(user)
