"""What goes into a spreadsheet can't run, can't break the file, and says when it was cut; what
is typed into a form can't hold characters that would break a download."""

import csv
import datetime
import io

import pytest
from django import forms
from django.urls import reverse
from openpyxl import load_workbook

from actions.forms import ActionForm, ActionUpdateForm, CancelForm, CompleteForm
from cases.forms.setup import AuditForm
from findings.forms import UsageForm
from maca.models import Agency, Membership
from maca.spreadsheets import XLSX, XLSX_CELL_MAX, csv_response, xlsx_cell, xlsx_response
from maca.text import RefuseControlCharactersMixin, control_character_message, one_line

from .conftest import member
from .factories import ActionFactory, AgencyFactory

pytestmark = pytest.mark.django_db

# Written out here, not taken from the code, so that dropping one from the code fails a test.
FORMULA_STARTS = ["=", "+", "-", "@", "\t", "\r"]
# Every one XML cannot hold, but NUL, which PostgreSQL refuses to store in the first place.
CONTROL_CHARACTERS = [chr(n) for n in [*range(1, 9), 11, 12, *range(14, 32)]]
TEXT_COLUMNS = {
    "Audit": None,  # the theme's name
    "Action": "text",
    "Intended outcome": "intended_outcome",
    "How impact will be measured": "impact_measure",
    "Owner agency": None,
    "Lead": "lead",
    "Outcome": "outcome_statement",
}


def _exports(client, audit):
    client.force_login(member(audit, Membership.Role.CHAIR))
    xlsx = client.get(reverse("action_plan_export", args=["xlsx"]))
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [c.value for c in sheet[1]]
    sheet_rows = [
        dict(zip(header, [c.value for c in row], strict=True)) for row in sheet.iter_rows(min_row=2)
    ]
    # The byte order mark that lets Excel read UTF-8 is not part of the first heading.
    text = client.get(reverse("action_plan_export", args=["csv"])).content.decode("utf-8-sig")
    return sheet_rows, list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_every_formula_start_in_every_text_cell_is_neutralised(client, audit, start):
    agency = AgencyFactory(name="Agency")
    # As a name saved before names were kept as shown might read: the export is the defence.
    Agency.objects.filter(pk=agency.pk).update(name=f"{start}Agency")
    agency.refresh_from_db()
    audit.agencies.add(agency)
    audit.theme.name = f"{start}Theme"
    audit.theme.save()
    fields = {field: f"{start}1+1" for field in TEXT_COLUMNS.values() if field}
    ActionFactory(audit=audit, owner_agency=agency, status="complete", **fields)
    (row,), (record,) = _exports(client, audit)
    for column in TEXT_COLUMNS:
        assert row[column].startswith("'" + start), (column, row[column])
        assert record[column].startswith("'" + start), (column, record[column])


def test_control_characters_are_left_out_of_the_xlsx_and_never_break_it(client, audit):
    pasted = "Line" + "".join(CONTROL_CHARACTERS) + "break"
    agency = AgencyFactory(name="Housing")
    Agency.objects.filter(pk=agency.pk).update(
        name="Hous\x0bing"
    )  # saved before names were kept as shown
    agency.refresh_from_db()
    audit.agencies.add(agency)
    audit.theme.name = "Neglect\x01 and housing"
    audit.theme.save()
    fields = {field: pasted for field in TEXT_COLUMNS.values() if field}
    ActionFactory(audit=audit, owner_agency=agency, status="complete", **fields)
    (row,), _ = _exports(client, audit)
    assert row["Audit"] == "Neglect and housing" and row["Owner agency"] == "Housing"
    for field in ("Action", "Intended outcome", "Lead", "Outcome"):
        assert row[field] == "Linebreak"


def test_a_control_character_that_hid_a_formula_does_not_let_it_through():
    assert xlsx_cell("\x01=SUM(A1)") == "'=SUM(A1)"
    assert xlsx_cell("a\x00b\ufffe") == "ab"  # kept out of the database, but never in a cell


