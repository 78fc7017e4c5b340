"""The page where an invited person accepts: signed in with the account of the invited address,
or by creating that account."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login, password_validation
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from maca import invitations
from maca.once import message_once, one_press
from maca.signin import SignInForm
from maca.text import RefuseControlCharactersMixin

TEMPLATE = "registration/invitation_accept.html"
BACKEND = "django.contrib.auth.backends.ModelBackend"


class AccountForm(RefuseControlCharactersMixin, forms.Form):
    """The invited person's own account: their name and a password."""

    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="The password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email
        rules = " ".join(password_validation.password_validators_help_texts())
        self.fields["password1"].help_text = f"One you do not use anywhere else. {rules}"

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ: type the same one twice.")
        elif first:
            person = get_user_model()(
                username=self.email,
                email=self.email,
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, user=person)
            except ValidationError as error:
                self.add_error("password1", error)
        return data


def _joined_text(invitation) -> str:
    where = f" for {invitation.agency}" if invitation.agency_id else ""
    return f"You are now {invitation.get_role_display()}{where} in {invitation.partnership}."


def _joined(request, invitation):
    # A second press of the button, signed in by the first, finds the invitation accepted.
    message_once(request, messages.SUCCESS, _joined_text(invitation))
    return redirect("home")


def _account_made(request, used, token):
    """A second press of "Create my account" from a browser the first did not sign in: its
    answer had not arrived when this one was sent. The account was made; the person signs in
    with it, as a repeat signs nobody in."""
    invitation = invitations.invitation_for_token(token)
    if invitation is None or invitation.accepted_by is None:
        return render(request, TEMPLATE, {"gone": True}, status=404)
    sign_in = SignInForm(request, initial={"username": invitation.accepted_by.get_username()})
    context = {
        "invitation": invitation,
        "joined": _joined_text(invitation),
        "next": used.result_url,
    }
    return render(request, TEMPLATE, {**context, "account_made": True, "sign_in_form": sign_in})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
@one_press(signed_out=_account_made, passwords=("password1", "password2"))
def invitation_accept(request, token):
    invitation = invitations.invitation_for_token(token)
    offered = (
        invitation is not None and invitation.is_open() and invitations.still_offered(invitation)
    )
    if invitation is None or not (offered or invitation.accepted_by == request.user):
        # Open still, but its sender no longer holds the role to send it: asking them is no use.
        lapsed = invitation is not None and invitation.is_open() and not offered
        return render(request, TEMPLATE, {"gone": True, "lapsed": lapsed}, status=404)
    context = {"invitation": invitation, "next": request.path}
    if request.user.is_authenticated:
        return _accept_signed_in(request, invitation, context)
    if invitations.account_for(invitation.email) is not None:
        return render(request, TEMPLATE, {**context, "sign_in": True})
    form = AccountForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = invitations.account_create(
                invitation=invitation,
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password1"],
            )
        except ValidationError as error:
            form.add_error(None, error.messages)  # the account's fields are not the form's
        else:
            login(request, user, backend=BACKEND)
            return _joined(request, invitation)
    status = 422 if form.errors else 200
    return render(request, TEMPLATE, {**context, "form": form}, status=status)


def _accept_signed_in(request, invitation, context):
    if invitation.accepted_by_id == request.user.pk and request.method == "GET":
        held = invitations.role_held_from(invitation, request.user)
        return render(request, TEMPLATE, {**context, "accepted": True, "held": held})
    mismatch = not invitations.is_for(invitation, request.user)
    if request.method == "POST" and not mismatch:
        try:
            invitations.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as error:
            context["refusal"] = error.messages[0]
        else:
            return _joined(request, invitation)
    return render(request, TEMPLATE, {**context, "signed_in": True, "mismatch": mismatch})
