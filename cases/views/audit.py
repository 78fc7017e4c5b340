from django.shortcuts import render

from cases import access, selectors
from cases.models import Audit
from cases.selectors.progress import work_of_agencies
from cases.selectors.stages import next_step, stage_steps


def home(request):
    """The audits the user can see, under a dashboard: overdue and due-soon actions (from the
    action plan's template tag) and the audits still in progress with their stage."""
    audits = list(selectors.audits_for_home(request.user))
    context = {
        "audits": audits,
        "in_progress": [audit for audit in audits if audit.status != Audit.Status.CLOSED],
        "can_create_audit": bool(access.memberships_of(request.user).chaired),
        "nav": "audits",
    }
    return render(request, "cases/home.html", context)


def audit_detail(request, pk):
    """The audit's hub. Readers of the published briefing alone (viewers) see just its links."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    allowed = access.allowed_actions(request.user, audit)
    context = {"audit": audit, "allowed": allowed, "nav": "audits"}
    if "view_audit" not in allowed:
        return render(request, "cases/audit_published.html", context)
    context.update(selectors.audit_overview(audit))
    context["tag_uses"] = selectors.tag_uses(context)
    context["own_agency_only"] = not access.sees_every_action(request.user, audit)
    plan_agency_ids = access.plan_agency_ids(request.user, audit)
    if plan_agency_ids is not None:
        # A co-ordinator sees only their own agency's actions, as on the action plan.
        context["actions"] = [a for a in context["actions"] if a.owner_agency_id in plan_agency_ids]
    my_agency_ids = access.agency_ids_for(request.user, audit)
    context["my_agencies"] = [a for a in context["agencies"] if a.pk in my_agency_ids]
    context["my_work"] = work_of_agencies(audit, context["cases"], context["my_agencies"])
    context["steps"] = stage_steps(audit)
    context["next_step"] = next_step(audit, allowed)
    return render(request, "cases/audit_detail.html", context)
