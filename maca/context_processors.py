from django.conf import settings
from django.utils.functional import SimpleLazyObject

from maca import access
from maca.models import Membership


def navigation(request):
    """What the navigation bar offers: the access log for chairs, the partnership's pages for its
    administrators (the action plan's link is the actions app's own,
    `actions.context_processors.navigation`); and the partnership whose page this is."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = access.memberships_of(user)
    return {
        # For the page's warning before an idle sign-out (static/js/maca.js).
        "session_idle_seconds": settings.SESSION_COOKIE_AGE,
        "nav_is_chair": Membership.Role.CHAIR in memberships.roles,
        "nav_administers": bool(memberships.administered),
        "page_partnership": SimpleLazyObject(lambda: _page_partnership(request)),
    }


def _page_partnership(request):
    """The partnership whose name and logo head the page: the one the page is about (an audit's,
    an action's, the one administered), else the user's only partnership; None when they belong
    to several and the page is about none of them."""
    shown = getattr(request, "partnership", None)
    if shown is not None:
        return shown
    audit = getattr(request, "audit", None)
    if audit is not None:
        return audit.partnership
    partnership_ids = {where for where, _, _ in access.membership_rows(request.user)}
    if len(partnership_ids) != 1:
        return None
    return access.member_partnership(request.user, partnership_ids.pop())
