"""Writes for chronologies: an agency's chronology document for a case, and its structured rows.

Every write refuses once the audit no longer accepts submissions. A refused upload leaves nothing
behind: no database row and no file under MEDIA_ROOT.
"""

from __future__ import annotations

import calendar
import csv
import datetime
import io
import re
from collections.abc import Iterator
from contextlib import closing, suppress

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce, Length
from django.utils.dateformat import format as date_format
from django.utils.timezone import localdate, localtime

from cases import uploads
from cases.models import Case, ChronologyEntry, ChronologyFile
from cases.selectors.identifiers import case_details_in, listed

Precision = ChronologyEntry.Precision
Impact = ChronologyEntry.Impact

MAX_ROWS = 5000
MAX_SHEET_ROWS = 4 * MAX_ROWS  # rows of a sheet looked at, blank ones included
MAX_COLUMNS = 30
MAX_PROBLEMS_SHOWN = 50
# Rows of one cell (a title, the agency's name, a date of export) passed over above the headings.
MAX_TITLE_ROWS = uploads.TITLE_LINES
MAX_TEXT = 10_000
# What one agency's chronology of one case may hold in all, however many files and rows it was
# sent in: a case's integrated chronology and its PDF are made from every agency's.
CHRONOLOGY_MAX_ROWS = MAX_ROWS
CHRONOLOGY_MAX_CHARACTERS = 2_000_000
# What a structured chronology's workbook may hold, counted before openpyxl reads it.
SHEET_LIMITS = uploads.SheetLimits(
    rows=MAX_SHEET_ROWS, cells_per_row=1_000, cells=300_000, strings=300_000
)
SOURCE_MAX = ChronologyEntry._meta.get_field("source_agency").max_length

DOCUMENT_KINDS = (uploads.PDF, uploads.DOCX, uploads.XLSX, uploads.CSV)
DOCUMENT_DESCRIBED = "a PDF, Word (DOCX), Excel (XLSX) or CSV document"
ROWS_KINDS = (uploads.CSV, uploads.XLSX)
ROWS_DESCRIBED = "a CSV file or an Excel (XLSX) workbook"

# The structured chronology's columns: (heading in the template, field, other headings accepted).
COLUMNS = [
    ("Date", "date", ()),
    ("Event", "event", ("what happened", "event or contact")),
    ("Source agency", "source_agency", ("source", "source of information")),
    ("Impact", "impact", ("impact on the child",)),
    ("Action taken", "action_taken", ("action", "actions taken", "action(s) taken")),
]
TEMPLATE_HEADINGS = [heading for heading, _, _ in COLUMNS]
TEMPLATE_EXAMPLE = [
    "23/11/2026",
    "Example: health visitor's home visit; the home was cold and there was little food.",
    "Health visiting",
    "negative",
    "Referred to children's social care the same day.",
]
_HEADING_FIELDS = {
    alias: field
    for heading, field, aliases in COLUMNS
    for alias in (heading.lower(), field.replace("_", " "), *aliases)
}


class SubmissionsClosed(PermissionDenied):
    """The audit no longer accepts submissions, so its chronologies can't change."""

    message = (
        "This audit no longer accepts submissions, so its chronologies can no longer be changed."
    )

    def __init__(self):
        super().__init__(self.message)


class RowProblems(ValidationError):
    """A structured chronology with rows that can't be saved; `problems` names each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            f"The file has {_count(len(problems), 'problem')}, so nothing was saved. "
            "Correct the rows listed and upload the file again.",
            code="row_problems",
        )


class RowsAlreadyThere(ValidationError):
    """Some of the file's rows are already in the chronology (same date, agency and event):
    the user chooses to add only the new rows or to replace the agency's rows."""

    def __init__(self, *, already: int, new: int):
        self.already, self.new = already, new
        super().__init__(self._message(already, new), code="rows_already_there")

    @staticmethod
    def _message(already: int, new: int) -> str:
        if not new:
            return (
                "Every row of this file is already here (the same date, agency and event), so "
                "nothing was saved: it has nothing new to add. To replace your rows with the "
                "file's, choose it again and say so."
            )
        return (
            f"{_count(already, 'row')} of this file {'is' if already == 1 else 'are'} already "
            "here (the same date, agency and event), so nothing was saved. Choose the file again "
            f"and say whether to add only the {_count(new, 'new row')} or to replace your rows "
            "with the file's."
        )


