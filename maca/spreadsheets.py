"""Safe spreadsheet cells: what MACA writes to CSV or Excel must never run as a formula; and the
one shape of a CSV download."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
