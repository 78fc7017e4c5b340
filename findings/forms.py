from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from cases.forms.identifying import AsksAboutIdentifyingText
from cases.models import DEFAULT_HEADINGS, BriefingParagraph
from cases.selectors.identifiers import listed
from cases.uploads import PDF, check_kind, check_size, inspect, upload_field
from maca.concurrency import VersionedFormMixin
from maca.identifiers import identifying_shapes
from maca.models import Agency
from maca.text import RefuseControlCharactersMixin, shown_name
from maca.widgets import CheckboxSelectMultiple, DateInput, RadioSelect

from .models import ImpactVerdict, Recommendation, SevenMinuteBriefing, Tag, UsageRecord
from .services import Kind
from .sevenminute import PART_FIELDS, PARTS, standard_parts

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
    extra = ("cases", "impact_measure") if kind.slug == "recommendation" else ()
    field_names = ("text", "agency", "tags", *extra)

    class ItemForm(AsksAboutIdentifyingText, VersionedFormMixin, forms.ModelForm):
        # Saving over someone else's newer change is refused, showing theirs and keeping what
        # this person typed.
        record_label = f"this {kind.label}"
        identifying_fields = ("text", "impact_measure")
        identifying_where = "Everyone who reads the published briefing may read this"

        class Meta:
            model = kind.model
            fields = field_names
            widgets = {
                "text": forms.Textarea(attrs={"rows": 3}),
                "tags": CheckboxSelectMultiple(attrs={"data-tag-picker": ""}),
                "cases": CheckboxSelectMultiple,
                "impact_measure": forms.Textarea(attrs={"rows": 2}),
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
            self.audit = audit
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


class BriefingLayoutForm(AsksAboutIdentifyingText, VersionedFormMixin, forms.Form):
    """The six headings, whether to include good practice, and the two narrative sections.

    They are stored on the audit (the narrative as its paragraphs): versioned by the audit.
    """

    record_label = "the briefing's headings and opening sections"
    identifying_fields = tuple(BriefingParagraph.Section.values)
    identifying_where = "Everyone who reads the published briefing may read this"

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

    def identifying_texts(self, name: str) -> list[str]:
        """Each point on its own: the briefing prints, and publishing checks, point by point."""
        return self.narrative_of(name)

    def narrative_of(self, section: str) -> list[str]:
        text = self.cleaned_data.get(section) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def headings(self) -> dict[str, str]:
        return {key: self.cleaned_data[f"heading_{key}"] for key in DEFAULT_HEADINGS}

    def included(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name in INCLUDED_SECTIONS}

    def narrative(self) -> dict[str, list[str]]:
        return {section: self.narrative_of(section) for section in BriefingParagraph.Section.values}


class TagForm(forms.Form):
    name = forms.CharField(
        label="New learning tag",
        max_length=100,
        error_messages={"required": "Enter the new tag's name."},
    )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Enter the new tag's name.")
        if kinds := identifying_shapes(name):
            raise forms.ValidationError(
                f"The tag “{name}” looks like it holds {listed(kinds)}. A tag is printed with "
                "the items it marks in every published briefing and the learning library: name "
                "the learning (“housing”, “voice of the child”), never a person."
            )
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


class SevenMinuteForm(AsksAboutIdentifyingText, VersionedFormMixin, forms.ModelForm):
    """The seven parts. Each shows its word limit and counts as it is typed (static/js/maca.js);
    a part over its limit is kept as typed, and publishing checks that the page still fits.
    Saving over someone else's newer change (or a fresh draft) is refused, keeping what was
    typed."""

    record_label = "the 7-minute briefing"
    version_fields = PART_FIELDS
    identifying_fields = PART_FIELDS
    identifying_where = "Teams across the partnership read the published 7-minute briefing"

    make_standard = forms.BooleanField(
        required=False,
        label="Also make parts 6 and 7 the partnership's standard text",
        help_text="New 7-minute briefings of the partnership start from them.",
    )

    class Meta:
        model = SevenMinuteBriefing
        fields = PART_FIELDS

    def __init__(self, *args, audit, can_set_standard: bool = False, **kwargs):
        self.audit = audit
        if kwargs.get("instance") is None:
            # Not written yet: parts 6 and 7 start from the partnership's standard text, whether
            # the parts are drafted from the briefing or typed by hand.
            kwargs["initial"] = {**standard_parts(audit.partnership), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        for part in PARTS:
            field = self.fields[part.field]
            field.label = f"{part.number} {part.title}"
            field.help_text = f"{part.hint} Up to {part.word_limit} words."
            field.widget = forms.Textarea(
                attrs={"rows": 5 if part.word_limit > 80 else 4, "data-word-limit": part.word_limit}
            )
        if not can_set_standard:
            del self.fields["make_standard"]


class UsageForm(RefuseControlCharactersMixin, AsksAboutIdentifyingText, forms.Form):
    identifying_fields = ("team", "reflection")
    identifying_where = (
        "The partnership's chairs and QA members read each session's team and reflection, and "
        "they go into the usage downloads and the audit package"
    )

    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), empty_label=None)
    briefing = forms.ChoiceField(
        label="Which briefing was used",
        choices=UsageRecord.Briefing.choices,
        widget=RadioSelect,
        error_messages={"required": "Say which briefing the team used."},
    )
    date = forms.DateField(label="Date used", widget=DateInput)
    team = forms.CharField(
        label="Team or setting", max_length=200, help_text="For example: Early Help team north."
    )
    staff_count = forms.IntegerField(
        label="Number of staff",
        min_value=1,
        max_value=100_000,
        error_messages={
            "invalid": "Enter the number of staff as a whole number, such as 12.",
            "min_value": "Enter how many staff took part: at least one.",
            "max_value": "Enter a number of staff up to 100,000.",
            "required": "Enter how many staff took part.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reflection = forms.CharField(
        label="What will we do differently?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        help_text="A short reflection from the session.",
    )

    def __init__(self, *args, agencies, audit, **kwargs):
        self.audit = audit
        super().__init__(*args, **kwargs)
        published = getattr(audit, "briefing_published_at", None)
        self.first_published = timezone.localdate(published) if published else None
        agency = self.fields["agency"]
        agency.queryset = agencies
        agency.error_messages["required"] = "Choose the agency whose staff used it."
        if agencies.count() > 1:  # the chair's: no agency is taken for granted
            agency.empty_label = "Choose the agency"
        self.fields["date"].error_messages["required"] = "Enter the date it was used."
        self.fields["team"].error_messages["required"] = "Enter the team or setting."
        self.kept_briefing = self._briefing_not_asked(audit)
        if self.kept_briefing is not None:
            self.fields["briefing"].required = False
            self.fields["briefing"].widget = forms.HiddenInput()

    def service_fields(self) -> dict:
        """The cleaned values as usage_record and usage_record_update take them."""
        names = ("agency", "briefing", "date", "team", "staff_count", "reflection")
        return {
            **{name: self.cleaned_data[name] for name in names},
            "confirmed_texts": self.texts_to_confirm,
        }

    def _briefing_not_asked(self, audit) -> str | None:
        """Which briefing, when there is nothing to ask: only the 6-step briefing went out. A
        session corrected keeps its answer ("Not recorded" included); one that says otherwise
        (brought in from a package) is asked about, so that it can be changed."""
        record = getattr(self, "record", None)
        held = record.briefing if record is not None else UsageRecord.Briefing.SIX_STEP
        sent = self.data.get(self.add_prefix("briefing"), "") if self.is_bound else ""
        if sent in (UsageRecord.Briefing.SEVEN_MINUTE, UsageRecord.Briefing.BOTH):
            return None  # sent from a form that asked (a session deleted meanwhile, sent again)
        if held in ("", UsageRecord.Briefing.SIX_STEP) and not _has_seven_minute_briefing(audit):
            return held
        return None

    def clean_briefing(self):
        if self.kept_briefing is not None:
            return self.kept_briefing
        return self.cleaned_data["briefing"]

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError("The date cannot be in the future.")
        # Checked as it is typed: a session kept from before (an imported one) stays editable.
        changed = "date" in self.changed_data
        if changed and self.first_published and date < self.first_published:
            raise forms.ValidationError(
                "The briefing was first published on "
                f"{date_format(self.first_published, 'j F Y')}: it cannot have been used before."
            )
        return date

    def clean_team(self):
        team = shown_name(self.cleaned_data["team"])  # as it is kept: invisible characters out
        if not team:
            raise forms.ValidationError("Enter the team or setting.")
        return team


def _has_seven_minute_briefing(audit) -> bool:
    return audit.briefing_versions.exclude(seven_minute_sha256="").exists()


class UsageEditForm(VersionedFormMixin, UsageForm):
    """A recorded use, corrected: the recording form filled in with it, refused when someone
    else changed it after it was opened."""

    record_label = "this session"

    def __init__(self, *args, record: UsageRecord, **kwargs):
        self.record = record
        kwargs.setdefault("audit", record.audit)
        kwargs.setdefault(
            "initial",
            {
                "agency": record.agency_id,
                "briefing": record.briefing,
                "date": record.date,
                "team": record.team,
                "staff_count": record.staff_count,
                "reflection": record.reflection,
            },
        )
        super().__init__(*args, **kwargs)
        if not self.fields["agency"].queryset.filter(pk=record.agency_id).exists():
            self._ask_for_an_agency_taking_part()

    def _ask_for_an_agency_taking_part(self) -> None:
        """The session's agency no longer takes part in the audit: the session is kept only
        under one that does, chosen on purpose rather than the first in the list."""
        field = self.fields["agency"]
        field.empty_label = "Choose an agency"
        field.help_text = (
            f"{self.record.agency.name} no longer takes part in this audit: choose an agency "
            "taking part, or delete the session."
        )
        field.error_messages["required"] = "Choose an agency taking part in this audit."

    def versioned_records(self) -> tuple:
        return (self.record,)


class ImpactForm(AsksAboutIdentifyingText, VersionedFormMixin, forms.Form):
    """For each of the original audit's recommendations: its impact measure, and the verdict and
    evidence of the re-audit's meeting. Two people at the meeting save the page each: a verdict
    saved by one after the other opened it is not saved over unseen (maca/concurrency.py)."""

    record_label = "the verdicts"
    identifying_where = (
        "Everyone who reads the re-audit's comparison with the original reads the measures and "
        "the evidence"
    )

    def identifying_audit(self):
        return self.reaudit

    def identifying_field_names(self) -> tuple[str, ...]:
        return tuple(
            f"{kind}_{recommendation.pk}"
            for recommendation in self.recommendations
            for kind in ("measure", "evidence")
        )

    def __init__(self, *args, recommendations, verdicts: dict, reaudit, **kwargs):
        self.recommendations = list(recommendations)
        self.held_verdicts = verdicts
        self.reaudit = reaudit
        super().__init__(*args, **kwargs)
        choices = [("", "Not decided yet"), *ImpactVerdict.Verdict.choices]
        for number, recommendation in enumerate(self.recommendations, start=1):
            held = verdicts.get(recommendation.pk)
            key = recommendation.pk
            self.fields[f"measure_{key}"] = forms.CharField(
                label=f"Recommendation {number}: how will we know it worked?",
                required=False,
                max_length=2000,
                initial=recommendation.impact_measure,
                widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
            )
            self.fields[f"verdict_{key}"] = forms.ChoiceField(
                label=f"Recommendation {number}: impact",
                choices=choices,
                required=False,
                initial=held.verdict if held else "",
                widget=RadioSelect(attrs={"class": "form-check-input"}),
            )
            self.fields[f"evidence_{key}"] = forms.CharField(
                label=f"Recommendation {number}: evidence",
                required=False,
                max_length=4000,
                initial=held.evidence if held else "",
                widget=forms.Textarea(attrs={"rows": 2, "maxlength": 4000}),
            )

    def versioned_records(self) -> tuple:
        """The recommendations and the re-audit's verdicts on them as saved now. In a save's
        transaction the recommendations are locked first, as the save locks them: a verdict
        someone else is saving meanwhile is waited for, and then counted."""
        keys = [recommendation.pk for recommendation in self.recommendations]
        if transaction.get_connection().in_atomic_block:
            list(Recommendation.objects.select_for_update().filter(pk__in=keys).values("pk"))
        verdicts = ImpactVerdict.objects.filter(reaudit=self.reaudit, recommendation__in=keys)
        return (*self.recommendations, *verdicts)

    def rows(self):
        for recommendation in self.recommendations:
            key = recommendation.pk
            yield (
                recommendation,
                self[f"measure_{key}"],
                self[f"verdict_{key}"],
                self[f"evidence_{key}"],
            )

    def clean(self):
        data = super().clean()
        for number, recommendation in enumerate(self.recommendations, start=1):
            key = recommendation.pk
            if f"evidence_{key}" in self.errors:
                continue  # too long, say: said once, beside it
            verdict, evidence = data.get(f"verdict_{key}"), (data.get(f"evidence_{key}") or "")
            if verdict and not evidence.strip():
                self.add_error(f"evidence_{key}", "Say what evidence the verdict rests on.")
            elif evidence.strip() and not verdict:
                self.add_error(
                    f"verdict_{key}",
                    f"Choose the impact the evidence for recommendation {number} shows: evidence "
                    "is kept with a verdict, not on its own. To take the verdict away, clear the "
                    "evidence too.",
                )
        return data

    def verdicts(self) -> dict[int, dict]:
        return {
            r.pk: {
                "impact_measure": self.cleaned_data[f"measure_{r.pk}"],
                "verdict": self.cleaned_data[f"verdict_{r.pk}"],
                "evidence": self.cleaned_data[f"evidence_{r.pk}"],
            }
            for r in self.recommendations
        }


class CopyCheckForm(forms.Form):
    """A copy of a published PDF, compared with what was published by its fingerprint. The copy
    is read once, in chunks, and never kept."""

    copy = upload_field(
        "A copy of the briefing or 7-minute briefing (PDF)",
        accept=".pdf,application/pdf",
        choose="Choose the PDF to check.",
        help_text="For example, a PDF that was emailed to you or saved on a shared drive.",
    )

    def clean_copy(self) -> str:
        """The copy's SHA-256, once it is known to be a PDF of a size MACA takes."""
        uploaded = self.cleaned_data["copy"]
        check_size(uploaded.size)
        inspection = inspect(uploaded)
        check_kind(inspection, uploaded.name, (PDF,), "a PDF")
        return inspection.sha256


DRAFT = "draft"


def _is_number(value: str) -> bool:
    return value.isascii() and value.isdecimal() and len(value) <= 9


class BriefingChangesForm(forms.Form):
    """Two readings of the briefing to compare: published versions, and the draft for those who
    may read it."""

    NO_SUCH_VERSION = "There is no such version of this briefing: choose one from the list."
    since = forms.ChoiceField(
        label="From",
        error_messages={"invalid_choice": NO_SUCH_VERSION, "required": "Choose a version."},
    )
    until = forms.ChoiceField(
        label="To",
        error_messages={"invalid_choice": NO_SUCH_VERSION, "required": "Choose a version."},
    )

    def __init__(self, data, *, published: dict, with_draft: bool):
        super().__init__(data)
        versions = [
            (
                str(number),
                f"Version {number}, published {date_format(timezone.localtime(at), 'j F Y')}",
            )
            for number, at in published.items()
        ]
        self.fields["since"].choices = versions
        self.fields["until"].choices = [(DRAFT, "The draft")] * with_draft + versions

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("since") == data.get("until"):
            self.add_error("until", "Choose two different versions to compare.")
        return data

    @classmethod
    def asked(cls, query, published: dict, with_draft: bool) -> dict | None:
        """What to compare: what the address asks, the earlier version first whichever order it
        names them in, and a missing half filled in (the version before the one asked, or the
        one after it, or the draft); the first comparison when it asks nothing, or asks for the
        draft of someone who may not read it."""
        asked = {name: query[name] for name in ("since", "until") if name in query}
        numbers = [str(number) for number in published]  # the latest first
        if not published or not asked or (asked.get("until") == DRAFT and not with_draft):
            return cls.first_asked(published, with_draft)
        if "since" not in asked:
            later = numbers.index(asked["until"]) + 1 if asked["until"] in numbers else 0
            asked["since"] = numbers[min(later, len(numbers) - 1)]
        if "until" not in asked:
            earlier = numbers.index(asked["since"]) - 1 if asked["since"] in numbers else -1
            if earlier < 0 and not with_draft:
                return cls.first_asked(published, with_draft)
            asked["until"] = numbers[earlier] if earlier >= 0 else DRAFT
        since, until = asked["since"], asked["until"]
        if _is_number(since) and _is_number(until) and int(since) > int(until):
            asked["since"], asked["until"] = until, since
        return asked

    @staticmethod
    def first_asked(published: dict, with_draft: bool) -> dict | None:
        """What the page compares before anything is chosen: the latest version with the draft
        for its authors, otherwise the last two versions; None when there is nothing to compare."""
        numbers = [str(number) for number in published]
        if with_draft and numbers:
            return {"since": numbers[0], "until": DRAFT}
        if len(numbers) >= 2:
            return {"since": numbers[1], "until": numbers[0]}
        return None
