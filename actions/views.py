import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from actions.access import can_update_action, get_action_for, reads_plan, restrict_actions
from cases import access, uploads
from cases.models import Audit
from maca.concurrency import NOTHING_CHANGED, no_lost_updates, version_of
from maca.downloads import attachment_response
from maca.middleware import still_waiting
from maca.models import Agency, Membership
from maca.once import AlreadyAdded, one_press
from maca.spreadsheets import csv_response, xlsx_response

from . import exports, imports, plan_pdf, selectors, services
from .forms import (
    ActionForm,
    ActionUpdateForm,
    CancelForm,
    CompleteForm,
    EvidenceForm,
    PackageUploadForm,
)
from .models import Action, ActionUpdate, Evidence, PackageImport
from .package import looks_identifying_after_import, package_export


def audit_package(request, pk):
    """The audit as a maca-audit/1 package, for its chair: to keep its learning when its data is
    deleted, or to bring it into another installation (import it there)."""
    audit = access.get_audit_for(request, pk, "export_audit")
    content = json.dumps(package_export(audit), indent=2, ensure_ascii=False) + "\n"
    return attachment_response(
        content.encode(), filename=package_filename(audit), content_type="application/json"
    )


def package_filename(audit) -> str:
    return f"{audit.file_stem}-{audit.pk}.maca-audit.json"


@one_press(gate=access.chair_reached)
def audit_import(request):
    """A partnership's chair brings a past audit into the record from a maca-audit/1 package:
    the file is kept and the worker imports it while a page shows how it goes."""
    partnerships = access.chaired_partnerships(request.user)
    if not partnerships.exists():
        raise Http404("Not found.")
    earlier = None
    if request.method == "POST":
        form = PackageUploadForm(request.POST, request.FILES, partnerships=partnerships)
        if form.is_valid():
            upload = form.cleaned_data["package"]
            try:
                job = imports.package_import_queue(
                    content=upload,
                    original_name=upload.name,
                    user=request.user,
                    partnership=form.cleaned_data["partnership"],
                    publish=form.cleaned_data["publish"],
                )
            except imports.AlreadyImported as error:
                form.add_error("package", error)
                earlier = _earlier_import_link(request.user, error.earlier)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _onward(request, job)
    else:
        form = PackageUploadForm(partnerships=partnerships)
    context = {"form": form, "earlier": earlier, "nav": "audits"}
    status = 422 if form.errors else 200
    return render(request, "actions/audit_import.html", context, status=status)


def _earlier_import_link(user, earlier: PackageImport) -> dict | None:
    """Where the chair sees the import of the same file made before theirs, when they may: its
    audit, or the page of an import still under way that they asked for themselves."""
    if earlier.status == PackageImport.Status.DONE:
        if Audit.objects.visible_to(user).filter(pk=earlier.audit_id).exists():
            return {"url": earlier.audit.get_absolute_url(), "text": "Open that audit"}
    elif imports.may_see(user, earlier):
        return {
            "url": reverse("audit_import_progress", args=[earlier.pk]),
            "text": "See how that import goes",
        }
    return None


# How often the progress page asks whether the import has finished.
POLL_SECONDS = 2


def _onward(request, job: PackageImport):
    """Straight to the audit when it is imported already (the immediate backend), else to the
    page that waits for it."""
    if job.status == PackageImport.Status.DONE and job.audit is not None:
        level, text = _imported(job.audit)
        messages.add_message(request, level, text)
        return redirect(job.audit)
    return redirect("audit_import_progress", import_id=job.pk)


@require_GET
def audit_import_progress(request, import_id):
    """How the chair's import goes, then its outcome: to the chair who asked, while they chair
    the partnership; 404 to everyone else."""
    job = get_object_or_404(PackageImport.objects.select_related("audit__theme"), pk=import_id)
    if not imports.may_see(request.user, job):
        raise Http404("Not found.")
    context = {"job": job, "poll_seconds": POLL_SECONDS, "nav": "audits"}
    if job.status == PackageImport.Status.DONE and job.audit is not None:
        request.audit = job.audit  # the access log files the look under the imported audit
        level, context["imported"] = _imported(job.audit)
        context["imported_warning"] = level == messages.WARNING
    if request.htmx and not job.finished:
        still_waiting(request)
    template = "actions/_import_progress.html" if request.htmx else "actions/import_progress.html"
    response = render(request, template, context)
    response["Cache-Control"] = "private, no-store"
    return response


def _imported(audit) -> tuple[int, str]:
    """What the chair is told of an imported audit: a warning when texts look identifying."""
    published = " and published it as version 1" if audit.briefing_published_at else ""
    done = f"Imported {audit.theme.name} with its briefing{published}."
    if flagged := looks_identifying_after_import(audit):
        return messages.WARNING, f"{done} {flagged}"
    return messages.SUCCESS, done


# The composite action plan -------------------------------------------------------------------

PAGE_SIZE = 25


def _require_plan_reader(request):
    """404 on the plan for anyone with no action to see (a viewer before any plan is published
    to them)."""
    access.require(reads_plan(request.user))


