from django.shortcuts import render

from cases import access, selectors
from cases.selectors.tasks import SHOWN as SHOWN_TASKS
from cases.selectors.tasks import my_tasks


def home(request):
    """The audits the user can see, under a dashboard: overdue and due-soon actions (from the
    action plan's template tag) and the audits still in progress with their stage."""
    page = selectors.audits_for_home(request.user, request.GET.get("page"))
    tasks = my_tasks(request.user)
    memberships = access.memberships_of(request.user)
    context = {
        "page": page,
        "in_progress": selectors.audits_in_progress(request.user),
        "tasks": tasks[:SHOWN_TASKS],
        "more_tasks": len(tasks) - SHOWN_TASKS,
        "can_create_audit": bool(memberships.chaired),
        # Someone in two partnerships is told whose audit each one in progress is.
        "several_partnerships": memberships.in_several_partnerships,
        "nav": "audits",
    }
    return render(request, "cases/home.html", context)