# What to do when a file's rows are already in the chronology.
ADD_NEW_ONLY = "new_only"
REPLACE_MINE = "replace"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _require_open(case: Case) -> None:
    if not case.audit.accepts_submissions:
        raise SubmissionsClosed


# Documents -----------------------------------------------------------------------------------


def chronology_file_upload(*, case: Case, agency, user, uploaded_file) -> ChronologyFile:
    """Keep `uploaded_file` as the agency's current chronology document for `case`.

    The file is identified from its content, measured and hashed in one streamed pass, then moved
    (or copied chunk by chunk) under MEDIA_ROOT with a random name. Older versions are kept.
    """
    with transaction.atomic():
        _require_open(case)
        inspection, kind = uploads.accept(uploaded_file, DOCUMENT_KINDS, DOCUMENT_DESCRIBED)
        earlier = ChronologyFile.objects.filter(
            case=case, agency=agency, sha256=inspection.sha256
        ).first()
        if earlier:
            raise ValidationError(
                f"This file has already been uploaded for {case.label} "
                f"(as “{earlier.original_name}” on {_day(earlier.uploaded_at)}). "
                "Choose the new version of the chronology.",
                code="duplicate",
            )
        document = ChronologyFile(
            case=case,
            agency=agency,
            original_name=uploads.display_name(uploaded_file.name, kind),
            kind=kind,
            size=inspection.size,
            sha256=inspection.sha256,
            uploaded_by=user,
        )
        return uploads.store_with_record(document, uploaded_file, f"chronology.{kind}")


def _day(moment) -> str:
    return date_format(localtime(moment), "j F Y")


# Dates ---------------------------------------------------------------------------------------

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

_DAY_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_DAY_SHORT_YEAR = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2})")
_DAY_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DAY_WORDS = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})")
_MONTH_NUMERIC = re.compile(r"(\d{1,2})[/.\-](\d{4})")
_MONTH_ISO = re.compile(r"(\d{4})-(\d{1,2})")
_MONTH_WORDS = re.compile(r"([a-z]+)\.?,?\s+(\d{4})")
_YEAR = re.compile(r"(\d{4})")

FIRST_YEAR = 1900
DATE_FORMS = "a day (23/11/2026), a month (11/2026 or November 2026) or a year (2026)"


def parse_chronology_date(value) -> tuple[datetime.date, str]:
    """A chronology date and its precision from what someone typed (or a spreadsheet held).

    A month is stored as its first day and a year as 1 January, with the precision saying so.
    Raises ValueError with a message fit to show.
    """
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return _in_range(value, str(value)), Precision.DAY
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = " ".join(str(value if value is not None else "").split())
    text = raw.lower()
    if not text:
        raise ValueError("the date is empty")
    if match := _DAY_NUMERIC.fullmatch(text):
        day, month, year = match.groups()
        return _real(raw, year, month, day), Precision.DAY
    if match := _DAY_SHORT_YEAR.fullmatch(text):
        day, month, year = match.groups()
        return _real(raw, _full_year(raw, year), month, day), Precision.DAY
    if match := _DAY_ISO.fullmatch(text):
        year, month, day = match.groups()
        return _real(raw, year, month, day), Precision.DAY
    if (match := _DAY_WORDS.fullmatch(text)) and match.group(2) in _MONTHS:
        day, month, year = match.groups()
        return _real(raw, year, _MONTHS[month], day), Precision.DAY
    if match := _MONTH_NUMERIC.fullmatch(text):
        month, year = match.groups()
        return _real(raw, year, month, 1), Precision.MONTH
    if match := _MONTH_ISO.fullmatch(text):
        year, month = match.groups()
        return _real(raw, year, month, 1), Precision.MONTH
    if (match := _MONTH_WORDS.fullmatch(text)) and match.group(1) in _MONTHS:
        month, year = match.groups()
        return _real(raw, year, _MONTHS[month], 1), Precision.MONTH
    if _YEAR.fullmatch(text):
        return _real(raw, text, 1, 1), Precision.YEAR
    raise ValueError(f"the date '{raw}' is not in a form MACA recognises: use {DATE_FORMS}")


