"""The action plan's part of the home page, for the audits app's template, which cannot import
this app: `{{ dashboard_actions(request) }}`."""

from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.urls import reverse
from markupsafe import Markup

from actions import selectors
from actions.access import reads_plan
from maca.access import memberships_of
from maca.jinja import FilterExtension


def dashboard_actions(request) -> Markup:
    """Overdue and due-soon actions the user may see; nothing for a viewer until an audit's plan
    is published to them."""
    user = request.user
    if not reads_plan(user):
        return Markup()
    lists = selectors.dashboard_actions(user)
    plan = reverse("action_plan")
    context = {
        "overdue": lists["overdue"],
        "due_soon": lists["due_soon"],
        "overdue_url": f"{plan}?{urlencode(lists['overdue'].query)}",
        "due_soon_url": f"{plan}?{urlencode(lists['due_soon'].query)}",
        "days": selectors.dashboard_days(),
        # Someone in two partnerships is told whose plan each action is in.
        "several_partnerships": memberships_of(user).in_several_partnerships,
    }
    # A page drawn with escaping on, as every template is.
    return Markup(render_to_string("actions/_dashboard_actions.html", context))  # noqa: S704


class ActionsExtension(FilterExtension):
    functions = {"dashboard_actions": dashboard_actions}