def action_plan(request, mine=False):
    """Every action the user may see across audits, filtered in the URL, with RAG counts."""
    _require_plan_reader(request)
    agencies = Agency.objects.filter(
        actions__in=restrict_actions(Action.objects.all(), request.user)
    ).distinct()
    form, filters = plan_pdf.plan_filters(request.user, request.GET, agencies=agencies)
    form.read_choices()
    own_agencies = list(plan_pdf.coordinated_agency_ids(request.user)) if mine else []
    if mine:
        filters = {**filters, "owner_agencies": own_agencies}
    actions, counts = selectors.plan_for(request.user, filters=filters)
    paginator = Paginator(actions.only(*selectors.PLAN_ROW_FIELDS), PAGE_SIZE)
    if not filters.get("rag"):
        paginator.count = sum(counts.values())  # the RAG counts have counted these actions
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    if mine:
        export_query["mine"] = "1"
    context = {
        "form": form,
        "page": page,
        "counts": counts,
        "mine": mine,
        "coordinates_none": mine and not own_agencies,
        "narrows_to_own_agency": _narrows_to_own_agency(request.user),
        # Someone in two partnerships is told whose each action is, as the PDF tells them.
        "several_partnerships": access.memberships_of(request.user).in_several_partnerships,
        "query": query.urlencode(),
        "export_query": export_query.urlencode(),
        "nav": "actions",
    }
    return render(request, "actions/plan.html", context)


def my_actions(request):
    return action_plan(request, mine=True)


def _exported_actions(request):
    _require_plan_reader(request)
    return plan_pdf.exported_actions(request.user, request.GET)


def action_plan_export(request, fmt):
    """The plan as filtered on screen, as XLSX or CSV."""
    if fmt not in ("xlsx", "csv"):
        raise Http404("No such format.")
    actions, _, _ = _exported_actions(request)
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return csv_response(exports.plan_csv_rows(actions), filename=f"action-plan-{stamp}.csv")
    return xlsx_response(
        "Action plan",
        exports.XLSX_COLUMNS,
        exports.rows(actions),
        f"action-plan-{stamp}",
        marking=plan_pdf.marking_of_actions(actions),
        fills=exports.rag_fill,
    )


def audit_actions(request, pk):
    """One audit's plan, grouped by recommendation: members of the audit, and viewers once the
    chair has published it with the briefing; 404 to anyone else."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    access.require(access.can(request.user, "view_plan", audit))
    allowed = access.allowed_actions(request.user, audit)
    roles = access.roles_for(request.user, audit)
    context = {
        "audit": audit,
        "allowed": allowed,
        "can_add": "manage_audit" in allowed,
        "own_agency_only": not access.sees_every_action(request.user, audit)
        and Membership.Role.COORDINATOR in roles,
        "published_plan": Membership.Role.VIEWER in roles and "view_audit" not in allowed,
        "export_query": urlencode({"audit": audit.pk}),
        "nav": "audits",
        **selectors.audit_plan(audit, request.user),
    }
    return render(request, "actions/audit_actions.html", context)


def _narrows_to_own_agency(user) -> bool:
    """Whether "only my agency's actions" shows fewer than the whole plan: for a co-ordinator
    who also sees other agencies' actions (as a chair, QA member or viewer, or in a plan
    published with its briefing), not for one who sees only their own agency's anyway."""
    mine = access.memberships_of(user)
    if not mine.coordinated:
        return False
    others = restrict_actions(Action.objects.all(), user).exclude(
        owner_agency_id__in=plan_pdf.coordinated_agency_ids(user)
    )
    return others.exists()


UPLOAD_CODES = {
    "empty", "too_large", "wrong_type", "duplicate", "damaged", "dangerous_name", "not_whole",
    "too_many_parts", "unpacks_too_large",
}  # fmt: skip


def _file_error(form, field, error):
    """Put a refused file's message next to the file field, anything else at the top."""
    form.add_error(field if getattr(error, "code", None) in UPLOAD_CODES else None, error)


@one_press
@no_lost_updates
def action_detail(request, action_id):
    action = get_action_for(request, action_id)
    can_update = can_update_action(request.user, action)
    update_form = None
    if request.method == "POST" and not action.is_open:
        access.require(can_update)
        # Signed off or cancelled since the page was opened: say so, and give the words back.
        unsent = request.POST.get("text", "")[: ActionUpdate._meta.get_field("text").max_length]
        return _detail_page(request, action, can_update=can_update, unsent=unsent, status=409)
    if request.method == "POST":
        access.require(can_update)
        update_form = ActionUpdateForm(request.POST, request.FILES, action=action)
        if update_form.is_valid():
            try:
                services.action_post_update(
                    action=action, user=request.user, **update_form.update_fields()
                )
            except ValidationError as error:
                update_form.add_error(None, error)
            except AlreadyAdded:
                messages.info(request, "This update was already added: it is not added twice.")
                return redirect("action_detail", action_id=action.pk)
            else:
                messages.success(request, "Your update was added.")
                return redirect("action_detail", action_id=action.pk)
    elif can_update and action.is_open:
        update_form = ActionUpdateForm(action=action)
    return _detail_page(
        request,
        action,
        can_update=can_update,
        update_form=update_form,
        status=422 if update_form and update_form.errors else 200,
    )


