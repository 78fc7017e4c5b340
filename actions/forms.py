import datetime
from collections import Counter

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.dateformat import format as date_format

from actions.access import lead_refusal
from cases.forms.identifying import CONFIRM_FIELD, AsksAboutIdentifyingText
from cases.forms.setup import TOO_FAR_AHEAD, too_far_ahead
from cases.naming import theme_and_kind
from cases.selectors.identifiers import identifying_details_in
from cases.uploads import upload_field
from maca.concurrency import FIELD, VALUES, Change, VersionedFormMixin
from maca.models import Agency, Membership, User
from maca.text import RefuseControlCharactersMixin
from maca.widgets import DateInput
from maca.wording import size_limit

from .models import Action, ActionUpdate, Rag

MAX_PACKAGE_BYTES = 5 * 1024 * 1024
OPEN = "open"  # the plan's status filter: not started or in progress


class PackageUploadForm(forms.Form):
    package = forms.FileField(
        label="Audit package (JSON)",
        help_text="A maca-audit/1 file, as written by “Export” or another MACA installation.",
    )
    partnership = forms.ModelChoiceField(queryset=None, empty_label=None)
    publish = forms.BooleanField(
        required=False,
        label="Publish its briefing as version 1",
        help_text=(
            "Dated from the package's meeting date (else today), with its action plan when it "
            "has one, so that the learning library and trends include it. Checked for a child's "
            "identifying details as any briefing is."
        ),
    )

    def __init__(self, *args, partnerships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partnership"].queryset = partnerships
        if partnerships.count() == 1:
            self.fields["partnership"].widget = forms.HiddenInput()
            self.fields["partnership"].initial = partnerships.first()

    def clean_package(self):
        upload = self.cleaned_data["package"]
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        if upload.size > MAX_PACKAGE_BYTES:
            raise forms.ValidationError(
                "The file is larger than 5 MB: it cannot be an audit package."
            )
        return upload


LEAD_ROLES = (Membership.Role.CHAIR, Membership.Role.QA_MEMBER, Membership.Role.COORDINATOR)


def check_plan_text(form, audit, field_names) -> None:
    """An action's words may not name the children, as the briefing's may not: the audit's
    members, the owning agency's co-ordinators and their reminder emails read them, and viewers
    too once the plan is published with the briefing. (Only the chair writes them, who may read
    the children's details.)"""
    if audit.plan_published_at is None:
        readers = "The audit's members, the agency that owns the action and its reminder emails"
    else:
        readers = "Viewers"
    texts = [(name, form.cleaned_data.get(name)) for name in field_names]
    for name, found in identifying_details_in(audit, texts):
        form.add_error(
            name,
            f"{readers} read this audit's action plan, and this holds {', '.join(found)}. "
            "Take it out.",
        )


PLAN_READERS = "Everyone who reads the audit's action plan may read this"


class ActionForm(
    AsksAboutIdentifyingText, RefuseControlCharactersMixin, VersionedFormMixin, forms.ModelForm
):
    """The chair's form: create, edit and reassign an action."""

    record_label = "this action"
    identifying_fields = ("text", "intended_outcome", "impact_measure", "lead")
    identifying_where = PLAN_READERS

    class Meta:
        model = Action
        fields = (
            "recommendation",
            "text",
            "intended_outcome",
            "impact_measure",
            "owner_agency",
            "lead_user",
            "lead",
            "due_date",
        )
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "intended_outcome": forms.Textarea(attrs={"rows": 2}),
            "impact_measure": forms.Textarea(attrs={"rows": 2}),
            "due_date": DateInput,
        }
        help_texts = {"lead": "A named officer, when the lead does not use MACA."}

    def __init__(self, *args, audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.audit = audit
        self.fields["recommendation"].queryset = audit.recommendations.all()
        self.fields["recommendation"].empty_label = "Not from a recommendation"
        self.fields["owner_agency"].queryset = Agency.objects.filter(audits=audit)
        self.fields["owner_agency"].required = True
        self.fields["owner_agency"].empty_label = "Choose the agency that owns it"
        self.fields["owner_agency"].error_messages["required"] = (
            "Choose the agency that owns this action."
        )
        # Someone who can follow the action up in MACA: a member of the partnership, not a viewer
        # (and the lead it has now, so that editing does not force a new one).
        can_lead = Q(
            is_active=True,
            memberships__partnership=audit.partnership,
            memberships__role__in=LEAD_ROLES,
        )
        self.fields["lead_user"].empty_label = "Not a MACA user: name the lead below"
        self.fields["lead_user"].queryset = (
            User.objects.filter(can_lead | Q(pk=self.instance.lead_user_id))
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
        self.fields["text"].error_messages["required"] = "Say what will be done."
        # An action without one would never be overdue: Green for ever.
        self.fields["due_date"].required = True
        self.fields["due_date"].error_messages["required"] = (
            "Give the date the action is due by: an action without one is never shown as overdue."
        )

    def service_fields(self) -> dict:
        """The cleaned values as action_create and action_edit take them."""
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        return {**fields, "confirmed_texts": self.texts_to_confirm}

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        unchanged = self.instance.pk and due == self.instance.due_date
        if due and due < timezone.localdate() and not unchanged:
            raise forms.ValidationError("The due date is in the past: choose a date from today on.")
        if due and too_far_ahead(due) and not unchanged:
            raise forms.ValidationError(TOO_FAR_AHEAD)
        return due

    def clean(self):
        cleaned = super().clean()
        check_plan_text(self, self.audit, ("text", "intended_outcome", "impact_measure", "lead"))
        lead_user, lead = cleaned.get("lead_user"), (cleaned.get("lead") or "").strip()
        if not lead_user and not lead:
            self.add_error("lead", "Choose a lead from MACA's users or name the lead officer.")
        elif lead_user and lead:
            self.add_error(
                "lead",
                "Give one lead: choose a MACA user or name an officer who does not use MACA, "
                "not both.",
            )
        self._check_lead_can_open(lead_user, cleaned.get("owner_agency"))
        return cleaned

    def _check_lead_can_open(self, lead_user, owner_agency) -> None:
        """A lead who could not open the action would never see it, nor be reminded of it."""
        if not {"lead_user", "owner_agency"} & set(self.changed_data):
            return  # as it was: editing something else does not force a new lead
        refusal = lead_refusal(lead_user, self.audit, owner_agency)
        if refusal:
            self.add_error("lead_user", refusal)


EVIDENCE_ACCEPT = (
    ".pdf,.docx,.xlsx,.csv,.png,.jpg,.jpeg,application/pdf,text/csv,image/png,image/jpeg"
)


def _evidence_help() -> str:
    limit = size_limit(settings.MACA_UPLOAD_MAX_BYTES)
    return (
        f"PDF, Word (DOCX), Excel (XLSX), CSV, or a photograph as PNG or JPEG, up to {limit}: "
        "for example a training sign-in sheet, a poster or a revised procedure."
    )


class EvidenceForm(forms.Form):
    """A file showing an action's progress or impact."""

    file = upload_field(
        "File showing the action’s progress or impact",
        accept=EVIDENCE_ACCEPT,
        choose="Choose the file to upload.",
    )
    description = forms.CharField(
        label="What it shows (optional)",
        max_length=300,
        required=False,
        help_text="For example: sign-in sheet from the March training session.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _evidence_help()


class ActionUpdateForm(
    AsksAboutIdentifyingText, RefuseControlCharactersMixin, VersionedFormMixin, forms.Form
):
    """The owner agency's progress update. Files of evidence are added with EvidenceForm, the
    one way to add them, so the action page offers a single file field.

    It sets the action's status and risk flag, so the action's version is kept: a status or
    flag changed by someone else meanwhile is not overwritten unseen.
    """

    record_label = "this action"
    version_fields = ("status", "at_risk")
    identifying_where = "The chair, the QA members and the agency's co-ordinators read this"

    date = forms.DateField(
        label="Date of the update",
        widget=DateInput,
        error_messages={
            "required": "Enter the date of the update.",
        },
    )
    text = forms.CharField(
        label="What has happened",
        max_length=ActionUpdate._meta.get_field("text").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what has happened."},
    )
    status = forms.ChoiceField(
        choices=[("not_started", "Not started"), ("in_progress", "In progress")]
    )
    at_risk = forms.BooleanField(
        label="At risk of missing its due date",
        required=False,
        help_text="Shows the action as amber until the flag is cleared.",
    )

    def __init__(self, *args, action, **kwargs):
        self.action = action
        initial = {"date": timezone.localdate(), "status": action.status, "at_risk": action.at_risk}
        super().__init__(*args, initial=initial, **kwargs)

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("The update's date cannot be in the future.")
        earliest, since = self._earliest_date()
        if earliest and date < earliest:
            raise forms.ValidationError(
                f"The update's date cannot be before {since}, on {date_format(earliest, 'j F Y')}."
            )
        return date

    def _earliest_date(self) -> tuple[datetime.date | None, str]:
        """Work on an action starts at the audit's meeting, where its actions are agreed, or on
        the day it was added to the plan if that was earlier (a plan published before the
        meeting). An audit with no meeting date sets no such start."""
        meeting = self.action.audit.meeting_date
        added = timezone.localdate(self.action.created_at)
        if meeting and added < meeting:
            return added, "the action was added to the plan"
        return meeting, "the audit's meeting, where its actions were agreed"

    def clean(self):
        # A page opened when this form still took a file sends one: added here it would be
        # lost unseen, so nothing is saved and the words typed are kept.
        if self.files:
            self.add_error(None, "Add files under Evidence: this form takes words only.")
        return super().clean()

    def versioned_records(self) -> tuple:
        return (self.action,)

    def identifying_audit(self):
        return self.action.audit

    def update_fields(self) -> dict:
        """The cleaned values as action_post_update takes them."""
        names = ("date", "text", "status", "at_risk")
        fields = {name: self.cleaned_data[name] for name in names}
        return {**fields, "confirmed_texts": self.texts_to_confirm}


class ActionDecisionForm(
    AsksAboutIdentifyingText, RefuseControlCharactersMixin, VersionedFormMixin, forms.Form
):
    """The chair's decision on an action (sign-off, cancelling), taken on the action as it is:
    if it changed since the page was opened, the decision is refused and its state shown."""

    record_label = "this action"
    conflict_heading = "The action as it is now:"
    identifying_fields = ("outcome_statement", "cancel_reason")
    identifying_where = PLAN_READERS

    def __init__(self, *args, action, **kwargs):
        self.action = action
        super().__init__(*args, **kwargs)

    def versioned_records(self) -> tuple:
        return (self.action,)

    def identifying_audit(self):
        return self.action.audit

    def conflict_changes(self) -> list[Change]:
        action = self.action
        changes = [Change("Status", action.get_status_display())]
        if action.status == Action.Status.COMPLETE:
            changes.append(Change("Outcome statement", action.outcome_statement))
        elif action.status == Action.Status.CANCELLED:
            changes.append(Change("Cancelled because", action.cancel_reason))
        else:
            changes.append(
                Change("At risk of missing its due date", "Yes" if action.at_risk else "No")
            )
        latest = action.updates.order_by("-date", "-id").first()
        if latest is not None:
            changes.append(
                Change("Latest update", f"{date_format(latest.date, 'j F Y')}: {latest.text}")
            )
        return changes

    def decision(self) -> dict:
        """The cleaned values as the service takes them."""
        decided = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in (FIELD, VALUES, CONFIRM_FIELD)
        }
        return {**decided, "confirmed_texts": self.texts_to_confirm}


class CompleteForm(ActionDecisionForm):
    outcome_statement = forms.CharField(
        label="Outcome statement",
        max_length=Action._meta.get_field("outcome_statement").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the action achieved, and the evidence of its impact.",
        error_messages={"required": "Say what the action achieved."},
    )

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, action=action, **kwargs)
        # A reopened action's last outcome, to sign it off again without typing it afresh.
        self.fields["outcome_statement"].initial = action.outcome_statement

    def clean(self):
        cleaned = super().clean()
        check_plan_text(self, self.action.audit, ("outcome_statement",))
        return cleaned


class CancelForm(ActionDecisionForm):
    cancel_reason = forms.CharField(
        label="Why is it cancelled?",
        max_length=Action._meta.get_field("cancel_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the action is cancelled."},
    )

    def clean(self):
        cleaned = super().clean()
        check_plan_text(self, self.action.audit, ("cancel_reason",))
        return cleaned


def _audit_names(rows, *, several_partnerships=False) -> dict[int, str]:
    """Each audit's theme, "(re-audit)" for a re-audit, and its title, with its partnership when
    the audits are of several; with its meeting date where that alone would name two audits
    alike (a theme audited again in a later year)."""
    names = {
        pk: f"{theme_and_kind(theme, reaudit=reaudit_of is not None)} — {title}"
        + (f" ({partnership})" if several_partnerships else "")
        for pk, theme, title, reaudit_of, _, partnership in rows
    }
    counted = Counter(names.values())
    for pk, *_, meeting_date, _ in rows:
        if counted[names[pk]] > 1:
            held = (
                f"meeting {date_format(meeting_date, 'j F Y')}"
                if meeting_date
                else "meeting date not set"
            )
            names[pk] += f" ({held})"
    return names


class PlanFilterForm(forms.Form):
    """Filters of the composite plan; they live in the URL so a view can be shared."""

    audit = forms.ModelChoiceField(queryset=None, required=False, empty_label="All audits")
    owner_agency = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All agencies", label="Owner agency"
    )
    status = forms.ChoiceField(required=False)
    rag = forms.ChoiceField(required=False, label="RAG")
    overdue = forms.BooleanField(required=False, label="Overdue only")
    due_from = forms.DateField(required=False, label="Due from", widget=DateInput)
    due_to = forms.DateField(required=False, label="Due by", widget=DateInput)
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("due", "Due date, soonest first"),
            ("-due", "Due date, latest first"),
            ("status", "Status"),
            ("owner", "Owner agency"),
            ("audit", "Audit"),
        ],
    )

    def __init__(self, *args, audits, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audit"].queryset = audits
        self.fields["owner_agency"].queryset = agencies
        self.fields["status"].choices = [
            ("", "Any status"),
            (OPEN, "Open (not started or in progress)"),
            *Action.Status.choices,
        ]
        self.fields["rag"].choices = [("", "Any"), *Rag.choices]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("due_from"), cleaned.get("due_to")
        if start and end and start > end:
            self.add_error(
                "due_to",
                f"“Due by” is before “Due from” ({date_format(start, 'j F Y')}): no action "
                "could be due between them. Choose a later date.",
            )
        return cleaned

    def audit_names(self) -> dict[int, str]:
        rows = list(
            self.fields["audit"].queryset.values_list(
                "pk", "theme__name", "title", "reaudit_of_id", "meeting_date", "partnership__name"
            )
        )
        # Each says whose it is when they are of several partnerships, as the agencies do.
        return _audit_names(rows, several_partnerships=len({row[5] for row in rows}) > 1)

    def read_choices(self) -> None:
        """Read the audit and agency choices once each, as values, for a page that lists them:
        a template looping over a model field's choices would count them first, in a query of
        its own, and build a model instance for each."""
        audit, agency = self.fields["audit"], self.fields["owner_agency"]
        audit.choices = [("", audit.empty_label), *self.audit_names().items()]
        agency.choices = [("", agency.empty_label), *self.agency_names().items()]

    def agency_names(self) -> dict[int, str]:
        rows = list(
            self.fields["owner_agency"].queryset.values_list("pk", "name", "partnership__name")
        )
        # Another partnership's "Police" is another agency: with several, each says whose it is.
        several = len({partnership for *_, partnership in rows}) > 1
        return {
            pk: f"{name} ({partnership})" if several else name for pk, name, partnership in rows
        }