# A year written in two digits from here up is taken for the 1900s ("12/05/98"); below it, one
# not yet past this century's (a chronology records what has happened) is ambiguous.
LAST_CENTURY_FROM = 50


def _full_year(raw: str, short: str) -> int:
    """ "26" is 2026 (2026 being past or this year), "98" is 1998; "31" is asked about."""
    this_century = 2000 + int(short)
    if this_century <= localdate().year:
        return this_century
    if int(short) >= LAST_CENTURY_FROM:
        return 1900 + int(short)
    raise ValueError(f"the year of '{raw}' could be 19{short} or 20{short}: write it in full")


def _real(raw: str, year, month, day) -> datetime.date:
    try:
        value = datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(f"the date '{raw}' is not a real date") from None
    return _in_range(value, raw)


def _in_range(value: datetime.date, raw: str) -> datetime.date:
    """A chronology records what has happened: from 1900 up to today (a month or a year from
    its first day, so this month and this year are taken)."""
    if value.year < FIRST_YEAR:
        raise ValueError(f"the date '{raw}' is before {FIRST_YEAR}")
    if value > localdate():
        raise ValueError(
            f"the date '{raw}' is after today: a chronology records what has already happened"
        )
    return value


def date_as_typed(date: datetime.date, precision: str) -> str:
    """A stored date written back the way it would be typed, for editing."""
    if precision == Precision.YEAR:
        return f"{date.year}"
    if precision == Precision.MONTH:
        return f"{date.month:02d}/{date.year}"
    return f"{date.day:02d}/{date.month:02d}/{date.year}"


def parse_impact(value) -> str:
    text = str(value if value is not None else "").strip().lower()
    if not text:
        return Impact.UNKNOWN
    if text in Impact.values:
        return text
    raise ValueError(
        f"the impact '{str(value).strip()}' is not positive, negative, neutral or unknown"
    )


# Structured rows -----------------------------------------------------------------------------


def chronology_rows_import(
    *, case: Case, agency, user, uploaded_file, if_already_there: str = ""
) -> list[ChronologyEntry]:
    """Add the rows of a structured chronology (CSV or XLSX, laid out as the template).

    Every row is checked first; if any has a problem, RowProblems lists them all and nothing is
    saved. A clean file's rows are added in one transaction. When some are already there (the
    same date, agency and event), RowsAlreadyThere asks first, unless `if_already_there` says to
    add only the new ones (ADD_NEW_ONLY) or to replace the agency's rows (REPLACE_MINE).
    """
    with transaction.atomic():
        _require_open(case)
        inspection, kind = _accept_rows_file(uploaded_file)
        if kind == uploads.CSV:
            rows = _csv_rows(uploaded_file, inspection.encoding)
        else:
            rows = _xlsx_rows(uploaded_file)
        with closing(rows):
            entries, problems = _entries_from(rows, case=case, agency=agency, user=user)
        if problems:
            raise RowProblems(problems)
        if not entries:
            raise ValidationError(
                "The file has its column headings but no rows. Add the events below the headings.",
                code="no_rows",
            )
        # One import into a case at a time: a second one sees the first's rows as already there.
        Case.objects.select_for_update().filter(pk=case.pk).exists()
        entries = _without_rows_already_there(entries, case, agency, if_already_there)
        _check_chronology_size(case, agency, entries)
        for entry in entries:
            # Case, agency and author are set here, not typed; the event's own constraint
            # (not empty) was checked row by row above.
            entry.full_clean(exclude=["case", "agency", "created_by"], validate_constraints=False)
        created = ChronologyEntry.objects.bulk_create(entries)
        return created


class ChronologyTooLarge(ValidationError):
    def __init__(self, rows: int, characters: int, *, one_row: bool):
        what = "this row" if one_row else "these rows"
        advice = (
            "Shorten it, or take out rows the audit does not need."
            if one_row
            else "Leave out rows that are already there or that the audit does not need, or "
            "shorten the longest."
        )
        super().__init__(
            f"One agency's chronology of a case holds at most {CHRONOLOGY_MAX_ROWS:,} rows and "
            f"{CHRONOLOGY_MAX_CHARACTERS:,} characters of text; with {what} it would hold "
            f"{_count(rows, 'row')} and {characters:,} characters, so nothing was saved. {advice}",
            code="chronology_too_large",
        )


