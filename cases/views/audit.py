from django.shortcuts import render

from cases import selectors
from maca import access


def home(request):
    audits = selectors.audits_for_home(request.user)
    return render(request, "cases/home.html", {"audits": audits, "nav": "audits"})


def audit_detail(request, pk):
    """The audit's hub. Readers of the published briefing alone (viewers) see just its links."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    allowed = access.allowed_actions(request.user, audit)
    context = {"audit": audit, "allowed": allowed, "nav": "audits"}
    if "view_audit" not in allowed:
        return render(request, "cases/audit_published.html", context)
    context.update(selectors.audit_overview(audit))
    return render(request, "cases/audit_detail.html", context)
