"""Forms for setting an audit up, its members, nominations and the selection of cases."""

from __future__ import annotations

import datetime

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from cases.models import DEFAULT_TITLE, Nomination, Theme
from cases.selectors.identifiers import identifying_details_in, listed, looks_identifying
from cases.services.nominations import label_clash
from cases.services.setup import NO_AGENCY, agency_of_no_coordinator
from maca.access import AUDIT_ROLES
from maca.concurrency import VersionedFormMixin
from maca.identifiers import (
    identifying_shapes,
    identity_patterns,
    searched,
)
from maca.invitations import ADDRESS_MAX_LENGTH
from maca.models import DEFAULT_MARKING, MARKING_REQUIRED, Agency, Membership, Partnership
from maca.text import RefuseControlCharactersMixin, shown_name
from maca.widgets import CheckboxSelectMultiple, DateInput

Role = Membership.Role
AUDIT_ROLE_CHOICES = [(value, label) for value, label in Role.choices if value in AUDIT_ROLES]
SECTORS_BY_WORD = {
    **{value.lower(): value for value, _ in Agency.Sector.choices},
    **{label.lower(): value for value, label in Agency.Sector.choices},
}


class AgenciesChoiceField(forms.ModelMultipleChoiceField):
    """Agencies, each named with its partnership when the list holds several partnerships'."""

    def __init__(self, *args, show_partnership=False, **kwargs):
        self.show_partnership = show_partnership
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.partnership.name})" if self.show_partnership else obj.name


class ThemeChoiceField(forms.ModelChoiceField):
    def __init__(self, *args, show_partnership=False, **kwargs):
        self.show_partnership = show_partnership
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.partnership.name})" if self.show_partnership else obj.name


def parse_new_agencies(text: str, default_sector: str) -> list[tuple[str, str]]:
    """Lines of "Agency name" or "Agency name, sector" as (name, sector) pairs, in order."""
    agencies: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        name, sector = shown_name(line), default_sector
        head, comma, tail = name.rpartition(",")
        if comma and tail.strip().lower() in SECTORS_BY_WORD:
            name, sector = head.strip(), SECTORS_BY_WORD[tail.strip().lower()]
        if name:
            agencies.setdefault(name.lower(), (name, sector))
    return list(agencies.values())


# A care leaver is supported up to 25: a child's date of birth further back is a slip of the year.
OLDEST_YEARS = 30

# How far ahead an audit's deadline or meeting may be set: further is a slip of the year.
YEARS_AHEAD = 5
TOO_FAR_AHEAD = f"This is more than {YEARS_AHEAD} years ahead: check the year."


def too_far_ahead(day) -> bool:
    return day.year > timezone.localdate().year + YEARS_AHEAD