def _text_length(entry: ChronologyEntry) -> int:
    return len(entry.event) + len(entry.source_agency) + len(entry.action_taken)


def _check_chronology_size(case, agency, adding, *, replacing=None) -> None:
    """Refuses `adding` (rows) when they would take the agency's chronology of `case` past its
    limits, or further past them. `replacing` is a row being changed, counted at its new length
    rather than twice: a chronology kept from before over its limits may still be shortened."""
    text = Length("event") + Length("source_agency") + Length("action_taken")
    held = ChronologyEntry.objects.filter(case=case, agency=agency).aggregate(
        rows=Count("pk"), characters=Coalesce(Sum(text), 0)
    )
    rows, characters = held["rows"], held["characters"]
    if replacing is not None and replacing.pk:
        rows -= 1
        characters -= ChronologyEntry.objects.filter(pk=replacing.pk).aggregate(
            characters=Coalesce(Sum(text), 0)
        )["characters"]
    after_rows = rows + len(adding)
    after_characters = characters + sum(_text_length(entry) for entry in adding)
    grows = after_rows > held["rows"] or after_characters > held["characters"]
    over = after_rows > CHRONOLOGY_MAX_ROWS or after_characters > CHRONOLOGY_MAX_CHARACTERS
    if grows and over:
        raise ChronologyTooLarge(after_rows, after_characters, one_row=replacing is not None)


def _row_key(date, event: str) -> tuple:
    return date, " ".join(event.split()).casefold()


def _without_rows_already_there(entries, case, agency, if_already_there: str):
    mine = ChronologyEntry.objects.filter(case=case, agency=agency)
    if if_already_there == REPLACE_MINE:
        mine.delete()
        return entries
    there = {_row_key(date, event) for date, event in mine.values_list("date", "event")}
    new = [entry for entry in entries if _row_key(entry.date, entry.event) not in there]
    if len(new) < len(entries) and if_already_there != ADD_NEW_ONLY:
        raise RowsAlreadyThere(already=len(entries) - len(new), new=len(new))
    return new


def _delimiter(uploaded_file, encoding: str) -> str:
    """Commas, or the semicolons (Excel in many languages) or tabs the heading row is split by:
    the first line so split, below any title (up to 64 KiB of each line is read)."""
    uploaded_file.seek(0)
    lines = (
        uploaded_file.file.readline(64 * 1024).decode(encoding, errors="ignore")
        for _line in range(uploads.TITLE_LINES + 1)
    )
    heading = uploads.heading_line("\n".join(line.rstrip("\r\n") for line in lines)) or ""
    return max(uploads.CSV_DELIMITERS, key=heading.count)


def _csv_rows(uploaded_file, encoding: str | None) -> Iterator[tuple[int, list]]:
    if not encoding:
        raise ValidationError("The CSV file could not be read as text.", code="encoding")
    delimiter = _delimiter(uploaded_file, encoding)
    uploaded_file.seek(0)
    text = io.TextIOWrapper(uploaded_file.file, encoding=encoding, newline="")
    number = 0
    try:
        lines = _bounded_lines(text)
        for number, row in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
            if number > MAX_SHEET_ROWS:
                raise ValidationError(_sheet_too_long(MAX_SHEET_ROWS, "file"), code="too_many_rows")
            if len(row) > MAX_CSV_FIELDS:
                raise ValidationError(
                    f"Row {number:,} of the file has more than {MAX_CSV_FIELDS:,} columns, far "
                    "more than a chronology's. Copy just the chronology's columns into a new "
                    "file and upload that.",
                    code="too_many_columns",
                )
            yield number, row
    except csv.Error as error:
        raise ValidationError(
            f"The CSV file could not be read (near line {number + 1}): {error}.", code="csv"
        ) from None
    finally:
        with suppress(ValueError):
            text.detach()


