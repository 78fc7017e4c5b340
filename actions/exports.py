"""The composite plan as a spreadsheet: XLSX for people, CSV for other systems.

Any cell that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
return) is prefixed with an apostrophe, so opening an export never runs anything typed into MACA.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from maca.spreadsheets import neutralise, xlsx_cell

from .models import Rag

RAG_FILLS = {
    Rag.RED: "F4B6B6",
    Rag.AMBER: "FCE3A6",
    Rag.GREEN: "BFE3C0",
    Rag.COMPLETE: "C9D7EE",
    Rag.CANCELLED: "E3E3E3",
}
COLUMNS = [
    ("Audit", 28, lambda a: a.audit.theme.name),
    ("Recommendation", 40, lambda a: a.recommendation.text if a.recommendation else ""),
    ("Action", 50, lambda a: a.text),
    ("Intended outcome", 40, lambda a: a.intended_outcome),
    ("How impact will be measured", 40, lambda a: a.impact_measure),
    ("Owner agency", 24, lambda a: a.owner_agency.name if a.owner_agency else ""),
    ("Lead", 24, lambda a: a.lead_name),
    ("Due date", 14, lambda a: a.due_date),
    ("Status", 14, lambda a: a.get_status_display()),
    ("RAG", 12, lambda a: Rag(a.rag_rating).label),
    ("Outcome", 40, lambda a: a.outcome_statement),
    # Last, so the columns before keep their places: "In progress, at risk" in the plan's PDF.
    ("At risk", 10, lambda a: "Yes" if a.at_risk and a.is_open else ""),
]
HEADERS = [name for name, _, _ in COLUMNS]
RAG_COLUMN = HEADERS.index("RAG") + 1
DUE_COLUMN = HEADERS.index("Due date") + 1


def rows(actions, cell=neutralise):
    for action in actions:
        yield action, [cell(get(action)) for _, _, get in COLUMNS]


def plan_xlsx(actions) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Action plan"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, (_, width, _) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for action, values in rows(actions, cell=xlsx_cell):
        sheet.append(values)
        row = sheet.max_row
        sheet.cell(row=row, column=DUE_COLUMN).number_format = "DD/MM/YYYY"
        fill = RAG_FILLS[action.rag_rating]
        sheet.cell(row=row, column=RAG_COLUMN).fill = PatternFill("solid", fgColor=fill)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan_csv_rows(actions):
    """The plan as CSV rows, the header first, dates as ISO dates."""
    yield HEADERS
    for _, values in rows(actions):
        yield [
            "" if v is None else (v.isoformat() if hasattr(v, "isoformat") else v) for v in values
        ]
