from actions.access import reads_plan
from maca import access
from maca.models import Membership


def navigation(request):
    """Whether the navigation bar offers the action plan: to those who read it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = access.memberships_of(user).roles
    # Viewers alone ask once more: they read the plan only where one is published to them.
    return {
        "nav_reads_plan": bool(roles & set(access.MEMBERS))
        or (Membership.Role.VIEWER in roles and reads_plan(user))
    }
