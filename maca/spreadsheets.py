"""Safe spreadsheet cells: what MACA writes to CSV or Excel must never run as a formula, and an
Excel cell holds only what Excel can open."""

from maca.text import xml_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The most characters an Excel cell may hold; a longer one makes Excel call the file damaged.
XLSX_CELL_MAX = 32_767


def neutralise(value):
    """Prefix an apostrophe to text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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
