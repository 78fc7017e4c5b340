from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cases.models import Audit
from maca import access
from maca.models import Agency, Membership

from . import exports, selectors, services
from .forms import (
    ActionForm,
    ActionUpdateForm,
    CancelForm,
    CompleteForm,
    PackageUploadForm,
    PlanFilterForm,
)
from .models import Action
from .package import PackageError, import_package, parse_package


def audit_import(request):
    """A partnership's chair brings a past audit into the record from a maca-audit/1 package."""
    partnerships = access.chaired_partnerships(request.user)
    if not partnerships.exists():
        raise Http404("Not found.")
    problems = []
    if request.method == "POST":
        form = PackageUploadForm(request.POST, request.FILES, partnerships=partnerships)
        if form.is_valid():
            try:
                data = parse_package(form.cleaned_data["package"].read())
                audit = import_package(data, into=form.cleaned_data["partnership"])
            except PackageError as error:
                problems = error.problems
            else:
                messages.success(request, f"Imported {audit.theme.name} with its briefing.")
                return redirect(audit)
    else:
        form = PackageUploadForm(partnerships=partnerships)
    context = {"form": form, "problems": problems, "nav": "audits"}
    status = 422 if (problems or form.errors) else 200
    return render(request, "actions/audit_import.html", context, status=status)


# The composite action plan -------------------------------------------------------------------

PAGE_SIZE = 25


def action_plan(request, mine=False):
    """Every action the user may see across audits, filtered in the URL, with RAG counts."""
    audits = Audit.objects.visible_to(request.user).select_related("theme")
    agencies = Agency.objects.filter(
        actions__in=access.restrict_actions(Action.objects.all(), request.user)
    ).distinct()
    form = PlanFilterForm(request.GET or None, audits=audits, agencies=agencies)
    filters = form.cleaned_data if form.is_valid() else {}
    if mine:
        filters = {**filters, "owner_agencies": list(_coordinated_agency_ids(request.user))}
    actions, counts = selectors.plan_for(request.user, filters=filters)
    page = Paginator(actions, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "counts": counts,
        "mine": mine,
        "query": query.urlencode(),
        "export_query": request.GET.urlencode(),
        "nav": "actions",
    }
    return render(request, "actions/plan.html", context)


def my_actions(request):
    return action_plan(request, mine=True)


def action_plan_export(request, fmt):
    """The plan as filtered on screen, as XLSX or CSV."""
    audits = Audit.objects.visible_to(request.user)
    agencies = Agency.objects.all()
    form = PlanFilterForm(request.GET or None, audits=audits, agencies=agencies)
    filters = form.cleaned_data if form.is_valid() else {}
    actions, _ = selectors.plan_for(request.user, filters=filters)
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        response = HttpResponse(
            exports.plan_xlsx(actions),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "csv":
        response = HttpResponse(exports.plan_csv(actions), content_type="text/csv; charset=utf-8")
    else:
        raise Http404("No such format.")
    response["Content-Disposition"] = f'attachment; filename="action-plan-{stamp}.{fmt}"'
    return response


def _coordinated_agency_ids(user):
    return Membership.objects.filter(user=user, role=Membership.Role.COORDINATOR).values_list(
        "agency_id", flat=True
    )


def action_detail(request, action_id):
    action = access.get_action_for(request, action_id)
    can_update = access.can_update_action(request.user, action)
    update_form = None
    if request.method == "POST":
        access.require(can_update)
        update_form = ActionUpdateForm(request.POST)
        if update_form.is_valid():
            try:
                services.action_post_update(
                    action=action, user=request.user, **update_form.cleaned_data
                )
            except ValidationError as error:
                update_form.add_error(None, error)
            else:
                messages.success(request, "Your update was added.")
                return redirect("action_detail", action_id=action.pk)
    elif can_update and action.is_open:
        update_form = ActionUpdateForm(
            initial={
                "date": timezone.localdate(),
                "status": action.status,
                "at_risk": action.at_risk,
            }
        )
    context = {
        "action": action,
        "audit": action.audit,
        "rag": action.rag(),
        "updates": action.updates.select_related("author"),
        "history": action.history.select_related("history_user")[:50],
        "update_form": update_form if action.is_open else None,
        "can_update": can_update,
        "allowed": access.allowed_actions(request.user, action.audit),
        "nav": "actions",
    }
    return render(
        request,
        "actions/detail.html",
        context,
        status=422 if update_form and update_form.errors else 200,
    )


def action_create(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    initial = {}
    if request.GET.get("recommendation", "").isdigit():
        initial["recommendation"] = audit.recommendations.filter(
            pk=request.GET["recommendation"]
        ).first()
    form = ActionForm(request.POST or None, audit=audit, initial=initial)
    if request.method == "POST" and form.is_valid():
        action = services.action_create(form=form, audit=audit, user=request.user)
        messages.success(request, "The action was added to the plan.")
        return redirect("action_detail", action_id=action.pk)
    context = {"form": form, "audit": audit, "nav": "actions"}
    return render(request, "actions/form.html", context, status=422 if form.errors else 200)


def action_edit(request, action_id):
    action = access.get_action_for(request, action_id)
    if not access.can(request.user, "manage_audit", action.audit):
        raise PermissionDenied
    form = ActionForm(request.POST or None, instance=action, audit=action.audit)
    if request.method == "POST" and form.is_valid():
        services.action_edit(form=form, user=request.user)
        messages.success(request, "The action was saved.")
        return redirect("action_detail", action_id=action.pk)
    context = {"form": form, "audit": action.audit, "action": action, "nav": "actions"}
    return render(request, "actions/form.html", context, status=422 if form.errors else 200)


def _chair_decision(request, action_id, form_class, service, template, done):
    action = access.get_action_for(request, action_id)
    if not access.can(request.user, "manage_audit", action.audit):
        raise PermissionDenied
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service(action=action, user=request.user, **form.cleaned_data)
        messages.success(request, done)
        return redirect("action_detail", action_id=action.pk)
    context = {"form": form, "action": action, "audit": action.audit, "nav": "actions"}
    return render(request, template, context, status=422 if form.errors else 200)


def action_complete(request, action_id):
    return _chair_decision(
        request,
        action_id,
        CompleteForm,
        services.action_complete,
        "actions/complete.html",
        "The action is signed off as complete.",
    )


def action_cancel(request, action_id):
    return _chair_decision(
        request,
        action_id,
        CancelForm,
        services.action_cancel,
        "actions/cancel.html",
        "The action is cancelled.",
    )


@require_POST
def action_reopen(request, action_id):
    action = access.get_action_for(request, action_id)
    if not access.can(request.user, "manage_audit", action.audit):
        raise PermissionDenied
    services.action_reopen(action=action, user=request.user)
    messages.success(request, "The action is open again.")
    return redirect("action_detail", action_id=action.pk)
