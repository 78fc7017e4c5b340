from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cases import access
from cases.models import PurgeRecord
from cases.services import retention
from maca.concurrency import version_of
from maca.once import one_press


class PurgeForm(forms.Form):
    include_files = forms.BooleanField(
        required=False,
        label="Also delete the agencies' uploaded chronology documents",
        help_text="The structured chronology rows, audit tools, briefing and action plan stay.",
    )
    confirm = forms.BooleanField(
        label="I understand this cannot be undone",
        error_messages={"required": "Tick to confirm that the identifiers are to be deleted."},
    )


class LegalHoldForm(forms.Form):
    reason = forms.CharField(
        label="Why must this audit's data be kept?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, a court order or a safeguarding practice review that needs it.",
        error_messages={"required": "Say why the audit's data must be kept."},
    )


def retention_page(request, pk, purge_form=None, hold_form=None, status=200):
    audit = access.get_audit_for(request, pk, "manage_audit")
    context = {
        "audit": audit,
        "purge_form": purge_form or PurgeForm(),
        "hold_form": hold_form or LegalHoldForm(),
        "records": PurgeRecord.objects.filter(audit_id_kept=audit.pk).select_related("purged_by"),
        "version": version_of(audit),
        "retention_years": settings.MACA_RETENTION_YEARS,
        "nav": "audits",
    }
    return render(request, "cases/retention.html", context, status=status)


@require_POST
@one_press
def purge(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    form = PurgeForm(request.POST)
    if not form.is_valid():
        return retention_page(request, pk, purge_form=form, status=422)
    try:
        record = retention.identifiers_purge(
            audit=audit, user=request.user, include_files=form.cleaned_data["include_files"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Deleted: {', '.join(f'{n} {k}' for k, n in record.detail.items())}."
        )
    return redirect("retention", pk=audit.pk)


@require_POST
@one_press
def legal_hold(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    loaded_version = request.POST.get("loaded_version")
    if request.POST.get("lift"):
        try:
            retention.legal_hold_lift(audit=audit, user=request.user, loaded_version=loaded_version)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "The legal hold is lifted.")
        return redirect("retention", pk=audit.pk)
    form = LegalHoldForm(request.POST)
    if not form.is_valid():
        return retention_page(request, pk, hold_form=form, status=422)
    try:
        retention.legal_hold_set(
            audit=audit,
            user=request.user,
            reason=form.cleaned_data["reason"],
            loaded_version=loaded_version,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "The audit is under legal hold: retention will not delete it.")
    return redirect("retention", pk=audit.pk)
