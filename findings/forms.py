from django import forms
from django.utils import timezone

from cases.models import DEFAULT_HEADINGS, BriefingParagraph
from maca.concurrency import VersionedFormMixin
from maca.models import Agency

from .models import Tag
from .services import Kind

# All of a section's points, one per line; each point fits a paragraph.
NARRATIVE_MAX = 10_000
PARAGRAPH_MAX = BriefingParagraph._meta.get_field("text").max_length

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

    class ItemForm(VersionedFormMixin, forms.ModelForm):
        # Saving over someone else's newer change is refused, showing theirs and keeping what
        # this person typed.
        record_label = f"this {kind.label}"

        class Meta:
            model = kind.model
            fields = field_names
            widgets = {
                "text": forms.Textarea(attrs={"rows": 3}),
                "tags": forms.CheckboxSelectMultiple(attrs={"data-tag-picker": ""}),
                "cases": forms.CheckboxSelectMultiple,
            }
            labels = {
                "text": kind.label.capitalize(),
                "agency": "Agency it is about (optional)",
                "cases": "Cases that evidence it",
            }
            help_texts = {
                "tags": "Learning themes, for the view of issues across cases. Type to find one."
            }

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["text"].error_messages["required"] = "Enter the text."
            self.fields["agency"].queryset = Agency.objects.filter(audits=audit)
            self.fields["agency"].empty_label = "Not about one agency"
            self.fields["tags"].queryset = Tag.objects.for_partnership(audit.partnership_id)
            self.fields["tags"].required = False
            if "cases" in self.fields:
                self.fields["cases"].queryset = audit.cases.all()
                self.fields["cases"].required = False

        def clean_text(self):
            text = self.cleaned_data["text"].strip()
            if not text:
                raise forms.ValidationError("Enter the text.")
            return text

    return ItemForm


# The audit's switches for the briefing's optional sections.
INCLUDED_SECTIONS = ("include_good_practice", "include_learning_summary", "include_actions_annex")


class BriefingLayoutForm(VersionedFormMixin, forms.Form):
    """The six headings, whether to include good practice, and the two narrative sections.

    They are stored on the audit (the narrative as its paragraphs): versioned by the audit.
    """

    record_label = "the briefing's headings and opening sections"

    include_good_practice = forms.BooleanField(
        required=False,
        label="Include the good practice section",
        help_text="Some briefings have no good-practice step; untick to leave it out.",
    )
    include_learning_summary = forms.BooleanField(
        required=False,
        label="Include the learning summary",
        help_text="The learning summary from the meeting record, after the recommendations.",
    )
    include_actions_annex = forms.BooleanField(
        required=False,
        label="Include an annex of the actions",
        help_text="Each action with its owner agency and due date (cancelled ones left out).",
    )
    theme_and_cases = forms.CharField(
        label="Theme / cases: points",
        required=False,
        max_length=NARRATIVE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One point per line.",
    )
    process = forms.CharField(
        label="Process: points",
        required=False,
        max_length=NARRATIVE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One point per line.",
    )

    def __init__(self, *args, audit, **kwargs):
        initial = {f"heading_{key}": audit.heading(key) for key in DEFAULT_HEADINGS}
        for name in INCLUDED_SECTIONS:
            initial[name] = getattr(audit, name)
        for section in BriefingParagraph.Section.values:
            initial[section] = "\n".join(
                p.text for p in audit.paragraphs.all() if p.section == section
            )
        self.audit = audit
        super().__init__(*args, initial=initial, **kwargs)
        for key, label in HEADING_LABELS.items():
            self.fields[f"heading_{key}"] = forms.CharField(
                label=label,
                max_length=200,
                required=False,
                help_text=f"Left empty: “{DEFAULT_HEADINGS[key]}”.",
            )

    def versioned_records(self) -> tuple:
        return (self.audit,)

    def clean(self):
        cleaned = super().clean()
        for section in BriefingParagraph.Section.values:
            long_points = [
                number
                for number, line in enumerate((cleaned.get(section) or "").splitlines(), 1)
                if len(line.strip()) > PARAGRAPH_MAX
            ]
            if long_points:
                self.add_error(
                    section,
                    f"Point {long_points[0]} is longer than {PARAGRAPH_MAX:,} characters: "
                    "split it into shorter points.",
                )
        return cleaned

    def headings(self) -> dict[str, str]:
        return {key: self.cleaned_data[f"heading_{key}"] for key in DEFAULT_HEADINGS}

    def included(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name in INCLUDED_SECTIONS}

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


class PublishForm(forms.Form):
    with_plan = forms.BooleanField(
        required=False,
        label="Publish this audit's action plan with the briefing",
        help_text="Viewers can then read the plan's actions, owners, due dates and RAG ratings "
        "(not their updates or evidence). Untick to withdraw a plan published before.",
    )

    def __init__(self, *args, audit, **kwargs):
        super().__init__(
            *args, initial={"with_plan": audit.plan_published_at is not None}, **kwargs
        )
        meeting = audit.meeting_date
        if meeting and timezone.localdate() < meeting:
            # The briefing records what the meeting found: publishing first is rarely meant.
            self.fields["before_meeting"] = forms.BooleanField(
                label=f"Publish before the multi-agency meeting on {meeting:%-d %B %Y}",
                error_messages={
                    "required": f"The meeting is on {meeting:%-d %B %Y}, after today. Tick to "
                    "confirm you want to publish the briefing before it."
                },
            )