# A CSV line's length, read before it is split into fields: a file of millions of commas on one
# line would otherwise become a row of millions of fields. Room for several of the longest field
# the csv module takes (131,072 characters, said by its own message when passed).
MAX_CSV_LINE = 1_000_000
MAX_CSV_FIELDS = SHEET_LIMITS.cells_per_row


def _bounded_lines(text) -> Iterator[str]:
    while line := text.readline(MAX_CSV_LINE + 1):
        if len(line) > MAX_CSV_LINE:
            raise ValidationError(
                f"A line of the file is longer than {MAX_CSV_LINE:,} characters, more than a "
                "chronology's row holds. Check it is the chronology, saved as CSV, and upload "
                "it again.",
                code="line_too_long",
            )
        yield line


def _sheet_too_long(limit: int, what: str = "sheet") -> str:
    new = "workbook" if what == "sheet" else "file"
    return (
        f"The {what} is longer than {limit:,} rows (empty rows counted), and one agency's "
        f"chronology of a case holds at most {CHRONOLOGY_MAX_ROWS:,} entries: delete the empty "
        f"rows below the chronology, or copy just its rows into a new {new}, and upload that."
    )


def _accept_rows_file(uploaded_file) -> tuple[uploads.Inspection, str]:
    """A CSV, or a workbook whose rows and cells are counted in its XML before openpyxl builds
    any of them: a small file may hold a row of a million cells, which openpyxl would build
    before looking at the columns asked for."""
    try:
        return uploads.accept(uploaded_file, ROWS_KINDS, ROWS_DESCRIBED, sheet_limits=SHEET_LIMITS)
    except uploads.SheetTooLarge as error:
        if error.what == "rows":
            message = _sheet_too_long(error.limit)
        elif error.what == "cells in a row":
            message = (
                f"Row {error.row:,} of the workbook has more than {error.limit:,} cells, far more "
                "than a chronology's columns. Copy just the chronology's columns into a new "
                "workbook, or save it as CSV, and upload that."
            )
        else:
            message = (
                f"The workbook holds more than {error.limit:,} {error.what}, more than a "
                "chronology needs. Save just the chronology's sheet as a new workbook, or as "
                "CSV, and upload that."
            )
        raise ValidationError(message, code="too_many_rows") from None


def _xlsx_rows(uploaded_file) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    uploaded_file.seek(0)
    try:
        workbook = load_workbook(uploaded_file.file, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any unreadable workbook gets the same answer
        raise ValidationError(
            "The workbook could not be read. Save it again from Excel as .xlsx and retry.",
            code="xlsx",
        ) from None
    try:
        sheet = workbook.worksheets[0]
        _refuse_formulas_without_results(uploaded_file, sheet)
        # Every row, whatever size the sheet says it is: a <dimension> written wrong by another
        # program would otherwise have the rows past it dropped unseen. (Its rows and cells were
        # counted before it was opened.)
        sheet.reset_dimensions()
        # Bounded, so that a sheet claiming to be enormous can't keep the server busy.
        rows = enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1)
        while True:
            try:
                number, row = next(rows)
                values = [_xlsx_value(cell) for cell in row]
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 - a damaged sheet gets the same answer
                raise ValidationError(
                    "The workbook could not be read. Save it again from Excel as .xlsx and retry.",
                    code="xlsx",
                ) from None
            if number > MAX_SHEET_ROWS:
                raise ValidationError(_sheet_too_long(MAX_SHEET_ROWS), code="too_many_rows")
            yield number, values
    finally:
        workbook.close()


def _refuse_formulas_without_results(uploaded_file, sheet) -> None:
    """A formula's cell is read by its saved result: without one, it would read as empty."""
    # openpyxl names no public way to the sheet's part in the workbook's archive.
    cell = uploads.formula_without_result(uploaded_file, sheet._worksheet_path, MAX_COLUMNS)
    if cell:
        raise ValidationError(
            f"Cell {cell} holds a formula whose result was not saved in the file (a program "
            "other than Excel made it), so its value cannot be read. Open the file in Excel or "
            "LibreOffice, save it, and upload it again; or type the values instead.",
            code="xlsx_formula",
        )