def test_a_cell_over_excels_limit_is_cut_and_says_so(client, audit):
    ActionFactory(audit=audit, outcome_statement="x" * 40_000, text="Short.", status="complete")
    (row,), (record,) = _exports(client, audit)
    cut = row["Outcome"]
    assert len(cut) == XLSX_CELL_MAX
    assert cut.endswith("[…cut at 32,767 characters, Excel's limit: the full text is in MACA]")
    assert row["Action"] == "Short."
    assert record["Outcome"] == "x" * 40_000  # CSV has no such limit
    assert xlsx_cell("x" * XLSX_CELL_MAX) == "x" * XLSX_CELL_MAX


def _control_forms(audit):
    action = ActionFactory(audit=audit)
    return [
        (lambda data: ActionForm(data, audit=audit), ["text", "intended_outcome", "lead"]),
        (lambda data: ActionUpdateForm(data, action=action), ["text"]),
        (lambda data: CompleteForm(data, action=action), ["outcome_statement"]),
        (lambda data: CancelForm(data, action=action), ["cancel_reason"]),
        (
            lambda data: AuditForm(data, partnerships=audit.partnership.__class__.objects.all()),
            ["new_theme_name", "new_theme_description", "new_agencies", "title"],
        ),
        (
            lambda data: UsageForm(
                data, agencies=Agency.objects.filter(partnership=audit.partnership), audit=audit
            ),
            ["team", "reflection"],
        ),
    ]


@pytest.mark.parametrize("character", ["\x01", "\x0b", "\x0c", "\x1f", "\x7f", "\x00"])
def test_forms_refuse_control_characters_next_to_the_field(audit, character):
    for make, names in _control_forms(audit):
        for name in names:
            form = make({name: f"Pasted from Word{character}here"})
            assert not form.is_valid()
            errors = " ".join(form.errors.get(name, []))
            assert "invisible control character" in errors or "Null characters" in errors, (
                name,
                form.errors,
            )
            if character != "\x00":
                assert "after “Pasted from Word”" in errors


def test_tabs_and_line_breaks_are_ordinary_text(audit):
    action = ActionFactory(audit=audit)
    form = CancelForm({"cancel_reason": "First line\r\n\tsecond line"}, action=action)
    form.is_valid()
    assert "cancel_reason" not in form.errors


@pytest.mark.parametrize(
    ("typed", "pointer"),
    [
        ("\x0bPasted", " at the start"),
        ("First line\nsecond\x0b line", " after “second”"),
        ("Z" + "a" * 30 + "\x0b", f" after “{'a' * 30}”"),
    ],
)
def test_the_control_character_message_says_where_the_character_is(typed, pointer):
    assert control_character_message(typed) == (
        f"This holds an invisible control character (U+000B){pointer}, usually from text pasted "
        "from Word or email. Delete it (or the words around it) and type them again."
    )


def test_every_field_with_a_control_character_is_refused_even_after_a_null_character(audit):
    form = ActionForm(
        {"text": "Pasted\x00here", "intended_outcome": "Pasted from Word\x0bhere"}, audit=audit
    )
    assert not form.is_valid()
    assert "Null characters" in " ".join(form.errors["text"])
    assert "after “Pasted from Word”" in " ".join(form.errors["intended_outcome"])


