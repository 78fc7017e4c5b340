from django import forms

from cases.models import DEFAULT_HEADINGS, BriefingParagraph
from maca.models import Agency

from .models import Tag
from .services import Kind

HEADING_LABELS = {
    "theme_and_cases": "Step 1 heading (theme and cases)",
    "process": "Step 2 heading (process)",
    "strengths": "Step 3 heading (strengths per case)",
    "findings": "Step 4 heading (findings per case)",
    "good_practice": "Step 5 heading (good practice)",
    "recommendations": "Step 6 heading (recommendations across cases)",
}


def item_form_class(kind: Kind, audit):
    """A form for one kind of item, its choices limited to this audit's agencies and cases."""
    field_names = ("text", "agency", "tags") + (("cases",) if kind.slug == "recommendation" else ())

    class ItemForm(forms.ModelForm):
        # The version the person started from: saving over someone else's newer change is
        # refused, showing theirs and keeping what this person typed.
        loaded_version = forms.CharField(required=False, widget=forms.HiddenInput)

        class Meta:
            model = kind.model
            fields = field_names
            widgets = {
                "text": forms.Textarea(attrs={"rows": 3}),
                "tags": forms.CheckboxSelectMultiple,
                "cases": forms.CheckboxSelectMultiple,
            }
            labels = {
                "text": kind.label.capitalize(),
                "agency": "Agency it is about (optional)",
                "cases": "Cases that evidence it",
            }
            help_texts = {"tags": "Learning themes, for the view of issues across cases."}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["text"].error_messages["required"] = "Enter the text."
            self.fields["agency"].queryset = Agency.objects.filter(audits=audit)
            self.fields["agency"].empty_label = "Not about one agency"
            self.fields["tags"].queryset = Tag.objects.all()
            self.fields["tags"].required = False
            if "cases" in self.fields:
                self.fields["cases"].queryset = audit.cases.all()
                self.fields["cases"].required = False
            self.conflicting_text = None
            if self.instance.pk and not self.is_bound:
                self.initial["loaded_version"] = self._current_version()

        def _current_version(self) -> str:
            return self.instance.updated_at.isoformat()

        def clean(self):
            cleaned = super().clean()
            if self.instance.pk and cleaned.get("loaded_version") != self._current_version():
                self.conflicting_text = self.instance.text
                self.data = self.data.copy()
                self.data[self.add_prefix("loaded_version")] = self._current_version()
                raise forms.ValidationError(
                    f"Someone else changed this {kind.label} while you were editing it. "
                    "Their version is shown below and your text is kept in the form: "
                    "save again to replace theirs, or cancel to keep it."
                )
            return cleaned

        def clean_text(self):
            text = self.cleaned_data["text"].strip()
            if not text:
                raise forms.ValidationError("Enter the text.")
            return text

    return ItemForm


class BriefingLayoutForm(forms.Form):
    """The six headings, whether to include good practice, and the two narrative sections."""

    include_good_practice = forms.BooleanField(
        required=False,
        label="Include the good practice section",
        help_text="Some briefings have no good-practice step; untick to leave it out.",
    )
    theme_and_cases = forms.CharField(
        label="Theme / cases: points",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One point per line.",
    )
    process = forms.CharField(
        label="Process: points",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One point per line.",
    )

    def __init__(self, *args, audit, **kwargs):
        initial = {f"heading_{key}": audit.heading(key) for key in DEFAULT_HEADINGS}
        initial["include_good_practice"] = audit.include_good_practice
        for section in BriefingParagraph.Section.values:
            initial[section] = "\n".join(
                p.text for p in audit.paragraphs.all() if p.section == section
            )
        super().__init__(*args, initial=initial, **kwargs)
        for key, label in HEADING_LABELS.items():
            self.fields[f"heading_{key}"] = forms.CharField(
                label=label,
                max_length=200,
                required=False,
                help_text=f"Left empty: “{DEFAULT_HEADINGS[key]}”.",
            )

    def headings(self) -> dict[str, str]:
        return {key: self.cleaned_data[f"heading_{key}"] for key in DEFAULT_HEADINGS}

    def narrative(self) -> dict[str, list[str]]:
        return {
            section: [
                line.strip() for line in self.cleaned_data[section].splitlines() if line.strip()
            ]
            for section in BriefingParagraph.Section.values
        }


class TagForm(forms.Form):
    name = forms.CharField(label="New learning tag", max_length=100)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter the tag's name.")
        return name
