"""The composite plan as a spreadsheet: XLSX for people, CSV for other systems.

Any cell that a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage
return) is prefixed with an apostrophe, so opening an export never runs anything typed into MACA.
"""

from __future__ import annotations

from cases.naming import audit_name

from .models import Rag

RAG_FILLS = {
    Rag.RED: "F4B6B6",
    Rag.AMBER: "FCE3A6",
    Rag.GREEN: "BFE3C0",
    Rag.COMPLETE: "C9D7EE",
    Rag.CANCELLED: "E3E3E3",
}
COLUMNS = [
    ("Audit", 28, lambda a: audit_name(a.audit)),
    ("Recommendation", 40, lambda a: a.recommendation.text if a.recommendation else ""),
    ("Action", 50, lambda a: a.text),
    ("Intended outcome", 40, lambda a: a.intended_outcome),
    ("How impact will be measured", 40, lambda a: a.impact_measure),
    ("Owner agency", 24, lambda a: a.owner_agency.name if a.owner_agency else ""),
    ("Lead", 24, lambda a: a.lead_name),
    ("Due date", 14, lambda a: a.due_date),
    ("Status", 14, lambda a: a.get_status_display()),
    ("RAG", 12, lambda a: Rag(a.rag_rating).label),
    ("Outcome", 40, lambda a: a.outcome),
    # After the columns before, so that they keep their places: "In progress, at risk" in the
    # plan's PDF.
    ("At risk", 10, lambda a: "Yes" if a.at_risk and a.is_open else ""),
    # Whose audit: two neighbouring partnerships each have a "Police" and audit the same themes.
    # After "At risk", so the columns before keep their places for the systems that read them.
    ("Partnership", 36, lambda a: a.audit.partnership.name),
]
HEADERS = [name for name, _, _ in COLUMNS]
RAG_COLUMN = HEADERS.index("RAG") + 1


XLSX_COLUMNS = [(name, width) for name, width, _ in COLUMNS]
FILL_OF_RAG_LABEL = {Rag(rag).label: colour for rag, colour in RAG_FILLS.items()}


def rows(actions):
    """Each action's cells, as they are: the spreadsheet responses make each one safe."""
    for action in actions:
        yield [get(action) for _, _, get in COLUMNS]


def rag_fill(values) -> dict[int, str]:
    """The RAG cell of a plan row shaded in its colour."""
    return {RAG_COLUMN: FILL_OF_RAG_LABEL[values[RAG_COLUMN - 1]]}


def plan_csv_rows(actions):
    """The plan as CSV rows, the header first."""
    yield HEADERS
    yield from rows(actions)