def _xlsx_value(cell):
    """A cell's value; a real date cell formatted as a month or a year keeps that precision."""
    value = getattr(cell, "value", None)
    if isinstance(value, datetime.datetime | datetime.date):
        shown = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", (cell.number_format or "").lower())
        if "d" not in shown and "y" in shown:
            value = value.date() if isinstance(value, datetime.datetime) else value
            if "m" in shown:
                return f"{value.month:02d}/{value.year}"
            return f"{value.year}"
    return value


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _entries_from(rows, *, case, agency, user) -> tuple[list[ChronologyEntry], list[str]]:
    entries: list[ChronologyEntry] = []
    problems: list[tuple[int, str]] = []
    numbers: list[int] = []
    columns: dict[str, int] | None = None
    count = titles = 0
    no_headings: ValidationError | None = None  # what the first row lacked, if a title
    for number, row in rows:
        if not any(_cell_text(value) for value in row):
            continue
        if columns is None:
            try:
                columns = _columns(row)
            except ValidationError as refusal:
                # A title above the headings ("Chronology for Case 1", often merged across the
                # columns) fills one cell: passed over, as the person reading the sheet would.
                no_headings = no_headings or refusal
                if titles < MAX_TITLE_ROWS and _is_title(row):
                    titles += 1
                    continue
                raise refusal from None  # this row's, not the title's: what the headings lack
            continue
        count += 1
        if count > MAX_ROWS:
            raise ValidationError(
                f"The file has more than {MAX_ROWS:,} rows: one agency's chronology of a case "
                "holds at most that many. Keep the entries that matter to the audit (earlier "
                "years summed up in a few rows) and upload that.",
                code="too_many_rows",
            )
        values = {
            field: (row[index] if index < len(row) else None) for field, index in columns.items()
        }
        entry, row_problems = _entry_from(values, case=case, agency=agency, user=user)
        problems.extend((number, problem) for problem in row_problems)
        if entry:
            entries.append(entry)
            numbers.append(number)
    if columns is None and no_headings:
        raise no_headings  # rows of one cell each, none of them the headings
    if columns is None:
        raise ValidationError(
            "The file is empty. Download the template, add the events and upload it again.",
            code="empty",
        )
    problems += _identifiers_in_rows(case, zip(numbers, entries, strict=True), user)
    # In the order of the file's rows, as the person correcting it reads down it.
    listed_problems = [
        f"Row {number}: {problem}"
        for number, problem in sorted(problems, key=lambda found: found[0])
    ]
    if len(listed_problems) > MAX_PROBLEMS_SHOWN:
        hidden = len(listed_problems) - MAX_PROBLEMS_SHOWN
        listed_problems = [
            *listed_problems[:MAX_PROBLEMS_SHOWN],
            f"… and {_count(hidden, 'more problem')}.",
        ]
    return entries, listed_problems


def _is_title(row) -> bool:
    """Whether `row` reads as a title over the headings: text in one cell only, or (a CSV title
    holding a comma, "Housing, exported 3 March") in two, neither a heading nor the first a
    date, as a row of events would have; a row of more is refused, not passed over."""
    filled = [value for value in row if _cell_text(value)]
    if len(filled) == 1:
        return True
    if len(filled) > 2 or any(_heading_field(value) for value in filled):
        return False
    try:
        parse_chronology_date(filled[0])
    except ValueError:
        return True
    return False


def _heading_field(value) -> str | None:
    return _HEADING_FIELDS.get(" ".join(_cell_text(value).lower().rstrip("*:").split()))


def _columns(row) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, value in enumerate(row):
        field = _heading_field(value)
        if field and field not in columns:
            columns[field] = index
    missing = [heading for heading, field, _ in COLUMNS[:2] if field not in columns]
    if missing:
        raise ValidationError(
            "The first row (below any title) must hold the column headings ("
            + ", ".join(TEMPLATE_HEADINGS)
            + f"); no {' or '.join(missing)} column was found. Download the template to start "
            "from.",
            code="headings",
        )
    return columns


