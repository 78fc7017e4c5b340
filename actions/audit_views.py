"""The audit's page, its hub: it shows every layer (cases, the briefing's items, the action plan),
so it lives in the app that may read them all."""

from django.shortcuts import render

from cases import access
from cases.selectors import original_of
from cases.selectors.progress import work_of_agencies
from cases.selectors.stages import next_step, stage_steps

from .selectors import audit_facts, audit_overview


def audit_detail(request, pk):
    """The audit's hub. Readers of the published briefing alone (viewers) see just its links."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    allowed = access.allowed_actions(request.user, audit)
    facts = audit_facts(audit)
    context = {
        "audit": audit,
        "allowed": allowed,
        "nav": "audits",
        "published_version": facts.published_version,
        "original": original_of(audit, request.user),
    }
    if "view_audit" not in allowed:
        return render(request, "cases/audit_published.html", context)
    # A co-ordinator sees only their own agency's actions, as on the action plan, and once the
    # plan is published every action as a row, opening their agency's alone.
    plan_agency_ids = access.plan_agency_ids(request.user, audit)
    context["opening_agency_ids"] = access.opening_agency_ids(request.user, audit)
    context.update(audit_overview(audit, plan_agency_ids=plan_agency_ids))
    context["agencies"] = facts.agencies
    context["own_agency_only"] = not access.sees_every_action(request.user, audit)
    my_agency_ids = access.agency_ids_for(request.user, audit)
    context["my_agencies"] = [a for a in context["agencies"] if a.pk in my_agency_ids]
    context["my_work"] = work_of_agencies(audit, context["cases"], context["my_agencies"])
    context["steps"] = stage_steps(audit)
    context["next_step"] = next_step(audit, allowed)
    if "schedule_reaudit" in allowed:
        context["open_reaudit"] = facts.open_reaudit
    return render(request, "cases/audit_detail.html", context)
