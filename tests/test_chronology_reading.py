"""Reading a structured chronology, called directly: each cell's value, the headings, each
row's problems, the limits at exactly their number, and what the messages say."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.services import chronology as rows
from cases.services.chronology import parse_chronology_date

D = datetime.date
HEADINGS = ["Date", "Event", "Source agency", "Impact", "Action taken"]


def entries(*lines, headings=HEADINGS):
    numbered = enumerate([headings, *lines], start=1)
    return rows._entries_from(numbered, case=None, agency=None, user=None)


def test_counts_are_written_with_their_plural():
    assert rows._count(1, "row") == "1 row"
    assert rows._count(0, "row") == "0 rows"
    assert rows._count(12_345, "new row") == "12,345 new rows"


def test_the_messages_for_problem_rows_and_rows_already_there():
    error = rows.RowProblems(["Row 2: a", "Row 3: b"])
    assert (error.problems, error.code) == (["Row 2: a", "Row 3: b"], "row_problems")
    assert error.messages[0].startswith("The file has 2 problems, so nothing was saved.")
    assert str(rows.SubmissionsClosed()) == (
        "This audit no longer accepts submissions, so its chronologies can no longer be changed."
    )
    assert rows.RowProblems(["a"]).messages == [
        "The file has 1 problem, so nothing was saved. Correct the rows listed and upload the "
        "file again."
    ]
    error = rows.RowsAlreadyThere(already=1, new=2)
    assert (error.already, error.new, error.code) == (1, 2, "rows_already_there")
    assert error.messages == [
        "1 row of this file is already here (the same date, agency and event), so nothing was "
        "saved. Choose the file again and say whether to add only the 2 new rows or to replace "
        "your rows with the file's."
    ]
    assert (
        rows.RowsAlreadyThere(already=2, new=1)
        .messages[0]
        .startswith("2 rows of this file are already here")
    )


@pytest.mark.parametrize(
    "typed, date, precision",
    [
        ("1/2/1900", D(1900, 2, 1), "day"),
        ("31.12.2025", D(2025, 12, 31), "day"),
        ("05-03-2026", D(2026, 3, 5), "day"),
        ("2026-03-05 14:30", D(2026, 3, 5), "day"),
        ("2026-03-05T14:30:15.5", D(2026, 3, 5), "day"),
        ("5th March, 2026", D(2026, 3, 5), "day"),
        ("1st mar. 2026", D(2026, 3, 1), "day"),
        ("03.2026", D(2026, 3, 1), "month"),
        ("Mar 2026", D(2026, 3, 1), "month"),
        (2026.0, D(2026, 1, 1), "year"),
        (D(2026, 3, 5), D(2026, 3, 5), "day"),
    ],
)
def test_more_ways_of_writing_a_date(typed, date, precision):
    assert parse_chronology_date(typed) == (date, precision)


@pytest.mark.parametrize(
    "typed, message",
    [
        ("31/12/1899", "the date '31/12/1899' is before 1900"),
        ("1/1/2101", "the date '1/1/2101' is after today: a chronology records what has"),
        (D(1899, 12, 31), "the date '1899-12-31' is before 1900"),
        ("5 Smarch 2026", "the date '5 Smarch 2026' is not in a form MACA recognises: use "),
        (None, "the date is empty"),
        ("  ", "the date is empty"),
        ("2026-13", "the date '2026-13' is not a real date"),
        ("2026-02-30", "the date '2026-02-30' is not a real date"),
        ("30 February 2026", "the date '30 February 2026' is not a real date"),
        ("March 1899", "the date 'March 1899' is before 1900"),
    ],
)
def test_dates_out_of_range_or_unknown_say_so(typed, message):
    with pytest.raises(ValueError) as raised:
        parse_chronology_date(typed)
    assert str(raised.value).startswith(message)


def test_a_date_is_written_back_as_it_would_be_typed():
    assert rows.date_as_typed(D(2026, 3, 5), "day") == "05/03/2026"
    assert rows.date_as_typed(D(2026, 3, 1), "month") == "03/2026"
    assert rows.date_as_typed(D(2026, 1, 1), "year") == "2026"


def test_impact_is_one_of_four_and_blank_means_unknown():
    assert rows.parse_impact(None) == "unknown"
    assert rows.parse_impact("  ") == "unknown"
    assert rows.parse_impact(" Negative ") == "negative"
    with pytest.raises(ValueError) as raised:
        rows.parse_impact(" Awful ")
    assert str(raised.value) == ("the impact 'Awful' is not positive, negative, neutral or unknown")


def cell(value, number_format="General"):
    return SimpleNamespace(value=value, number_format=number_format)


def test_a_date_cell_keeps_the_precision_its_format_shows():
    moment = datetime.datetime(2026, 3, 5, 9, 30)
    assert rows._xlsx_value(cell(moment, "mmm yyyy")) == "03/2026"
    assert rows._xlsx_value(cell(D(2026, 3, 5), "MM/YYYY")) == "03/2026"
    assert rows._xlsx_value(cell(moment, "yyyy")) == "2026"
    assert rows._xlsx_value(cell(moment, '"Day" yyyy')) == "2026"
    assert rows._xlsx_value(cell(moment, "[$-809]yyyy")) == "2026"
    assert rows._xlsx_value(cell(moment, "dd/mm/yyyy")) == moment
    assert rows._xlsx_value(cell(moment, None)) == moment
    assert rows._xlsx_value(cell("March 2026", "yyyy")) == "March 2026"
    assert rows._xlsx_value(SimpleNamespace()) is None


def test_cell_text_is_trimmed_and_whole_numbers_lose_their_point():
    assert rows._cell_text(None) == ""
    assert rows._cell_text(2026.0) == "2026"
    assert rows._cell_text(2.5) == "2.5"
    assert rows._cell_text("  visit ") == "visit"


def test_headings_are_found_by_any_of_their_names_in_any_order():
    assert rows._columns(["What happened", " DATE* ", "", "Impact on the child:", "date"]) == {
        "event": 0,
        "date": 1,
        "impact": 3,
    }


def test_missing_headings_are_named():
    with pytest.raises(ValidationError) as raised:
        rows._columns(["Date", "Notes"])
    assert raised.value.code == "headings"
    assert raised.value.messages == [
        "The first row (below any title) must hold the column headings (Date, Event, Source "
        "agency, Impact, Action taken); no Event column was found. Download the template to "
        "start from."
    ]
    with pytest.raises(ValidationError, match="no Date or Event column was found"):
        rows._columns([])


def test_a_row_is_read_into_an_entry():
    found, problems = entries(["", ""], ["1/2/2026", " Visit ", "GP", "Positive", "Referred"])
    assert problems == []
    [entry] = found
    assert (entry.date, entry.date_precision, entry.event) == (D(2026, 2, 1), "day", "Visit")
    assert (entry.source_agency, entry.impact, entry.action_taken) == ("GP", "positive", "Referred")


def test_a_short_row_reads_its_missing_cells_as_blank():
    found, problems = entries(["2026", "Visit"])
    assert problems == [] and found[0].impact == "unknown" and found[0].source_agency == ""


def test_each_problem_is_named_with_its_row_number():
    found, problems = entries(
        ["", "", "", "", ""],
        ["31/02/2026", "", "x" * (rows.SOURCE_MAX + 1), "awful", "y" * (rows.MAX_TEXT + 1)],
        ["2026", "z" * (rows.MAX_TEXT + 1)],
        rows.TEMPLATE_EXAMPLE,
    )
    assert found == []
    assert problems == [
        "Row 3: the date '31/02/2026' is not a real date",
        "Row 3: the event is empty",
        f"Row 3: the source agency is longer than {rows.SOURCE_MAX} characters",
        "Row 3: the action taken is longer than 10,000 characters",
        "Row 3: the impact 'awful' is not positive, negative, neutral or unknown",
        "Row 4: the event is longer than 10,000 characters",
        "Row 5: this is the template's example row: delete it and upload again",
    ]


def test_texts_of_exactly_their_limit_are_taken():
    found, problems = entries(
        ["2026", "e" * rows.MAX_TEXT, "s" * rows.SOURCE_MAX, "", "a" * rows.MAX_TEXT]
    )
    assert problems == [] and len(found) == 1


def test_at_most_fifty_problems_are_listed_and_the_rest_counted():
    bad = [["never", "Visit"]] * (rows.MAX_PROBLEMS_SHOWN + 2)
    _, problems = entries(*bad)
    assert len(problems) == rows.MAX_PROBLEMS_SHOWN + 1
    assert problems[-1] == "… and 2 more problems."
    _, problems = entries(*bad[:-2])
    assert len(problems) == rows.MAX_PROBLEMS_SHOWN
    assert problems[-1].startswith("Row 51: ")


def test_a_file_of_exactly_the_most_rows_is_read_and_one_more_is_refused(monkeypatch):
    monkeypatch.setattr(rows, "MAX_ROWS", 3)
    assert len(entries(*[["2026", "Visit"]] * 3)[0]) == 3
    with pytest.raises(ValidationError) as raised:
        entries(*[["2026", "Visit"]] * 4)
    assert raised.value.code == "too_many_rows"
    assert raised.value.messages == [
        "The file has more than 3 rows: one agency's chronology of a case holds at most that "
        "many. Keep the entries that matter to the audit (earlier years summed up in a few rows) "
        "and upload that."
    ]


def test_a_file_of_blank_rows_is_empty():
    with pytest.raises(ValidationError) as raised:
        rows._entries_from(iter([(1, ["", None]), (2, [])]), case=None, agency=None, user=None)
    assert raised.value.code == "empty"
    assert raised.value.messages == [
        "The file is empty. Download the template, add the events and upload it again."
    ]


@pytest.mark.parametrize(
    "heading, delimiter",
    [(b"Date,Event;x", ","), (b"Date;Event;Impact", ";"), (b"Date\tEvent\tImpact,x", "\t")],
)
def test_a_csv_is_split_by_what_its_heading_row_is_split_by(heading, delimiter):
    upload = SimpleUploadedFile("c.csv", heading + b"\r\n1,2;3\t4\r\n")
    assert rows._delimiter(upload, "utf-8-sig") == delimiter


def test_csv_rows_are_numbered_from_one_and_a_broken_file_says_where():
    upload = SimpleUploadedFile("c.csv", b'Date,Event\r\n2026,"Visit, at home"\r\n')
    assert list(rows._csv_rows(upload, "utf-8-sig")) == [
        (1, ["Date", "Event"]),
        (2, ["2026", "Visit, at home"]),
    ]
    too_long = b'Date,Event\r\n2026,Visit\r\n2026,"' + b"x" * 200_000 + b'"\r\n'
    broken = SimpleUploadedFile("c.csv", too_long)
    with pytest.raises(ValidationError) as raised:
        list(rows._csv_rows(broken, "utf-8-sig"))
    assert raised.value.code == "csv"
    assert raised.value.messages[0].startswith("The CSV file could not be read (near line 3): ")
    with pytest.raises(ValidationError) as raised:
        list(rows._csv_rows(upload, None))
    assert raised.value.messages == ["The CSV file could not be read as text."]