def _entry_from(values: dict, *, case, agency, user) -> tuple[ChronologyEntry | None, list[str]]:
    problems = []
    event = _cell_text(values.get("event"))
    source = _cell_text(values.get("source_agency"))
    action = _cell_text(values.get("action_taken"))
    if event == TEMPLATE_EXAMPLE[1]:
        return None, ["this is the template's example row: delete it and upload again"]
    date = precision = impact = None
    try:
        date, precision = parse_chronology_date(values.get("date"))
    except ValueError as error:
        problems.append(str(error))
    if not event:
        problems.append("the event is empty")
    elif len(event) > MAX_TEXT:
        problems.append(f"the event is longer than {MAX_TEXT:,} characters")
    if len(source) > SOURCE_MAX:
        problems.append(f"the source agency is longer than {SOURCE_MAX} characters")
    if len(action) > MAX_TEXT:
        problems.append(f"the action taken is longer than {MAX_TEXT:,} characters")
    try:
        impact = parse_impact(values.get("impact"))
    except ValueError as error:
        problems.append(str(error))
    if problems:
        return None, problems
    entry = ChronologyEntry(
        case=case,
        agency=agency,
        date=date,
        date_precision=precision,
        event=event,
        source_agency=source,
        impact=impact,
        action_taken=action,
        created_by=user,
    )
    return entry, []


# A chronology goes to every member of the audit once the meeting pack is released: the child's
# name, date of birth and reference numbers stay out of it, whoever typed them.
ROW_TEXTS = {"event": "event", "source_agency": "source agency", "action_taken": "action taken"}


class RowHoldsIdentifiers(ValidationError):
    """A row refused for holding its child's identifying details: `fields` maps each field
    holding them to its message."""

    def __init__(self, case, held: list[tuple[str, list[str]]]):
        self.fields = {
            field: f"This contains {listed(details)}. Every member of the audit reads the "
            f"chronologies once the meeting pack is released: write “the child” or "
            f"“{case.label}” instead."
            for field, details in held
        }
        super().__init__(list(self.fields.values()), code="identifying")


def _identifiers_in_row(case, entry: ChronologyEntry, writer) -> None:
    texts = [(field, getattr(entry, field)) for field in ROW_TEXTS]
    if held := case_details_in(case, texts, writer=writer):
        raise RowHoldsIdentifiers(case, held)


def _identifiers_in_rows(case, numbered, writer) -> list[tuple[int, str]]:
    """(3, "the event contains the name held for Case 1"), for the rows of a file holding
    their child's identifying details (read once for all the rows)."""
    texts = [
        ((number, field), getattr(entry, field))
        for number, entry in numbered
        for field in ROW_TEXTS
    ]
    return [
        (
            number,
            f"the {ROW_TEXTS[field]} contains {listed(details)}: write “the child” or "
            f"“{case.label}” instead",
        )
        for (number, field), details in case_details_in(case, texts, writer=writer)
    ]


# Single rows ---------------------------------------------------------------------------------


def chronology_entry_save(
    *,
    case: Case,
    agency,
    user,
    date: datetime.date,
    date_precision: str,
    event: str,
    source_agency: str = "",
    impact: str = Impact.UNKNOWN,
    action_taken: str = "",
    entry: ChronologyEntry | None = None,
) -> ChronologyEntry:
    """Add a row to the agency's structured chronology for `case`, or change `entry`."""
    with transaction.atomic():
        _require_open(case)
        if entry is None:
            entry = ChronologyEntry(case=case, agency=agency, created_by=user)
        elif entry.case_id != case.pk or entry.agency_id != agency.pk:
            raise ValidationError(
                "That row belongs to another chronology.", code="wrong_chronology"
            )
        entry.date = date
        entry.date_precision = date_precision
        entry.event = event
        entry.source_agency = source_agency
        entry.impact = impact or Impact.UNKNOWN
        entry.action_taken = action_taken
        # The author is recorded by the code (and may since have left), never typed.
        entry.full_clean(exclude=["created_by"])
        _identifiers_in_row(case, entry, user)
        # One change at a time to a case's rows, as an import makes: both adds at the limit
        # would otherwise pass.
        Case.objects.select_for_update().filter(pk=case.pk).exists()
        _check_chronology_size(case, agency, [entry], replacing=entry)
        entry.save()
        return entry


def chronology_entry_delete(*, entry: ChronologyEntry, user) -> None:
    """Remove a row from an agency's structured chronology."""
    with transaction.atomic():
        _require_open(entry.case)
        entry.delete()
