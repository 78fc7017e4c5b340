"""The multi-agency meeting's record: date, who came, notes per case, the learning summary."""

from __future__ import annotations

import datetime

from django import forms
from django.db import transaction
from django.forms import inlineformset_factory
from django.utils import timezone

from cases.forms.identifying import AsksAboutIdentifyingText
from cases.forms.setup import TOO_FAR_AHEAD, too_far_ahead
from cases.models import Audit
from cases.selectors.identifiers import identifying_details_in, listed
from cases.services.confirmations import texts_confirm
from maca.concurrency import Change, VersionedFormMixin
from maca.models import Agency
from maca.widgets import CheckboxSelectMultiple, DateInput

from .models import CaseMeetingNote, MeetingAttendee, MeetingRecord

MAX_ATTENDEES = 200
# Before this, a meeting date is a slip of the year (an audit package's own range is wider).
EARLIEST_MEETING = datetime.date(2000, 1, 1)


class MeetingForm(AsksAboutIdentifyingText, VersionedFormMixin, forms.Form):
    """The meeting's date (on the audit), notes per case and learning summary, with the
    attendees' formset alongside: versioned together by the audit, its meeting record and notes.
    """

    record_label = "the meeting record"
    identifying_where = (
        "Every member of the audit reads the meeting record, and the learning summary is "
        "published with the briefing"
    )
    meeting_date = forms.DateField(
        label="Date of the meeting",
        required=False,
        help_text="For example, 14/10/2026.",
        widget=DateInput(),
    )
    learning_summary = forms.CharField(
        label="Learning summary",
        required=False,
        max_length=MeetingRecord._meta.get_field("learning_summary").max_length,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What the partnership learned from these cases, in a few paragraphs.",
    )

    members_attending = forms.MultipleChoiceField(
        label="Members of the audit who attended",
        required=False,
        widget=CheckboxSelectMultiple,
        help_text="Tick them to add them to the list, with their role and agency.",
    )

    def __init__(self, *args, audit, cases, attendees=None, **kwargs):
        record = getattr(audit, "meeting_record", None)
        initial = {
            "meeting_date": audit.meeting_date,
            "learning_summary": record.learning_summary if record else "",
        }
        notes = [getattr(case, "meeting_note", None) for case in cases]
        for case, note in zip(cases, notes, strict=True):
            initial[f"note_{case.pk}"] = note.text if note else ""
        self.audit, self.attendees = audit, attendees
        self.versioned = (audit, record, *notes)
        super().__init__(*args, initial=initial, **kwargs)
        self.cases = cases
        for case in cases:
            self.fields[f"note_{case.pk}"] = forms.CharField(
                label=f"Notes on {case.label}",
                required=False,
                max_length=CaseMeetingNote._meta.get_field("text").max_length,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.members = _members_not_listed(audit)
        self.fields["members_attending"].choices = [
            (str(pk), described) for pk, (described, _) in self.members.items()
        ]
        notes = tuple(f"note_{case.pk}" for case in cases)
        self.version_fields = ("meeting_date", *notes, "learning_summary")

    def versioned_records(self) -> tuple:
        return self.versioned

    def clean_meeting_date(self):
        """As the audit's own form sets it: no slip of the year, either way. A date kept from
        before stays."""
        day = self.cleaned_data["meeting_date"]
        if day is None or "meeting_date" not in self.changed_data:
            return day
        if too_far_ahead(day):
            raise forms.ValidationError(TOO_FAR_AHEAD)
        if day < EARLIEST_MEETING:
            raise forms.ValidationError(
                f"This is before {EARLIEST_MEETING.year}: check the year, for example "
                f"{timezone.localdate():%d/%m/%Y}."
            )
        return day

    def conflict_changes(self) -> list[Change]:
        """The differing fields in the page's order, the attendees after the date."""
        changes = super().conflict_changes()
        saved = list(self.audit.meeting_attendees.select_related("agency"))
        keys = {(a.name.strip(), a.role.strip(), str(a.agency_id or "")) for a in saved}
        if self.attendees is not None and _typed_attendees(self.attendees) != keys:
            listed = "; ".join(
                ", ".join(filter(None, (a.name, a.role, a.agency.name if a.agency else "")))
                for a in saved
            )
            dated = changes and changes[0].label == str(self["meeting_date"].label)
            changes.insert(1 if dated else 0, Change("Who attended", listed))
        return changes

    def identifying_field_names(self) -> tuple[str, ...]:
        return (*(f"note_{case.pk}" for case in self.cases), "learning_summary")

    def note_fields(self):
        return [self[f"note_{case.pk}"] for case in self.cases]

    def check_no_identifiers(self) -> bool:
        """The notes and the summary compared with the children's recorded details, for the
        chair, who may read them (a QA member is asked only about shapes, as everywhere, so that
        no one tests guesses at what they may not read): every member and agency taking part
        reads the record. Whether nothing was found."""
        texts = [
            (name, self.cleaned_data.get(name) or "") for name in self.identifying_field_names()
        ]
        found = identifying_details_in(self.audit, texts)
        for name, details in found:
            self.add_error(
                name,
                f"This holds {listed(details)}: write “the child” or the case's label instead. "
                "Every member and agency taking part reads the meeting record.",
            )
        return not found

    def ticked_members(self) -> list[dict]:
        """The ticked members as attendees: their name, role and agency."""
        return [self.members[int(pk)][1] for pk in self.cleaned_data["members_attending"]]

    def notes(self) -> dict[int, str]:
        return {case.pk: self.cleaned_data[f"note_{case.pk}"].strip() for case in self.cases}


def _members_not_listed(audit) -> dict[int, tuple[str, dict]]:
    """The audit's members (not its viewers) not yet among the attendees, by membership:
    how the list describes them, and the attendee they would be."""
    from cases.selectors.nominations import audit_members

    listed = {name.casefold() for name in audit.meeting_attendees.values_list("name", flat=True)}
    agencies = set(audit.agencies.values_list("pk", flat=True))
    members = {}
    for membership in audit_members(audit):
        name = membership.user.get_full_name() or membership.user.username
        if membership.role == "viewer" or name.casefold() in listed:
            continue
        agency = membership.agency if membership.agency_id in agencies else None
        role = membership.get_role_display()
        described = ", ".join(filter(None, (name, role, agency.name if agency else "")))
        members[membership.pk] = (described, {"name": name, "role": role, "agency": agency})
    return members


def _typed_attendees(formset) -> set[tuple[str, str, str]]:
    """The attendees a bound formset would keep: named, and not ticked for removal."""
    typed = set()
    for form in formset.forms:
        name = (form["name"].value() or "").strip()
        if name and not form["DELETE"].value():
            typed.add(
                (name, (form["role"].value() or "").strip(), str(form["agency"].value() or ""))
            )
    return typed


class AttendeeForm(forms.ModelForm):
    class Meta:
        model = MeetingAttendee
        fields = ("name", "role", "agency")
        widgets = {
            "name": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "role": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
            "agency": forms.Select(attrs={"class": "form-select form-select-sm"}),
        }

    def clean(self):
        """A row with a role or an agency but no name is a mistake, not a row to drop unseen."""
        cleaned = super().clean()
        if not cleaned.get("name") and (cleaned.get("role") or cleaned.get("agency")):
            self.add_error("name", "Enter a name, or clear this row.")
        return cleaned


def with_row_asked_for(data, query, *, prefix: str):
    """The posted form, and whether it asked for one more attendee row ("Add attendee", which
    posts the form to ?add_attendee=1): then the page is shown again with everything typed and
    one more row, and nothing is saved."""
    if "add_attendee" not in query:
        return data, False
    data = data.copy()
    total = f"{prefix}-TOTAL_FORMS"
    try:
        rows = int(data.get(total) or 0)
    except ValueError:
        rows = 0
    data[total] = str(min(max(rows, 0), MAX_ATTENDEE_ROWS) + 1)
    return data, True


MAX_ATTENDEE_ROWS = 200


def attendee_formset_class(audit):
    base = inlineformset_factory(
        Audit,
        MeetingAttendee,
        form=AttendeeForm,
        extra=1,
        can_delete=True,
        # A meeting's attendees are tens: a page claiming a million rows is refused, not read.
        max_num=MAX_ATTENDEES,
        absolute_max=MAX_ATTENDEES,
        validate_max=True,
    )

    class AttendeeFormSet(base):
        default_error_messages = {
            **base.default_error_messages,
            "too_many_forms": f"A meeting record lists at most {MAX_ATTENDEES} attendees.",
        }

        def add_fields(self, form, index):
            super().add_fields(form, index)
            form.fields["agency"].queryset = Agency.objects.filter(audits=audit)
            form.fields["agency"].empty_label = "Not from an agency taking part"
            form.fields["name"].required = False

    return AttendeeFormSet


@transaction.atomic
def meeting_record_save(
    *,
    audit,
    meeting_date,
    learning_summary: str,
    notes: dict[int, str],
    attendees,
    members_attending: list[dict] = (),
    confirmed_texts=(),
    user=None,
) -> None:
    """The meeting's record, with the writer's confirmation that what looked identifying in the
    notes or summary is not (`confirmed_texts`)."""
    texts_confirm(audit=audit, texts=confirmed_texts, user=user)
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
    typed = {name.casefold() for name in audit.meeting_attendees.values_list("name", flat=True)}
    for member in members_attending:
        if member["name"].casefold() not in typed:  # typed into a row as well: once
            attendee = MeetingAttendee(audit=audit, **member)
            attendee.full_clean()
            attendee.save()