class AuditForm(RefuseControlCharactersMixin, VersionedFormMixin, forms.Form):
    """An audit's details. With `partnerships` (creating) the partnership is a field too;
    with `audit` (editing) the audit's version is kept, so no one's change is lost."""

    record_label = "this audit's details"
    # As the page lays them out, so that the error summary lists its problems in that order.
    field_order = [
        "partnership",
        "theme",
        "new_theme_name",
        "new_theme_description",
        "title",
        "submission_deadline",
        "meeting_date",
        "protective_marking",
        "target_case_count",
        "agencies",
        "new_agencies",
        "new_agency_sector",
    ]
    version_fields = (
        "theme",
        "title",
        "submission_deadline",
        "meeting_date",
        "protective_marking",
        "target_case_count",
        "agencies",
    )

    partnership = forms.ModelChoiceField(queryset=None, empty_label=None)
    theme = ThemeChoiceField(
        queryset=None,
        required=False,
        label="A theme audited before",
        empty_label="— Choose a theme, or add a new one below —",
        help_text="One the partnership has audited before.",
    )
    new_theme_name = forms.CharField(
        label="Or a new theme",
        max_length=200,
        required=False,
        help_text="For example: Neglect and housing.",
    )
    new_theme_description = forms.CharField(
        label="Description of the new theme",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the partnership is looking at this theme. Optional.",
    )
    title = forms.CharField(max_length=200, initial=DEFAULT_TITLE)
    agencies = AgenciesChoiceField(
        # Under the fieldset's legend, "Agencies taking part": not the same words twice.
        label="The partnership's agencies",
        queryset=Agency.objects.none(),
        required=False,
        widget=CheckboxSelectMultiple,
        help_text="Their co-ordinators upload chronologies and answer the audit tool.",
    )
    new_agencies = forms.CharField(
        label="Add agencies not listed above",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "One agency per line. To give a sector other than the one chosen below, end the "
            "line with a comma and the sector, e.g. 'City Police, Police'."
        ),
    )
    new_agency_sector = forms.ChoiceField(
        label="Sector of the new agencies",
        choices=Agency.Sector.choices,
        initial=Agency.Sector.OTHER,
        required=False,
    )
    submission_deadline = forms.DateField(
        required=False,
        widget=DateInput(),
        help_text="When chronologies and audit tools are due. Needed to open submissions.",
    )
    meeting_date = forms.DateField(
        label="Multi-agency meeting date", required=False, widget=DateInput()
    )
    protective_marking = forms.CharField(
        max_length=100,
        initial=DEFAULT_MARKING,
        help_text="Printed on every page of the briefing.",
        error_messages={"required": MARKING_REQUIRED},
    )
    target_case_count = forms.IntegerField(
        label="Number of cases to select",
        initial=6,
        validators=[
            MinValueValidator(1, message="Select at least one case."),
            MaxValueValidator(50, message="Select at most 50 cases: a few is usual."),
        ],
        widget=forms.NumberInput(attrs={"min": 1, "max": 50}),
        error_messages={
            "required": "Say how many cases to select (usually about six).",
            "invalid": "Enter a whole number, such as 6.",
        },
    )

    def __init__(self, *args, partnerships=None, audit=None, **kwargs):
        if audit is not None:
            kwargs.setdefault(
                "initial",
                {
                    "theme": audit.theme_id,
                    "title": audit.title,
                    "agencies": list(audit.agencies.values_list("pk", flat=True)),
                    "submission_deadline": audit.submission_deadline,
                    "meeting_date": audit.meeting_date,
                    "protective_marking": audit.protective_marking,
                    "target_case_count": audit.target_case_count,
                },
            )
        self.audit = audit
        super().__init__(*args, **kwargs)
        if audit is not None:
            del self.fields["partnership"]
            self.fields["theme"].queryset = Theme.objects.filter(partnership=audit.partnership_id)
            self.fields["agencies"].queryset = Agency.objects.filter(
                partnership=audit.partnership_id
            )
            return
        partnerships = list(partnerships or [])
        self.fields["partnership"].queryset = Partnership.objects.filter(
            pk__in=[p.pk for p in partnerships]
        )
        if len(partnerships) == 1:
            self.fields["partnership"].widget = forms.HiddenInput()
            self.fields["partnership"].initial = partnerships[0].pk
            # A new audit is marked as its partnership marks its audits.
            self.fields["protective_marking"].initial = partnerships[0].protective_marking
        else:  # a chair of several chooses: new themes and agencies go into the one chosen
            self.fields["partnership"].empty_label = "Choose the partnership running this audit"
        themes = Theme.objects.filter(partnership__in=partnerships).select_related("partnership")
        self.fields["theme"].queryset = themes
        self.fields["theme"].show_partnership = len(partnerships) > 1
        self.fields["agencies"].queryset = Agency.objects.filter(
            partnership__in=partnerships
        ).select_related("partnership")
        self.fields["agencies"].show_partnership = len(partnerships) > 1

    def versioned_records(self) -> tuple:
        return (self.audit,) if self.audit is not None else ()

    def clean_new_agencies(self):
        sector = self.data.get(self.add_prefix("new_agency_sector")) or Agency.Sector.OTHER
        if sector not in Agency.Sector.values:
            sector = Agency.Sector.OTHER
        agencies = parse_new_agencies(self.cleaned_data["new_agencies"], sector)
        too_long = [name for name, _ in agencies if len(name) > 200]
        if too_long:
            raise forms.ValidationError("An agency's name can be at most 200 characters.")
        return agencies

    def clean(self):
        data = super().clean()
        partnership_id = (
            self.audit.partnership_id
            if self.audit is not None
            else getattr(data.get("partnership"), "pk", None)
        )
        theme, new_name = data.get("theme"), (data.get("new_theme_name") or "").strip()
        if theme and new_name:
            self.add_error(
                "new_theme_name", "Choose an existing theme or type a new one, not both."
            )
        elif not theme and not new_name and "theme" not in self.errors:
            self.add_error("theme", "Choose a theme, or type the name of a new theme below.")
        elif theme and partnership_id and theme.partnership_id != partnership_id:
            self.add_error("theme", "Choose a theme of the partnership running this audit.")
        others = [a.name for a in data.get("agencies") or [] if a.partnership_id != partnership_id]
        if partnership_id and others:
            self.add_error(
                "agencies",
                f"Choose agencies of the partnership running this audit: {', '.join(others)} "
                "belongs to another.",
            )
        elif (
            new_name
            and partnership_id
            and Theme.objects.filter(partnership_id=partnership_id, name__iexact=new_name).exists()
        ):
            self.add_error(
                "new_theme_name",
                f"The partnership already has a theme called '{new_name}': "
                "choose it from the list instead.",
            )
        data["new_theme_name"] = new_name
        deadline, meeting = data.get("submission_deadline"), data.get("meeting_date")
        today = timezone.localdate()
        # A deadline already gone by is refused as it is set; one kept from before stays.
        if deadline and deadline < today and "submission_deadline" in self.changed_data:
            self.add_error(
                "submission_deadline",
                f"This date has passed: choose {today.day} {today:%B %Y} or later.",
            )
        for name in ("submission_deadline", "meeting_date"):
            day = data.get(name)
            if day and too_far_ahead(day) and name in self.changed_data:
                self.add_error(name, TOO_FAR_AHEAD)
        if deadline and meeting and meeting < deadline:
            self.add_error(
                "meeting_date", "The meeting must be on or after the submission deadline."
            )
        return data


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=ADDRESS_MAX_LENGTH,
        help_text="We email an invitation to this address. The person becomes a member when they "
        "accept it, signing in or creating their account.",
    )
    role = forms.ChoiceField(
        # The partnership administrator's role is given on the partnership's own pages.
        choices=[("", "Choose a role"), *AUDIT_ROLE_CHOICES],
        error_messages={"required": "Choose the person's role."},
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        empty_label=NO_AGENCY,
        help_text="For agency co-ordinators only: the agency they speak for in this audit.",
    )

    def __init__(self, *args, audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = audit.agencies.all()

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.COORDINATOR:
            if not data.get("agency") and "agency" not in self.errors:
                self.add_error(
                    "agency", "Choose the agency this co-ordinator speaks for (taking part)."
                )
        elif data.get("agency") and data.get("role"):
            self.add_error("agency", agency_of_no_coordinator(data["role"]))
        return data


def split_tags(text: str) -> list[str]:
    tags: dict[str, str] = {}
    for part in (text or "").split(","):
        tag = " ".join(part.split())
        if tag:
            tags.setdefault(tag.lower(), tag)
    return list(tags.values())


class RefusesRecordedDetails:
    """For a form that asks about what looks identifying by its shape (its names in `asked`):
    a field holding a child's recorded details is refused outright instead, the error replacing
    the question, as ticking "I have checked" could not let it through."""

    def refuse_recorded_details(self, name: str, *, where: str) -> None:
        self.errors[name] = self.error_class(
            [
                "Take out the child's name, date of birth or reference number: they are kept "
                f"apart, {where}, seen only by those who need them."
            ]
        )
        self.cleaned_data.pop(name, None)
        self.asked.discard(name)

    def _typed(self, name: str) -> str:
        """The field as cleaned, or as typed when it was asked about (and so not cleaned)."""
        value = self.cleaned_data.get(name)
        if value is None:
            value = self.data.get(self.add_prefix(name), "")
        return " ".join((", ".join(value) if isinstance(value, list) else str(value)).split())


class NominationForm(RefusesRecordedDetails, VersionedFormMixin, forms.ModelForm):
    """What the chair needs to pick a cross-section. Nothing here identifies the child."""

    record_label = "this nomination"
    field_order = ["label", "reason", "agencies"]

    tags = forms.CharField(
        required=False,
        max_length=500,
        help_text="Separate tags with commas, e.g. eviction, domestic abuse.",
    )

    class Meta:
        model = Nomination
        fields = [*Nomination.WRITTEN_FIELDS, "agencies"]
        labels = {"label": "Label", "legal_status": "Legal status"}
        help_texts = {
            "label": "A pseudonymous label such as 'Case 7' — never the child's name.",
            "reason": "Why this case would help the audit. Do not include names.",
            "agencies": "Agencies taking part that worked with the child or family.",
        }
        widgets = {
            "reason": forms.Textarea(attrs={"rows": 4}),
            "agencies": CheckboxSelectMultiple,
        }

    holds_no_identifiers = forms.BooleanField(
        required=False,
        label="I have checked: the label, reason and tags hold nothing that identifies the "
        "child or family",
    )
    # Whether the text looked as if it held identifying details, so the page asks to confirm.
    asks_to_confirm = False

    def __init__(self, *args, audit, **kwargs):
        super().__init__(*args, **kwargs)
        self.audit = audit
        self.fields["agencies"].queryset = audit.agencies.all()
        for name in ("age_band", "gender", "ethnicity", "disability", "legal_status"):
            field = self.fields[name]
            field.choices = [("", "Not recorded"), *list(field.choices)[1:]]
        if self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags or [])

    def clean_label(self):
        label = " ".join(self.cleaned_data["label"].split())
        if clash := label_clash(audit=self.audit, label=label, nomination=self.instance):
            raise forms.ValidationError(clash)
        return label

    def clean_tags(self):
        return split_tags(self.cleaned_data["tags"])

    def clean(self):
        cleaned = super().clean()
        self.asked: set[str] = set()
        if not cleaned.get("holds_no_identifiers"):
            self._ask_about_what_looks_identifying(cleaned)
        return cleaned

    def _ask_about_what_looks_identifying(self, cleaned) -> None:
        """Anyone's postcode, date of birth, NHS or phone number or address, found by its shape,
        and a label that reads like a name: the writer takes it out or confirms it is not."""
        label = cleaned.get("label") or ""
        found = {
            "label": looks_identifying(label, label=True),
            "reason": identifying_shapes(cleaned.get("reason") or ""),
            "tags": identifying_shapes(", ".join(cleaned.get("tags") or [])),
        }
        for name, kinds in found.items():
            if kinds and name in cleaned:
                self.asks_to_confirm = True
                self.asked.add(name)
                self.add_error(name, looks_identifying_message(kinds, where="under the reason"))

    def check_no_identifiers(self, *, child_name="", date_of_birth=None, references=()) -> None:
        """The label, reason and tags are read by every QA member and, once the case is chosen,
        in the packs: the child's name, date of birth and reference numbers belong in the
        identifying details only. Also a field already asked about by its shape: one holding
        the child's recorded details is refused outright, rather than the writer being asked
        to tick "I have checked", which could not let it through."""
        references = [("a reference", reference) for reference in references]
        patterns = [p for p, _ in identity_patterns(child_name, date_of_birth, references)]
        for name in ("label", "reason", "tags"):
            readings = searched(self._typed(name))
            if any(pattern.search(text) for text in readings for pattern in patterns):
                self.refuse_recorded_details(name, where="in the identifying details below")
        self.asks_to_confirm = bool(self.asked)