def test_an_excel_download_has_a_bold_frozen_header_widths_dates_and_shaded_cells():
    response = xlsx_response(
        "A title longer than Excel's thirty-one characters",
        [("Name", 30), ("Due", 12)],
        [["=Alpha", datetime.date(2026, 3, 1)], ["Beta", None]],
        "people",
        marking="OFFICIAL-SENSITIVE & PERSONAL",
        fills=lambda values: {1: "F4B6B6"} if values[0] == "Beta" else {},
    )
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == 'attachment; filename="people.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "A title longer than Excel's thi"
    assert [cell.value for cell in sheet[1]] == ["Name", "Due"]
    assert all(cell.font.bold for cell in sheet[1]) and not sheet["A2"].font.bold
    assert sheet.column_dimensions["A"].width == 30 and sheet.column_dimensions["B"].width == 12
    assert sheet["A2"].value == "'=Alpha"
    assert sheet["B2"].value.date() == datetime.date(2026, 3, 1)
    assert sheet["B2"].number_format == "DD/MM/YYYY"
    assert sheet["A3"].fill.fgColor.rgb.endswith("F4B6B6") and sheet["A3"].fill.fill_type == "solid"
    assert sheet["A2"].fill.fill_type is None
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:B3"
    # Printed: landscape on A4, the headings on every page, marked, numbered.
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
    assert sheet.oddHeader.center.text == "OFFICIAL-SENSITIVE && PERSONAL"
    assert sheet.oddFooter.right.text == "Page &P of &N"


def test_an_excel_download_without_shading_leaves_every_cell_plain():
    response = xlsx_response(
        "Plain", [("Name", 20)], [["Alpha"], ["Beta"]], "plain", marking="OFFICIAL"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [row[0].value for row in sheet.iter_rows()] == ["Name", "Alpha", "Beta"]
    assert all(row[0].fill.fill_type is None for row in sheet.iter_rows(min_row=2))


def test_a_csv_download_starts_with_a_byte_order_mark_and_writes_dates_and_blanks_plainly():
    response = csv_response(
        [["Name", "Due"], ["=Alpha", datetime.date(2026, 3, 1)], [None, "Beta"]],
        filename="people.csv",
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="people.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffName,Due\r\n")
    assert list(csv.reader(io.StringIO(text[1:], newline=""))) == [
        ["Name", "Due"],
        ["'=Alpha", "2026-03-01"],
        ["", "Beta"],
    ]


def test_the_plan_export_shades_each_rag_cell_in_its_colour(client, audit):
    ActionFactory(audit=audit, due_date=datetime.date(2000, 1, 1))
    client.force_login(member(audit, Membership.Role.CHAIR))
    xlsx = client.get(reverse("action_plan_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    header = [cell.value for cell in sheet[1]]
    rag = sheet.cell(row=2, column=header.index("RAG") + 1)
    assert rag.value == "Red" and rag.fill.fgColor.rgb.endswith("F4B6B6")
    assert sheet.cell(row=2, column=header.index("Due date") + 1).number_format == "DD/MM/YYYY"


def test_only_visible_text_fields_are_refused_for_control_characters_with_their_own_code():
    class Form(RefuseControlCharactersMixin, forms.Form):
        text = forms.CharField()
        token = forms.CharField(widget=forms.HiddenInput)
        anything = forms.Field(required=False)

    form = Form({"text": "Pasted\x0bhere", "token": "made\x01by MACA", "anything": "a\x0bb"})
    assert not form.is_valid()
    assert form.has_error("text", code="control_character")
    assert "token" not in form.errors and "anything" not in form.errors


@pytest.mark.parametrize("typed", ["Exploitation\r\nBcc: x", "Exploitation\nBcc: x", "A\rB"])
def test_a_line_break_is_refused_in_a_one_line_box_only(typed):
    class Form(RefuseControlCharactersMixin, forms.Form):
        name = forms.CharField()
        notes = forms.CharField(widget=forms.Textarea)

    form = Form({"name": typed, "notes": typed})
    assert not form.is_valid()
    assert form.errors == {"name": ["This fits on one line: take out the line break."]}
    assert Form({"name": "Exploitation\r\n", "notes": "x"}).is_valid()  # only at the end: dropped


def test_an_email_subject_is_put_on_one_line():
    assert one_line("Nominations are open:\r\nNeglect \n and  housing ") == (
        "Nominations are open: Neglect and housing"
    )
