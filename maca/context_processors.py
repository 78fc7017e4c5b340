from django.conf import settings

from maca import access
from maca.models import Membership


def navigation(request):
    """What the navigation bar offers: the access log for chairs (the action plan's link is the
    actions app's own, `actions.context_processors.navigation`)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = access.memberships_of(user).roles
    return {
        # For the page's warning before an idle sign-out (static/js/maca.js).
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "nav_is_chair": Membership.Role.CHAIR in roles,
    }
