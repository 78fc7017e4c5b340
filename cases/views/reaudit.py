"""Scheduling a re-audit of a closed audit's theme."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone

from cases import access
from cases.forms.setup import TOO_FAR_AHEAD, too_far_ahead
from cases.services import reaudit as services
from maca.once import one_press
from maca.widgets import CheckboxSelectMultiple, DateInput


class ReauditForm(forms.Form):
    meeting_date = forms.DateField(
        label="Date of the re-audit's multi-agency meeting",
        required=False,
        widget=DateInput,
        help_text="It can be set later on the new audit's details.",
    )
    carry_forward = forms.ModelMultipleChoiceField(
        label="Cases to carry forward (optional)",
        queryset=None,
        required=False,
        widget=CheckboxSelectMultiple,
        help_text="The same cases, by the same labels, with the children's identifying details "
        "copied: they are kept until the re-audit's own retention period ends.",
    )

    def __init__(self, *args, original, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carry_forward"].queryset = original.cases.all()

    def clean_meeting_date(self):
        day = self.cleaned_data["meeting_date"]
        if day and too_far_ahead(day):
            raise forms.ValidationError(TOO_FAR_AHEAD)
        if day and day < timezone.localdate():
            raise forms.ValidationError(
                "This date has gone by: a re-audit is scheduled for a meeting still to come. "
                "Choose a date from today on, or leave it empty and set it later."
            )
        return day


@one_press
def reaudit_schedule(request, pk):
    original = access.get_audit_for(request, pk, "schedule_reaudit")
    existing = services.open_reaudit_of(original)
    form = ReauditForm(request.POST if request.method == "POST" else None, original=original)
    if request.method == "POST" and form.is_valid():
        try:
            reaudit, created = services.reaudit_schedule(
                original=original,
                user=request.user,
                meeting_date=form.cleaned_data["meeting_date"],
                carry_forward=[case.pk for case in form.cleaned_data["carry_forward"]],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if created:
                messages.success(request, "The re-audit is scheduled as a new draft audit.")
            else:
                messages.info(request, "This audit's re-audit was already scheduled: here it is.")
            return redirect("audit_detail", pk=reaudit.pk)
    context = {
        "audit": original,
        "form": form,
        "existing": existing,
        "carried": services.carried_labels(existing) if existing else [],
        "nav": "audits",
    }
    return render(request, "cases/reaudit.html", context, status=422 if form.errors else 200)