class IdentityForm(VersionedFormMixin, forms.Form):
    """The child's identifying details, kept apart: name, date of birth and agencies' own
    references. One reference field per agency taking part (`ref_<agency id>`).

    Changing details already recorded, give their `identity`: its version is kept.
    """

    record_label = "the identifying details"

    child_name = forms.CharField(label="Child's name", max_length=200, required=False)
    date_of_birth = forms.DateField(required=False, widget=DateInput())

    def __init__(self, *args, agencies, identity=None, **kwargs):
        self.identity_record = identity
        super().__init__(*args, **kwargs)
        self.agencies = list(agencies)
        for agency in self.agencies:
            self.fields[f"ref_{agency.pk}"] = forms.CharField(
                label=f"{agency.name} reference",
                max_length=100,
                required=False,
                help_text="The agency's own case number for the child, if known.",
            )

    def versioned_records(self) -> tuple:
        return (self.identity_record,)

    def reference_fields(self):
        return [self[f"ref_{agency.pk}"] for agency in self.agencies]

    def clean_date_of_birth(self):
        value = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if value and value > today + datetime.timedelta(days=280):
            raise forms.ValidationError("The date of birth is too far in the future.")
        # A date kept from before stays (a reference added to an older record is not blocked).
        if (
            value
            and value.year < today.year - OLDEST_YEARS
            and "date_of_birth" in self.changed_data
        ):
            raise forms.ValidationError(
                f"The date of birth is more than {OLDEST_YEARS} years ago, older than any child "
                "or young person a case audit looks at: check the year."
            )
        return value

    def check_involved(self, involved_ids) -> None:
        """A reference is only kept for an agency marked as involved."""
        for agency in self.agencies:
            name = f"ref_{agency.pk}"
            if self.cleaned_data.get(name) and agency.pk not in involved_ids:
                self.add_error(
                    name,
                    f"Tick {agency.name} as an agency involved, or leave its reference blank.",
                )

    @property
    def identity(self) -> dict:
        """The details as the services take them."""
        data = self.cleaned_data
        return {
            "child_name": (data.get("child_name") or "").strip(),
            "date_of_birth": data.get("date_of_birth"),
            "references": {
                agency.pk: data[f"ref_{agency.pk}"].strip()
                for agency in self.agencies
                if (data.get(f"ref_{agency.pk}") or "").strip()
            },
        }


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason for declining",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="The QA sub-group sees this reason in the list of nominations.",
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Give a reason for declining.")
        return reason


