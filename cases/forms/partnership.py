"""Forms of the partnership administrator's pages: people, agencies, settings and the logo."""

from __future__ import annotations

from django import forms
from django.conf import settings

from cases.services.partnership import SETTINGS_FIELDS
from cases.services.setup import NO_AGENCY, agency_of_no_coordinator
from cases.uploads import upload_field
from maca.concurrency import VersionedFormMixin
from maca.invitations import ADDRESS_MAX_LENGTH
from maca.models import MARKING_REQUIRED, Agency, Membership, Partnership
from maca.text import RefuseControlCharactersMixin
from maca.wording import size_limit

Role = Membership.Role


class PartnershipMemberForm(RefuseControlCharactersMixin, forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=ADDRESS_MAX_LENGTH,
        help_text=(
            "They are emailed an invitation, and hold the role once they accept it (signing in, "
            "or creating their account)."
        ),
    )
    role = forms.ChoiceField(
        choices=[("", "Choose a role"), *Role.choices],
        error_messages={"required": "Choose the person's role."},
        help_text=(
            "Roles count in every audit of the partnership, except the partnership "
            "administrator's, which opens these pages only."
        ),
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        required=False,
        empty_label=NO_AGENCY,
        help_text="For agency co-ordinators only: the agency they speak for.",
    )

    def __init__(self, *args, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(partnership=partnership)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        data = super().clean()
        if data.get("role") == Role.COORDINATOR:
            if not data.get("agency") and "agency" not in self.errors:
                self.add_error("agency", self._no_agency_message())
        elif data.get("agency") and data.get("role"):
            self.add_error("agency", agency_of_no_coordinator(data["role"]))
        return data

    def _no_agency_message(self) -> str:
        # With no agency to choose, "choose one" would be a dead end: say where they are added.
        if not self.fields["agency"].queryset.exists():
            return (
                "The partnership has no agencies yet: add this co-ordinator's agency under "
                "Agencies first, then invite them here."
            )
        return "Choose the agency this co-ordinator speaks for."


class AgencyForm(RefuseControlCharactersMixin, VersionedFormMixin, forms.ModelForm):
    """An agency of the partnership: its name (unique in the partnership) and sector."""

    record_label = "this agency"

    class Meta:
        model = Agency
        fields = ["name", "sector"]
        help_texts = {
            "name": "As the partnership's documents name it. Another partnership's agency of the "
            "same name is another agency."
        }


class PartnershipSettingsForm(RefuseControlCharactersMixin, VersionedFormMixin, forms.ModelForm):
    """What each new audit and 7-minute briefing of the partnership starts with."""

    record_label = "the partnership's settings"

    class Meta:
        model = Partnership
        fields = list(SETTINGS_FIELDS)
        labels = {
            "heading_theme_and_cases": "Heading of section 1 (theme and cases)",
            "heading_process": "Heading of section 2 (process)",
            "heading_strengths": "Heading of section 3 (strengths)",
            "heading_findings": "Heading of section 4 (findings)",
            "heading_good_practice": "Heading of section 5 (good practice)",
            "heading_recommendations": "Heading of section 6 (recommendations)",
        }
        widgets = {
            name: forms.Textarea(attrs={"rows": 4})
            for name in (
                "standard_theme_and_cases",
                "standard_process",
                "seven_minute_questions",
                "seven_minute_find_out_more",
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        marking = self.fields["protective_marking"]
        marking.required = True
        marking.error_messages["required"] = MARKING_REQUIRED
        for name, field in self.fields.items():
            if name.startswith("heading_"):
                field.required = False
                field.help_text = "Left empty, MACA's wording is used."


LOGO_ACCEPT = ".png,.jpg,.jpeg,image/png,image/jpeg"


class LogoForm(forms.Form):
    logo = upload_field(
        "Logo", accept=LOGO_ACCEPT, choose="Choose the picture of the logo to upload."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = size_limit(settings.MACA_LOGO_MAX_BYTES)
        self.fields["logo"].help_text = (
            f"A PNG or JPEG picture, up to {limit}. It heads the partnership's pages, briefings, "
            "7-minute briefings and action plans."
        )
