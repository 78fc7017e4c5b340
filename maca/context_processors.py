from django.conf import settings

from maca import access
from maca.models import Membership


def navigation(request):
    """What the navigation bar offers: the plan for those who read it, the access log for chairs."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = access.memberships_of(user).roles
    return {
        # For the page's warning before an idle sign-out (static/js/maca.js).
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "nav_is_chair": Membership.Role.CHAIR in roles,
        # Viewers alone ask once more: they read the plan only where one is published to them.
        "nav_reads_plan": bool(roles - {Membership.Role.VIEWER})
        or (bool(roles) and access.reads_plan(user)),
    }