def looks_identifying_message(kinds: list[str], *, where: str) -> str:
    """What a field that looks as if it holds someone's details is told: the writer takes them
    out or confirms, with the box `where` the page shows it, that they are not."""
    return (
        f"This looks like it holds {listed(kinds)}. Take it out: a child's details belong in "
        "the identifying details, seen only by those who need them. If it is not what it looks "
        f"like, tick “I have checked”, {where}, and send it again."
    )


class CaseLabelsForm(RefusesRecordedDetails, forms.Form):
    """One label per selected case, in the cases' order. A label is read by every member, in
    the packs, page titles, file names and emails: one that reads like a name, or holds
    someone's details by their shape, is asked about, and one holding a child's identifying
    details as recorded is refused."""

    holds_no_identifiers = forms.BooleanField(
        required=False,
        label="I have checked: the labels hold nothing that identifies a child or family",
    )
    # Whether a label looked as if it held identifying details, so the page asks to confirm.
    asks_to_confirm = False

    def __init__(self, *args, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = cases
        for case in cases:
            self.fields[f"case_{case.pk}"] = forms.CharField(
                label=f"Label of the case now called “{case.label}”",
                initial=case.label,
                max_length=50,
                help_text="A pseudonymous label, never the child's name.",
            )

    def label_fields(self):
        return [self[f"case_{case.pk}"] for case in self.cases]

    def clean(self):
        cleaned = super().clean()
        self.asked = set()
        if cleaned.get("holds_no_identifiers"):
            return cleaned
        for case in self.cases:
            label = " ".join((cleaned.get(f"case_{case.pk}") or "").split())
            if kinds := looks_identifying(label, label=True):
                self.asks_to_confirm = True
                self.asked.add(f"case_{case.pk}")
                self.add_error(f"case_{case.pk}", looks_identifying_message(kinds, where="below"))
        return cleaned

    def check_no_identifiers(self, audit) -> None:
        """Each label compared with the identifying details recorded for the audit's children,
        which the chair, who alone relabels, may read. Also a label already asked about by its
        shape: one holding a child's recorded name is refused outright, rather than the chair
        being asked to tick "I have checked", which could not let it through."""
        labels = [(name, self._typed(name)) for name in (f"case_{c.pk}" for c in self.cases)]
        for name, _ in identifying_details_in(audit, labels):
            self.refuse_recorded_details(name, where="in the case's identifying details")
        self.asks_to_confirm = bool(self.asked)

    def labels(self) -> dict[int, str]:
        return {case.pk: self.cleaned_data[f"case_{case.pk}"] for case in self.cases}

    def loaded_fields(self):
        """Hidden: each label as the page showed it, so that a save over someone else's is
        seen (case_labels_update)."""
        return [
            forms.HiddenInput().render(_loaded(case), self.data.get(_loaded(case), case.label))
            for case in self.cases
        ]

    def loaded(self) -> dict[int, str] | None:
        """The labels as the page showed them; None from a page that did not send them."""
        if not all(_loaded(case) in self.data for case in self.cases):
            return None
        return {case.pk: self.data[_loaded(case)] for case in self.cases}

    def take_labels_now_saved(self) -> None:
        """After a refusal for labels saved meanwhile: the page shows what is typed, and now
        stands for the labels saved, so that saving again, after a look, goes through."""
        self.data = self.data.copy()
        for case in self.cases:
            self.data[_loaded(case)] = case.label


def _loaded(case) -> str:
    return f"loaded_{case.pk}"
