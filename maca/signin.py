"""Signing in: what django-axes records of a failed attempt."""

from django.conf import settings

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