def _detail_page(
    request, action, *, can_update, update_form=None, evidence_form=None, unsent=None, status
):
    if evidence_form is None and can_update and action.is_open:
        evidence_form = EvidenceForm()
    context = {
        "action": action,
        "audit": action.audit,
        "rag": action.rag(),
        "updates": action.updates.select_related("author"),
        "evidence": action.evidence.select_related("uploaded_by"),
        "history": selectors.action_history(action),
        "update_form": update_form if action.is_open else None,
        "evidence_form": evidence_form if action.is_open else None,
        # The error summary at the top speaks for whichever form came back with problems.
        "form": next((f for f in (update_form, evidence_form) if f and f.errors), None),
        "can_update": can_update,
        "unsent": unsent,
        "version": version_of(action),
        "allowed": access.allowed_actions(request.user, action.audit),
        "nav": "actions",
    }
    return render(request, "actions/detail.html", context, status=status)


@require_POST
@one_press
def action_evidence_upload(request, action_id):
    """The owner agency's co-ordinators and the chair add a file of evidence to an open action."""
    action = get_action_for(request, action_id)
    can_update = can_update_action(request.user, action)
    access.require(can_update)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            evidence = services.action_evidence_add(
                action=action,
                user=request.user,
                uploaded_file=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as error:
            _file_error(form, "file", error)
        else:
            messages.success(request, f"“{evidence.original_name}” was added as evidence.")
            return redirect(reverse("action_detail", args=[action.pk]) + "#evidence")
    return _detail_page(
        request,
        action,
        can_update=can_update,
        update_form=_blank_update_form(action) if action.is_open else None,
        evidence_form=form,
        status=422,
    )


def _blank_update_form(action):
    return ActionUpdateForm(action=action)


def action_evidence_download(request, action_id, evidence_id):
    """A file of evidence, to anyone who may see the action; 404 to everyone else."""
    action = get_action_for(request, action_id)
    return uploads.download_response(get_object_or_404(Evidence, pk=evidence_id, action=action))


@one_press
@no_lost_updates
def action_create(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    initial = {}
    asked = request.GET.get("recommendation", "")
    if asked.isascii() and asked.isdigit() and len(asked) <= 18:  # an id, not "²" or 5,000 digits
        initial["recommendation"] = audit.recommendations.filter(pk=asked).first()
    form = ActionForm(request.POST or None, audit=audit, initial=initial)
    if request.method == "POST" and form.is_valid():
        action = services.action_create(audit=audit, user=request.user, **form.service_fields())
        messages.success(request, "The action was added to the plan.")
        return redirect("action_detail", action_id=action.pk)
    context = {"form": form, "audit": audit, "nav": "actions"}
    return render(request, "actions/form.html", context, status=422 if form.errors else 200)


@one_press
@no_lost_updates
def action_edit(request, action_id):
    action = get_action_for(request, action_id)
    if not access.can(request.user, "manage_audit", action.audit):
        raise PermissionDenied
    form = ActionForm(request.POST or None, instance=action, audit=action.audit)
    if request.method == "POST" and form.is_valid():
        if services.action_edit(action=action, user=request.user, **form.service_fields()):
            messages.success(request, "The action was saved.")
        else:
            messages.info(request, NOTHING_CHANGED)
        return redirect("action_detail", action_id=action.pk)
    context = {"form": form, "audit": action.audit, "action": action, "nav": "actions"}
    return render(request, "actions/form.html", context, status=422 if form.errors else 200)


def _chair_decision(request, action_id, form_class, service, template, done):
    action = get_action_for(request, action_id)
    if not access.can(request.user, "manage_audit", action.audit):
        raise PermissionDenied
    form = form_class(request.POST or None, action=action)
    if request.method == "POST" and form.is_valid():
        service(action=action, user=request.user, **form.decision())
        messages.success(request, done)
        return redirect("action_detail", action_id=action.pk)
    context = {"form": form, "action": action, "audit": action.audit, "nav": "actions"}
    return render(request, template, context, status=422 if form.errors else 200)


@one_press
@no_lost_updates
def action_complete(request, action_id):
    return _chair_decision(
        request,
        action_id,
        CompleteForm,
        services.action_complete,
        "actions/complete.html",
        "The action is signed off as complete.",
    )


@one_press
@no_lost_updates
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
@one_press
def action_reopen(request, action_id):
    action = get_action_for(request, action_id)
    if not access.can(request.user, "manage_audit", action.audit):
        raise PermissionDenied
    try:
        services.action_reopen(
            action=action, user=request.user, loaded_version=request.POST.get("loaded_version")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The action is open again.")
    return redirect("action_detail", action_id=action.pk)
