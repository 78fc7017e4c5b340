"""Safe spreadsheet cells: what MACA writes to CSV or Excel must never run as a formula, and an
Excel cell holds only what Excel can open; and the one shape of a CSV download."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse

from maca.text import xml_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The most characters an Excel cell may hold; a longer one makes Excel call the file damaged.
XLSX_CELL_MAX = 32_767


def neutralise(value):
    """Prefix an apostrophe to text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# A byte order mark first, so that Excel on Windows reads the file as UTF-8 ("Children’s", not
# "Childrenâ€™s").
BYTE_ORDER_MARK = "\ufeff"


def csv_response(rows: Iterable[Iterable], *, filename: str) -> HttpResponse:
    """A CSV download of `rows` (the first is the header), in UTF-8 with a byte order mark,
    never kept by a shared cache."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response.write(BYTE_ORDER_MARK)
    csv.writer(response).writerows(rows)
    return response


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
