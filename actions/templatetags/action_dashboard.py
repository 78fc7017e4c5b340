"""The home page's action plan panels, so that the audits app need not import this one."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from actions import selectors
from actions.access import reads_plan

register = template.Library()


@register.inclusion_tag("actions/_dashboard_actions.html", takes_context=True)
def dashboard_actions(context):
    """Overdue and due-soon actions the user may see; nothing for a viewer until an audit's plan
    is published to them."""
    user = context["request"].user
    if not reads_plan(user):
        return {"shown": False}
    lists = selectors.dashboard_actions(user)
    plan = reverse("action_plan")
    return {
        "shown": True,
        "overdue": lists["overdue"],
        "due_soon": lists["due_soon"],
        "overdue_url": f"{plan}?{urlencode(lists['overdue'].query)}",
        "due_soon_url": f"{plan}?{urlencode(lists['due_soon'].query)}",
        "days": selectors.dashboard_days(),
    }
