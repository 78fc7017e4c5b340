"""The multi-agency meeting's record: date, who came, notes per case, the learning summary."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.forms import inlineformset_factory

from cases.models import Audit
from maca.models import Agency

from .models import CaseMeetingNote, MeetingAttendee, MeetingRecord


class MeetingForm(forms.Form):
    meeting_date = forms.DateField(
        label="Date of the meeting",
        required=False,
        help_text="For example, 14/10/2026.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    learning_summary = forms.CharField(
        label="Learning summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What the partnership learned from these cases, in a few paragraphs.",
    )

    def __init__(self, *args, audit, cases, **kwargs):
        record = getattr(audit, "meeting_record", None)
        initial = {
            "meeting_date": audit.meeting_date,
            "learning_summary": record.learning_summary if record else "",
        }
        for case in cases:
            note = getattr(case, "meeting_note", None)
            initial[f"note_{case.pk}"] = note.text if note else ""
        super().__init__(*args, initial=initial, **kwargs)
        self.cases = cases
        for case in cases:
            self.fields[f"note_{case.pk}"] = forms.CharField(
                label=f"Notes on {case.label}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
            )

    def note_fields(self):
        return [self[f"note_{case.pk}"] for case in self.cases]

    def notes(self) -> dict[int, str]:
        return {case.pk: self.cleaned_data[f"note_{case.pk}"].strip() for case in self.cases}


class AttendeeForm(forms.ModelForm):
    class Meta:
        model = MeetingAttendee
        fields = ("name", "role", "agency")
        widgets = {
            "name": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "role": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "agency": forms.Select(attrs={"class": "form-select form-select-sm"}),
        }


def attendee_formset_class(audit):
    base = inlineformset_factory(
        Audit, MeetingAttendee, form=AttendeeForm, extra=3, can_delete=True
    )

    class AttendeeFormSet(base):
        def add_fields(self, form, index):
            super().add_fields(form, index)
            form.fields["agency"].queryset = Agency.objects.filter(audits=audit)
            form.fields["agency"].empty_label = "Not from an agency taking part"
            form.fields["name"].required = False

    return AttendeeFormSet


@transaction.atomic
def meeting_record_save(
    *, audit, meeting_date, learning_summary: str, notes: dict[int, str], attendees
) -> None:
    audit.meeting_date = meeting_date
    audit.save(update_fields=["meeting_date", "updated_at"])
    MeetingRecord.objects.update_or_create(
        audit=audit, defaults={"learning_summary": learning_summary.strip()}
    )
    for case_id, text in notes.items():
        CaseMeetingNote.objects.update_or_create(case_id=case_id, defaults={"text": text})
    for form in attendees.forms:
        if not form.has_changed() and not form.instance.pk:
            continue
        if form in attendees.deleted_forms or not form.cleaned_data.get("name", "").strip():
            if form.instance.pk:
                form.instance.delete()
            continue
        attendee = form.save(commit=False)
        attendee.audit = audit
        attendee.full_clean()
        attendee.save()
