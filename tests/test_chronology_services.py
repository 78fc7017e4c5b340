"""The chronology writes called directly: each case's and agency's chronology kept apart, the
author recorded, the workbook limits at exactly their number, and every refusal's own words."""

import datetime
import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from cases import uploads
from cases.models import ChronologyEntry, ChronologyFile
from cases.services import chronology as service

from . import test_chronology_files as chronology_files
from .factories import CaseFactory, ChronologyEntryFactory
from .test_chronology_files import minimal_pdf

pytestmark = pytest.mark.django_db

world = chronology_files.world
fast_passwords = chronology_files.fast_passwords

D = datetime.date
HEADINGS = ["Date", "Event", "Source agency", "Impact", "Action taken"]


def csv_file(*lines: str) -> SimpleUploadedFile:
    text = "\r\n".join(["Date,Event,Source agency,Impact,Action taken", *lines]) + "\r\n"
    return SimpleUploadedFile("rows.csv", text.encode())


def xlsx_bytes(cells: dict[tuple[int, int], object]) -> bytes:
    """A workbook holding `cells`, keyed by (row, column) counted from 1."""
    workbook = Workbook()
    for (row, column), value in cells.items():
        workbook.active.cell(row=row, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def headed(*rows: list, first_row: int = 2) -> dict:
    cells = {(1, column): heading for column, heading in enumerate(HEADINGS, start=1)}
    for number, values in enumerate(rows, start=first_row):
        cells.update({(number, column): v for column, v in enumerate(values, start=1)})
    return cells


def xlsx_file(cells: dict) -> SimpleUploadedFile:
    return SimpleUploadedFile("rows.xlsx", xlsx_bytes(cells))


def with_sheet_xml(content: bytes, change) -> bytes:
    """The workbook `content` with its first sheet's XML changed by `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as original, zipfile.ZipFile(out, "w") as changed:
        for part in original.infolist():
            data = original.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            changed.writestr(part, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def import_rows(world, uploaded_file, *, case=None, agency="housing", **options):
    return service.chronology_rows_import(
        case=case or world["case"],
        agency=world[agency],
        user=world["housing_coordinator"],
        uploaded_file=uploaded_file,
        **options,
    )


def refusal(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        call(*args, **kwargs)
    return raised.value


def events(**filters) -> list[str]:
    return sorted(ChronologyEntry.objects.filter(**filters).values_list("event", flat=True))


# Documents ---------------------------------------------------------------------------------


def upload_document(world, case, agency, name="chronology.pdf", content=None):
    return service.chronology_file_upload(
        case=case,
        agency=world[agency],
        user=world["housing_coordinator"],
        uploaded_file=SimpleUploadedFile(name, content or minimal_pdf()),
    )


@pytest.mark.storage
def test_the_same_document_is_a_duplicate_only_for_the_same_case_and_agency(world, media_root):
    case, other_case = world["case"], CaseFactory(audit=world["audit"], label="Case 2")
    other_case.agencies.add(world["housing"])
    first = upload_document(world, case, "housing", name="First.pdf")
    assert first.uploaded_by == world["housing_coordinator"]
    # The same bytes for another case, or from another agency, are their own documents.
    upload_document(world, other_case, "housing")
    upload_document(world, case, "police")
    assert ChronologyFile.objects.count() == 3
    # Uploaded at 23:30 UTC on 5 July, which is 6 July in the UK.
    moment = datetime.datetime(2026, 7, 5, 23, 30, tzinfo=datetime.UTC)
    ChronologyFile.objects.filter(pk=first.pk).update(uploaded_at=moment)
    error = refusal(upload_document, world, case, "housing", name="again.pdf")
    assert error.code == "duplicate"
    assert error.messages == [
        "This file has already been uploaded for Case 1 (as “First.pdf” on 6 July 2026). "
        "Choose the new version of the chronology."
    ]
    assert ChronologyFile.objects.count() == 3


# Rows from a file ---------------------------------------------------------------------------


def test_imported_rows_are_the_agencys_for_the_case_and_written_by_the_user(world):
    created = import_rows(world, csv_file("23/11/2026,Home visit,GP,negative,Referred"))
    [entry] = ChronologyEntry.objects.all()
    assert created == [entry]
    assert (entry.case, entry.agency) == (world["case"], world["housing"])
    assert entry.created_by == world["housing_coordinator"]


def test_rows_already_there_are_only_this_cases_and_this_agencys(world):
    other_case = CaseFactory(audit=world["audit"], label="Case 2")
    other_case.agencies.add(world["housing"])
    for case, agency in ((other_case, world["housing"]), (world["case"], world["police"])):
        ChronologyEntryFactory(case=case, agency=agency, date=D(2026, 11, 23), event="Home visit")
    # The same row in another case's or agency's chronology is not "already here".
    import_rows(world, csv_file("23/11/2026,Home visit,,,"))
    assert events(case=world["case"], agency=world["housing"]) == ["Home visit"]
    # Replacing this agency's rows leaves the other case's and the other agency's alone.
    import_rows(world, csv_file("24/11/2026,Strategy meeting,,,"), if_already_there="replace")
    assert events(case=world["case"], agency=world["housing"]) == ["Strategy meeting"]
    assert events(case=other_case, agency=world["housing"]) == ["Home visit"]
    assert events(case=world["case"], agency=world["police"]) == ["Home visit"]


def test_a_row_already_there_is_asked_about_and_nothing_is_saved(world):
    import_rows(world, csv_file("23/11/2026,Home visit,,,"))
    error = refusal(import_rows, world, csv_file("23/11/2026,HOME   visit,,,", "2026,Call,,,"))
    assert (error.code, error.already, error.new) == ("rows_already_there", 1, 1)
    assert events() == ["Home visit"]


def test_the_row_key_is_the_date_and_the_events_words_in_any_case():
    assert service._row_key(D(2026, 1, 2), "  Home \n VISIT\t") == (D(2026, 1, 2), "home visit")


def test_a_file_of_headings_only_has_no_rows(world):
    error = refusal(import_rows, world, csv_file())
    assert error.code == "no_rows"
    assert error.messages == [
        "The file has its column headings but no rows. Add the events below the headings."
    ]


# Workbook limits ----------------------------------------------------------------------------

SMALL_LIMITS = uploads.SheetLimits(rows=4, cells_per_row=6, cells=12, strings=9)


@pytest.mark.parametrize(
    "cells, message",
    [
        (
            headed(["2026", "a"], ["2026", "b"], ["2026", "c"], ["2026", "d"]),
            "The sheet is longer than 4 rows (empty rows counted), and one agency's chronology "
            "of a case holds at most 5,000 entries: delete the empty rows below the chronology, "
            "or copy just its rows into a new workbook, and upload that.",
        ),
        (
            headed(["2026", "a", "", "", "", "x", "y"]),
            "Row 2 of the workbook has more than 6 cells, far more than a chronology's columns. "
            "Copy just the chronology's columns into a new workbook, or save it as CSV, and "
            "upload that.",
        ),
        (
            headed(["2026", "a", "s", "unknown", "x"], ["2026", "b", "s", "unknown", "x"]),
            "The workbook holds more than 12 cells, more than a chronology needs. Save just the "
            "chronology's sheet as a new workbook, or as CSV, and upload that.",
        ),
    ],
)
def test_a_workbook_over_its_limits_is_refused_before_it_is_read(
    world, monkeypatch, cells, message
):
    monkeypatch.setattr(service, "SHEET_LIMITS", SMALL_LIMITS)
    error = refusal(import_rows, world, xlsx_file(cells))
    assert (error.code, error.messages) == ("too_many_rows", [message])
    assert ChronologyEntry.objects.count() == 0


def test_the_workbook_limits_name_what_they_count():
    limits = service.SHEET_LIMITS
    assert (limits.rows, limits.cells_per_row, limits.cells, limits.strings) == (
        20_000,
        1_000,
        300_000,
        300_000,
    )
    assert service.MAX_SHEET_ROWS == 20_000


def test_a_sheets_last_row_may_be_its_20000th_and_not_one_more(world):
    """Blank rows are counted too, so a sheet claiming to be endless is not read to its end."""
    last = service.MAX_SHEET_ROWS
    import_rows(world, xlsx_file(headed(["2026", "The last row"], first_row=last)))
    assert events() == ["The last row"]
    error = refusal(
        import_rows, world, xlsx_file(headed(["2026", "One too many"], first_row=last + 1))
    )
    assert error.code == "too_many_rows"
    assert error.messages == [
        "The sheet is longer than 20,000 rows (empty rows counted), and one agency's chronology "
        "of a case holds at most 5,000 entries: delete the empty rows below the chronology, or "
        "copy just its rows into a new workbook, and upload that."
    ]
    assert events() == ["The last row"]


def test_only_the_first_30_columns_are_read(world):
    beyond = {(1, 1): "Date", (1, service.MAX_COLUMNS + 1): "Event", (2, 1): "2026"}
    error = refusal(import_rows, world, xlsx_file(beyond))
    assert error.code == "headings"
    within = {(1, 1): "Date", (1, service.MAX_COLUMNS): "Event", (2, 1): "2026"}
    within[(2, service.MAX_COLUMNS)] = "Visit"
    import_rows(world, xlsx_file(within))
    assert events() == ["Visit"]


UNREADABLE = "The workbook could not be read. Save it again from Excel as .xlsx and retry."


def test_a_file_that_is_no_workbook_cannot_be_read():
    error = refusal(list, service._xlsx_rows(SimpleUploadedFile("rows.xlsx", b"PK\x03\x04x")))
    assert (error.code, error.messages) == ("xlsx", [UNREADABLE])


def test_a_workbook_whose_sheet_is_damaged_cannot_be_read():
    content = with_sheet_xml(xlsx_bytes(headed(["2026", "Visit"])), lambda xml: xml[:-40])
    error = refusal(list, service._xlsx_rows(SimpleUploadedFile("rows.xlsx", content)))
    assert (error.code, error.messages) == ("xlsx", [UNREADABLE])


def test_a_formula_is_read_as_the_value_excel_shows(world):
    def cached(xml: bytes) -> bytes:
        return re.sub(
            rb'<c r="B2"><f>(.*?)</f><v\s*/?>(</v>)?',
            rb'<c r="B2" t="str"><f>\1</f><v>Home visit</v>',
            xml,
        )

    content = with_sheet_xml(xlsx_bytes(headed(["2026", '="Home "&"visit"'])), cached)
    import_rows(world, SimpleUploadedFile("rows.xlsx", content))
    assert events() == ["Home visit"]


# Reading a CSV -----------------------------------------------------------------------------


def test_a_csv_not_read_as_text_says_so():
    error = refusal(list, service._csv_rows(SimpleUploadedFile("c.csv", b"a,b\r\n"), None))
    assert (error.code, error.messages) == ("encoding", ["The CSV file could not be read as text."])


def test_a_csv_broken_on_its_first_line_says_line_1():
    broken = SimpleUploadedFile("c.csv", b'"' + b"x" * 200_000 + b'"\r\n')
    error = refusal(list, service._csv_rows(broken, "utf-8-sig"))
    assert error.code == "csv"
    assert error.messages[0].startswith("The CSV file could not be read (near line 1): ")


def test_a_line_break_inside_a_csv_cell_is_kept_as_written():
    upload = SimpleUploadedFile("c.csv", b'Date,Event\r\n2026,"Visit\r\nthen a call"\r\n')
    assert list(service._csv_rows(upload, "utf-8-sig"))[1] == (2, ["2026", "Visit\r\nthen a call"])


def test_a_csv_given_up_after_its_file_is_closed_is_let_go_quietly():
    upload = SimpleUploadedFile("c.csv", b"Date,Event\r\n2026,Visit\r\n")
    reading = service._csv_rows(upload, "utf-8-sig")
    assert next(reading) == (1, ["Date", "Event"])
    upload.close()
    reading.close()


HEADING_READ = 64 * 1024


def test_only_the_first_64_kib_of_the_heading_row_choose_the_delimiter():
    # Two semicolons within the first 64 KiB, three commas just after it.
    heading = b"Date;Event;" + b"x" * (HEADING_READ - 11) + b",,,\r\n"
    upload = SimpleUploadedFile("c.csv", heading + b"2026;Visit\r\n")
    assert service._delimiter(upload, "utf-8-sig") == ";"


def test_a_character_cut_by_the_64_kib_heading_read_is_left_out():
    heading = b"Date;Event;" + b"x" * (HEADING_READ - 12) + "é".encode() + b"\r\n"
    upload = SimpleUploadedFile("c.csv", heading)
    assert service._delimiter(upload, "utf-8-sig") == ";"


# Single rows -------------------------------------------------------------------------------


def save(world, *, agency="housing", case=None, **fields):
    values = {"date": D(2026, 3, 5), "date_precision": "day", "event": "Home visit", **fields}
    return service.chronology_entry_save(
        case=case or world["case"],
        agency=world[agency],
        user=world["housing_coordinator"],
        **values,
    )


def test_a_new_row_is_the_agencys_written_by_the_user_with_blank_optional_boxes(world):
    entry = save(world)
    entry.refresh_from_db()
    assert (entry.case, entry.agency) == (world["case"], world["housing"])
    assert entry.created_by == world["housing_coordinator"]
    assert (entry.source_agency, entry.action_taken, entry.impact) == ("", "", "unknown")


@pytest.mark.parametrize("impact, stored", [("", "unknown"), ("negative", "negative")])
def test_a_rows_impact_is_kept_and_blank_means_unknown(world, impact, stored):
    entry = save(world, impact=impact)
    entry.refresh_from_db()
    assert entry.impact == stored


@pytest.mark.parametrize("other", ["case", "agency"])
def test_a_row_of_another_case_or_agency_is_never_changed(world, other):
    other_case = CaseFactory(audit=world["audit"], label="Case 2")
    other_case.agencies.add(world["housing"])
    entry = ChronologyEntryFactory(
        case=other_case if other == "case" else world["case"],
        agency=world["housing"] if other == "case" else world["police"],
        event="Theirs",
    )
    error = refusal(save, world, entry=entry, event="Changed")
    assert (error.code, error.messages) == (
        "wrong_chronology",
        ["That row belongs to another chronology."],
    )
    entry.refresh_from_db()
    assert entry.event == "Theirs"
