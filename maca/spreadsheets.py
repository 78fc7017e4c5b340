"""Safe spreadsheet cells: what MACA writes to CSV or Excel must never run as a formula."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value):
    """Prefix an apostrophe to text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return neutralise(value)


def csv_response(headers: list[str], rows: Iterable[list], filename: str) -> HttpResponse:
    """A CSV download, each cell neutralised, with a byte order mark so Excel reads UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(
    title: str, columns: list[tuple[str, int]], rows: Iterable[list], name: str
) -> HttpResponse:
    """An Excel download: a bold, frozen header row of `columns` (heading, width), each cell
    neutralised, dates shown as dates."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
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
        sheet.append([neutralise(value) for value in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime.date):
                cell.number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
