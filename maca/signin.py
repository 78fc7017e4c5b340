"""Signing in: the form, and what django-axes records of a failed attempt."""

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

# django-axes stores the user name of a failed sign-in in a column of 255 characters.
AXES_USERNAME_MAX = 255


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


class SignInForm(AuthenticationForm):
    """A refused sign-in is about both fields together, so its message is not attached to
    either: both are marked invalid and described by the message (#login-error on the page)."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if self.non_field_errors():
            for name in ("username", "password"):
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = "login-error"
        return valid
