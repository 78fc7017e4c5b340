from django.shortcuts import render

from maca import access

from . import selectors


def home(request):
    audits = selectors.audits_for_home(request.user)
    return render(request, "cases/home.html", {"audits": audits, "nav": "audits"})


def audit_detail(request, pk):
    audit = access.get_audit_for(request, pk, "view_audit")
    context = {
        "audit": audit,
        "allowed": access.allowed_actions(request.user, audit),
        "nav": "audits",
        **selectors.audit_overview(audit),
    }
    return render(request, "cases/audit_detail.html", context)
