from django.shortcuts import render

from cases import access, selectors
from cases.selectors.progress import work_of_agencies
from cases.selectors.stages import next_step, stage_steps
from cases.selectors.tasks import SHOWN as SHOWN_TASKS
from cases.selectors.tasks import my_tasks


def home(request):
    """The audits the user can see, under a dashboard: overdue and due-soon actions (from the
    action plan's template tag) and the audits still in progress with their stage."""
    page = selectors.audits_for_home(request.user, request.GET.get("page"))
    tasks = my_tasks(request.user)
    context = {
        "page": page,
        "in_progress": selectors.audits_in_progress(request.user),
        "tasks": tasks[:SHOWN_TASKS],
        "more_tasks": len(tasks) - SHOWN_TASKS,
        "can_create_audit": bool(access.memberships_of(request.user).chaired),
        "nav": "audits",
    }
    return render(request, "cases/home.html", context)


def audit_detail(request, pk):
    """The audit's hub. Readers of the published briefing alone (viewers) see just its links."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    allowed = access.allowed_actions(request.user, audit)
    context = {
        "audit": audit,
        "allowed": allowed,
        "nav": "audits",
        "published_version": selectors.latest_published_version(audit),
    }
    if "view_audit" not in allowed:
        return render(request, "cases/audit_published.html", context)
    actions = audit.actions.all()
    plan_agency_ids = access.plan_agency_ids(request.user, audit)
    if plan_agency_ids is not None:
        # A co-ordinator sees only their own agency's actions, as on the action plan.
        actions = actions.filter(owner_agency_id__in=plan_agency_ids)
    context.update(selectors.audit_overview(audit, actions))
    context["own_agency_only"] = not access.sees_every_action(request.user, audit)
    my_agency_ids = access.agency_ids_for(request.user, audit)
    context["my_agencies"] = [a for a in context["agencies"] if a.pk in my_agency_ids]
    context["my_work"] = work_of_agencies(audit, context["cases"], context["my_agencies"])
    context["steps"] = stage_steps(audit)
    context["next_step"] = next_step(audit, allowed)
    return render(request, "cases/audit_detail.html", context)
