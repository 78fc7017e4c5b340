"""Safe spreadsheet cells: what MACA writes to CSV or Excel must never run as a formula, and an
Excel cell holds only what Excel can open; and the one shape of a CSV download."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable

from django.http import HttpResponse

from maca.downloads import attachment_response
from maca.text import xml_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The most characters an Excel cell may hold; a longer one makes Excel call the file damaged.
XLSX_CELL_MAX = 32_767
HEADER_MARKING_MAX = 200


def neutralise(value):
    """Prefix an apostrophe to text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# A byte order mark first, so that Excel on Windows reads the file as UTF-8 ("Children’s", not
# "Childrenâ€™s").
BYTE_ORDER_MARK = "\ufeff"


def xlsx_cell(value):
    """A value as an Excel cell may hold it: without the characters XML cannot hold (control
    characters pasted from Word), neutralised, and cut to XLSX_CELL_MAX characters with a note
    saying so."""
    if not isinstance(value, str):
        return value
    value = neutralise(xml_text(value))
    if len(value) > XLSX_CELL_MAX:
        note = f" […cut at {XLSX_CELL_MAX:,} characters, Excel's limit: the full text is in MACA]"
        value = value[: XLSX_CELL_MAX - len(note)] + note
    return value


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return neutralise(value)


def csv_response(rows: Iterable[Iterable], *, filename: str) -> HttpResponse:
    """A CSV download of `rows` (the first is the header), each cell neutralised, in UTF-8 with
    a byte order mark, never kept by a shared cache."""
    response = attachment_response(filename=filename, content_type="text/csv; charset=utf-8")
    csv_write(rows, response)
    return response


def csv_write(rows: Iterable[Iterable], handle) -> None:
    """`rows` as CSV to `handle` (a response or a file opened with newline=""), as a download
    has them: a byte order mark first, each cell neutralised."""
    handle.write(BYTE_ORDER_MARK)
    writer = csv.writer(handle)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])


def xlsx_response(
    title: str,
    columns: list[tuple[str, int]],
    rows: Iterable[list],
    name: str,
    *,
    marking: str,
    fills=None,
) -> HttpResponse:
    """An Excel download: a bold, frozen header row of `columns` (heading, width), each cell
    as `xlsx_cell` makes it, dates shown as dates; printed landscape with the header row on
    every page, `marking` (the protective marking) at the top and the page number at the foot.
    `fills`, when given, maps a row's values to {column number: colour} for the cells of that
    row to shade (a RAG rating, say)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([heading for heading, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, (_, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for row in rows:
        sheet.append([xlsx_cell(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "DD/MM/YYYY"
        for column, colour in (fills(row) if fills else {}).items():
            sheet.cell(row=sheet.max_row, column=column).fill = PatternFill("solid", fgColor=colour)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    _set_printing(sheet, marking)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return attachment_response(buffer.getvalue(), filename=f"{name}.xlsx", content_type=XLSX)


def _set_printing(sheet, marking: str) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    # Excel takes at most 255 characters in a header, its font's codes among them; "&" starts
    # a code.
    if len(marking) > HEADER_MARKING_MAX:
        marking = marking[: HEADER_MARKING_MAX - 1] + "…"
    sheet.oddHeader.center.text = marking.replace("&", "&&")
    sheet.oddHeader.center.font = "Arial,Bold"
    sheet.oddFooter.right.text = "Page &P of &N"
