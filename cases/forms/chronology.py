"""Forms for an agency's chronology: its document, a structured-rows file, and single rows."""

from __future__ import annotations

from django import forms
from django.conf import settings

from cases.models import ChronologyEntry
from cases.services.chronology import DATE_FORMS, date_as_typed, parse_chronology_date
from cases.uploads import upload_field
from maca.concurrency import VersionedFormMixin
from maca.widgets import RadioSelect
from maca.wording import size_limit


def _limit() -> str:
    return size_limit(settings.MACA_UPLOAD_MAX_BYTES)


class ChronologyFileForm(forms.Form):
    document = upload_field(
        "Chronology document",
        accept=".pdf,.docx,.xlsx,.csv,application/pdf,text/csv",
        choose="Choose the chronology document to upload.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = (
            f"PDF, Word (DOCX), Excel (XLSX) or CSV, up to {_limit()}. "
            "Uploading again keeps the earlier versions; the newest is the current one."
        )


class ChronologyRowsForm(forms.Form):
    rows_file = upload_field(
        "Structured chronology file",
        accept=".csv,.xlsx",
        choose="Choose the CSV or Excel file of chronology rows.",
        help_text=(
            "CSV or Excel (XLSX) laid out as the template: Date, Event, Source agency, Impact, "
            "Action taken. Rows are added to those already here; if any row has a problem, "
            "nothing is saved."
        ),
    )

    def __init__(self, *args, asking=False, nothing_new=False, **kwargs):
        """`asking`: some of the file's rows were already here; say what to do with them (with
        `nothing_new`, all of them were: replacing is the only thing to do)."""
        super().__init__(*args, **kwargs)
        if asking or (self.data and "if_already_there" in self.data):
            from cases.services.chronology import ADD_NEW_ONLY, REPLACE_MINE

            replace = (REPLACE_MINE, "Replace my agency's rows with the file's rows")
            add_new = (ADD_NEW_ONLY, "Add only the new rows")
            self.fields["if_already_there"] = forms.ChoiceField(
                label="Some of these rows are already here",
                choices=[replace] if nothing_new else [add_new, replace],
                widget=RadioSelect,
                error_messages={
                    "required": "Choose whether to add only the new rows or to replace your rows."
                },
            )


class ChronologyEntryForm(VersionedFormMixin, forms.Form):
    """One row of the chronology. Changing a row, give its `entry`: its version is kept."""

    record_label = "this chronology row"
    date = forms.CharField(
        label="Date",
        max_length=40,
        help_text=f"Use {DATE_FORMS} when only the month or year is known.",
        error_messages={"required": "Enter the date of the event."},
    )
    event = forms.CharField(
        label="Event",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What happened, as recorded by your agency.",
        error_messages={"required": "Describe the event."},
    )
    source_agency = forms.CharField(
        label="Source agency",
        max_length=200,
        required=False,
        help_text="Where the information came from, if not your agency.",
    )
    impact = forms.ChoiceField(
        label="Impact on the child",
        choices=ChronologyEntry.Impact.choices,
        initial=ChronologyEntry.Impact.UNKNOWN,
    )
    action_taken = forms.CharField(
        label="Action taken",
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, entry: ChronologyEntry | None = None, **kwargs):
        if entry is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "date": date_as_typed(entry.date, entry.date_precision),
                "event": entry.event,
                "source_agency": entry.source_agency,
                "impact": entry.impact,
                "action_taken": entry.action_taken,
            }
        self.entry = entry
        super().__init__(*args, **kwargs)

    def versioned_records(self) -> tuple:
        return (self.entry,)

    def clean_date(self):
        try:
            return parse_chronology_date(self.cleaned_data["date"])
        except ValueError as error:
            message = str(error)
            raise forms.ValidationError(message[0].upper() + message[1:] + ".") from None

    def service_fields(self) -> dict:
        """The cleaned values as chronology_entry_save takes them."""
        date, precision = self.cleaned_data["date"]
        return {
            "date": date,
            "date_precision": precision,
            "event": self.cleaned_data["event"],
            "source_agency": self.cleaned_data["source_agency"],
            "impact": self.cleaned_data["impact"],
            "action_taken": self.cleaned_data["action_taken"],
        }
