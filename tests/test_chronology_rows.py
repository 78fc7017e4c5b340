"""Structured chronology rows: the file import, single rows, dates of every precision, access."""

import datetime
import html
import io
import re
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from cases.models import Audit, ChronologyEntry
from cases.services.chronology import parse_chronology_date
from maca.concurrency import version_of

from . import test_chronology_files as chronology_files
from .factories import AuditFactory, CaseFactory, ChronologyEntryFactory
from .test_chronology_files import page_url, plain, text, upload

pytestmark = pytest.mark.django_db

# Shared fixtures: the people, agencies and case of an audit open for submissions.
world = chronology_files.world
fast_passwords = chronology_files.fast_passwords

D = datetime.date


def import_url(world, agency="housing"):
    args = [world["audit"].pk, world["case"].pk, world[agency].pk]
    return reverse("chronology_rows_import", args=args)


def post_rows(client, world, name, content, agency="housing"):
    return client.post(import_url(world, agency), {"rows_file": upload(name, content)})


def saved(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(*rows, encoding="utf-8") -> bytes:
    lines = ["Date,Event,Source agency,Impact,Action taken", *rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


# Dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "date", "precision"),
    [
        ("23/11/2026", D(2026, 11, 23), "day"),
        ("3/1/2026", D(2026, 1, 3), "day"),
        ("2026-11-23", D(2026, 11, 23), "day"),
        ("2026-11-23 00:00:00", D(2026, 11, 23), "day"),
        ("23 November 2026", D(2026, 11, 23), "day"),
        ("23 Nov 2026", D(2026, 11, 23), "day"),
        ("11/2026", D(2026, 11, 1), "month"),
        ("2026-11", D(2026, 11, 1), "month"),
        ("November 2026", D(2026, 11, 1), "month"),
        ("  sept 2026 ", D(2026, 9, 1), "month"),
        ("2026", D(2026, 1, 1), "year"),
        (2026, D(2026, 1, 1), "year"),
        (datetime.datetime(2026, 3, 5, 0, 0), D(2026, 3, 5), "day"),
        ("3/3/26", D(2026, 3, 3), "day"),  # a year in two digits, as case systems export it
        ("12.05.98", D(1998, 5, 12), "day"),
        ("01-02-00", D(2000, 2, 1), "day"),
    ],
)
def test_dates_of_every_precision_are_understood(typed, date, precision):
    assert parse_chronology_date(typed) == (date, precision)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("31/02/2026", "the date '31/02/2026' is not a real date"),
        ("13/2026", "the date '13/2026' is not a real date"),
        ("yesterday", "the date 'yesterday' is not in a form MACA recognises"),
        ("Smarch 2026", "is not in a form MACA recognises"),
        ("", "the date is empty"),
        ("1066", "the date '1066' is before 1900"),
        ("31/02/26", "the date '31/02/26' is not a real date"),
    ],
)
def test_dates_that_are_not_real_are_explained(typed, message):
    with pytest.raises(ValueError, match=message):
        parse_chronology_date(typed)


def test_a_two_digit_year_not_yet_reached_this_century_is_asked_to_be_written_in_full():
    short = f"{(timezone.localdate().year + 1) % 100:02d}"
    with pytest.raises(ValueError, match=f"could be 19{short} or 20{short}: write it in full"):
        parse_chronology_date(f"3/3/{short}")


# File import --------------------------------------------------------------------------------


def test_a_csv_with_bad_rows_saves_nothing_and_names_each_row(client, world):
    client.force_login(world["housing_coordinator"])
    content = csv_bytes(
        "23/11/2026,Home visit,,negative,Referral",
        "31/02/2026,Impossible day,,,",
        "11/2026,,,,",
        "2026,School report,,awful,",
    )
    response = post_rows(client, world, "rows.csv", content)
    assert response.status_code == 422
    page = text(response)
    assert "There is a problem" in page
    assert "The file has 3 problems, so nothing was saved." in page
    assert "Row 3: the date '31/02/2026' is not a real date" in page
    assert "Row 4: the event is empty" in page
    assert "Row 5: the impact 'awful' is not positive, negative, neutral or unknown" in page
    assert ChronologyEntry.objects.count() == 0


def test_a_clean_csv_adds_its_rows_with_their_precisions(client, world):
    client.force_login(world["housing_coordinator"])
    content = csv_bytes(
        "23/11/2026,Home visit,Health visiting,Negative,Referral to children's social care",
        "11/2026,Rent arrears letter,,,",
        "2025,Moved to the area,,POSITIVE,",
        '"5 March 2026","Event with a comma, and ""quotes""",,neutral,',
    )
    response = post_rows(client, world, "rows.csv", content)
    assert response.status_code == 302
    rows = {e.event: e for e in ChronologyEntry.objects.all()}
    assert len(rows) == 4
    visit = rows["Home visit"]
    assert (visit.date, visit.date_precision, visit.impact) == (D(2026, 11, 23), "day", "negative")
    assert visit.source_agency == "Health visiting"
    assert visit.agency == world["housing"]
    assert visit.created_by == world["housing_coordinator"]
    letter = rows["Rent arrears letter"]
    assert (letter.date, letter.date_precision, letter.impact) == (
        D(2026, 11, 1),
        "month",
        "unknown",
    )
    assert rows["Moved to the area"].date_precision == "year"
    assert rows["Moved to the area"].impact == "positive"
    assert 'Event with a comma, and "quotes"' in rows
    page = plain(client.get(response["Location"]))
    assert "4 rows added." in page
    assert "November 2026 (approx.)" in page
    assert "2025 (approx.)" in page
    assert "23 November 2026" in page


def test_a_windows_1252_csv_is_read(client, world):
    client.force_login(world["housing_coordinator"])
    content = csv_bytes("1/2/2026,Seen at the café,,,", encoding="cp1252")
    assert post_rows(client, world, "rows.csv", content).status_code == 302
    assert ChronologyEntry.objects.get().event == "Seen at the café"


def test_a_clean_xlsx_adds_its_rows_including_real_date_cells(client, world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Date", "Event", "Source agency", "Impact", "Action taken"])
    sheet.append([datetime.datetime(2026, 3, 5), "Real date cell", "Police", "negative", "Visit"])
    sheet.append(["03/2026", "Month as text", None, None, None])
    sheet.append([2024, "Year as a number", None, "neutral", None])
    sheet.append([datetime.datetime(2026, 4, 1), "Month-formatted date cell", None, None, None])
    sheet["A5"].number_format = "mmm yyyy"
    sheet.append([None, None, None, None, None])  # blank rows are skipped
    client.force_login(world["housing_coordinator"])
    response = post_rows(client, world, "rows.xlsx", saved(workbook))
    assert response.status_code == 302
    rows = {e.event: (e.date, e.date_precision) for e in ChronologyEntry.objects.all()}
    assert rows == {
        "Real date cell": (D(2026, 3, 5), "day"),
        "Month as text": (D(2026, 3, 1), "month"),
        "Year as a number": (D(2024, 1, 1), "year"),
        "Month-formatted date cell": (D(2026, 4, 1), "month"),
    }


def test_a_workbook_with_a_merged_title_above_its_headings_is_read(client, world):
    """Agencies' exports often open with a title merged across the columns and a blank row: the
    rows are read under the headings, and a problem is named by its row in the sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Eastvale Health NHS Trust: chronology for Case 1"])
    sheet.merge_cells("A1:E1")
    sheet.append(["Prepared by the safeguarding team"])
    sheet.merge_cells("A2:E2")
    sheet.append([])
    sheet.append(["Date", "Event", "Source agency", "Impact", "Action taken"])
    sheet.append([datetime.datetime(2025, 3, 4), "Home visit", "Health visiting", "Negative", ""])
    sheet.append(["June 2025", "Weight below centile", "GP", "negative ", None])
    client.force_login(world["housing_coordinator"])
    response = post_rows(client, world, "rows.xlsx", saved(workbook))
    assert response.status_code == 302
    rows = {e.event: (e.date, e.date_precision) for e in ChronologyEntry.objects.all()}
    assert rows == {
        "Home visit": (D(2025, 3, 4), "day"),
        "Weight below centile": (D(2025, 6, 1), "month"),
    }
    ChronologyEntry.objects.all().delete()
    sheet.append(["31/02/2025", "Not a real day", None, None, None])
    page = post_rows(client, world, "rows.xlsx", saved(workbook)).content.decode()
    assert "Row 7:" in page
    assert not ChronologyEntry.objects.exists()


def test_a_file_whose_headings_are_missing_is_refused_even_under_a_title(client, world):
    client.force_login(world["housing_coordinator"])
    content = b"Chronology for Case 1,,,,\r\n01/02/2025,Seen,,,\r\n"  # as Excel saves it
    page = post_rows(client, world, "rows.csv", content).content.decode()
    assert "The first row (below any title) must hold the column headings" in page
    assert not ChronologyEntry.objects.exists()


def test_headings_under_a_title_are_refused_for_what_they_lack_not_for_the_title(client, world):
    """The headings row below a title has its Date: the refusal names the Event it lacks, not
    the Date and Event the title lacks."""
    client.force_login(world["housing_coordinator"])
    content = b"Chronology for Case 1\r\nDate,Evnt,Source agency,Impact,Action taken\r\n"
    content += b"01/02/2025,Seen,,,\r\n"
    page = html.unescape(post_rows(client, world, "rows.csv", content).content.decode())
    assert "no Event column was found" in page
    assert "no Date or Event column" not in page
    assert not ChronologyEntry.objects.exists()


def test_a_csv_saved_by_excel_with_a_title_row_and_semicolons_is_read(client, world):
    client.force_login(world["housing_coordinator"])
    content = "\ufeffChronology for Case 1;;;;\r\n;;;;\r\n"
    content += "Date;Event;Source agency;Impact;Action taken\r\n"
    content += "3/11/25;Attendance fell to 61%;Attendance team;Negative;Letter to parent\r\n"
    assert post_rows(client, world, "rows.csv", content.encode()).status_code == 302
    entry = ChronologyEntry.objects.get()
    assert (entry.date, entry.event, entry.impact) == (
        D(2025, 11, 3),
        "Attendance fell to 61%",
        "negative",
    )


def test_a_csv_whose_title_line_holds_no_separator_is_read_split_by_its_headings(client, world):
    client.force_login(world["housing_coordinator"])
    content = b"Chronology for Case 1\r\nHousing: exported 3 March\r\n"
    content += b"Date;Event\r\n3/11/25;Rent arrears letter, second\r\n"
    assert post_rows(client, world, "rows.csv", content).status_code == 302
    assert ChronologyEntry.objects.get().event == "Rent arrears letter, second"


def test_a_csv_title_line_holding_a_comma_is_passed_over_as_a_title(client, world):
    client.force_login(world["housing_coordinator"])
    content = b'Housing, exported 3 March\r\n"Chronology for Case 1, Housing",prepared by QA\r\n'
    content += b"Date,Event\r\n3/11/25,Rent arrears letter\r\n"
    assert post_rows(client, world, "rows.csv", content).status_code == 302
    assert ChronologyEntry.objects.get().event == "Rent arrears letter"


@pytest.mark.parametrize(
    "above", [b"3/11/25,Rent arrears letter", b"Unknown,Family moved area,Housing"]
)
def test_rows_of_events_without_headings_are_refused_not_passed_over_as_titles(
    client, world, above
):
    client.force_login(world["housing_coordinator"])
    content = above + b"\r\nDate,Event,Source agency\r\n4/11/25,Home visit,Housing\r\n"
    page = post_rows(client, world, "rows.csv", content).content.decode()
    assert "The first row (below any title) must hold the column headings" in page
    assert not ChronologyEntry.objects.exists()


def test_every_row_of_a_workbook_is_read_whatever_size_its_sheet_says_it_is(client, world):
    """A program that writes the sheet's <dimension> wrong ("A1:E3" over 51 rows) loses no
    row: the 50 events are all added, not the first two with a message that says 2."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Date", "Event"])
    for day in range(1, 51):
        sheet.append([f"{day % 28 + 1:02}/01/2025", f"Event {day}"])
    source = zipfile.ZipFile(io.BytesIO(saved(workbook)))
    wrong = io.BytesIO()
    with zipfile.ZipFile(wrong, "w") as archive:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:E3"/>', data)
                assert b'<dimension ref="A1:E3"/>' in data
            archive.writestr(part, data)
    client.force_login(world["housing_coordinator"])
    response = post_rows(client, world, "rows.xlsx", wrong.getvalue())
    assert response.status_code == 302
    assert ChronologyEntry.objects.count() == 50


def test_the_downloaded_template_is_refused_until_the_example_is_replaced(client, world):
    client.force_login(world["housing_coordinator"])
    template = client.get(reverse("chronology_template", args=[world["audit"].pk, "xlsx"]))
    response = post_rows(client, world, "template.xlsx", template.content)
    assert "Row 2: this is the template&#x27;s example row" in response.content.decode()
    assert ChronologyEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "rows.csv",
            b"When,What\n2026,x\n",
            "The first row (below any title) must hold the column headings",
        ),
        ("rows.csv", b"Date,Event\n", "no rows"),
        ("rows.xlsx", b"PK\x03\x04" + b"\x00" * 80, "This file is not a CSV file or an Excel"),
        ("rows.pdf", b"%PDF-1.4\n%%EOF\n", "This file is not a CSV file or an Excel"),
        ("rows.csv", b"\x00\x01\x02\x03", "This file is not a CSV file or an Excel"),
        ("rows.csv", b"", "The file is empty"),
        (
            "rows.csv",
            "Date\tEvent\r\n01/02/2025\tSeen\r\n".encode("utf-16"),
            "it is text saved as Unicode (UTF-16), as Excel's “Unicode Text” writes it, "
            "which MACA does not read. Save it again as CSV UTF-8",
        ),
    ],
)
def test_files_that_cannot_be_read_as_rows_are_refused(client, world, name, content, message):
    client.force_login(world["housing_coordinator"])
    response = post_rows(client, world, name, content)
    assert response.status_code == 422
    assert message in text(response)
    assert ChronologyEntry.objects.count() == 0


def test_too_many_rows_are_refused(client, world, monkeypatch):
    monkeypatch.setattr("cases.services.chronology.MAX_ROWS", 3)
    client.force_login(world["housing_coordinator"])
    content = csv_bytes(*[f"2026,Event {n},,," for n in range(4)])
    response = post_rows(client, world, "rows.csv", content)
    assert "The file has more than 3 rows" in text(response)
    assert ChronologyEntry.objects.count() == 0


def test_a_chronology_is_bounded_in_all_however_many_files_it_is_sent_in(
    client, world, monkeypatch
):
    monkeypatch.setattr("cases.services.chronology.CHRONOLOGY_MAX_ROWS", 3)
    client.force_login(world["housing_coordinator"])
    first = csv_bytes("2025,Event 1,,,", "2025,Event 2,,,")
    assert post_rows(client, world, "rows.csv", first).status_code == 302
    second = csv_bytes("2025,Event 3,,,", "2025,Event 4,,,")
    page = text(post_rows(client, world, "rows.csv", second))
    assert "holds at most 3 rows and 2,000,000 characters" in page
    assert "it would hold 4 rows and 28 characters, so nothing was saved" in page
    mine = ChronologyEntry.objects.filter(agency=world["housing"])
    assert mine.count() == 2
    # Replacing the rows counts the file alone; another agency's chronology is its own.
    data = {"rows_file": upload("rows.csv", second), "if_already_there": "replace"}
    assert client.post(import_url(world), data).status_code == 302
    assert sorted(mine.values_list("event", flat=True)) == ["Event 3", "Event 4"]
    client.force_login(world["police_coordinator"])
    assert post_rows(client, world, "rows.csv", first, agency="police").status_code == 302


def test_a_row_that_would_take_a_chronology_past_its_text_limit_is_refused(
    client, world, monkeypatch
):
    monkeypatch.setattr("cases.services.chronology.CHRONOLOGY_MAX_CHARACTERS", 40)
    client.force_login(world["housing_coordinator"])
    url = entry_url(world, "chronology_entry_add")
    assert client.post(url, {**ROW, "event": "x" * 30}).status_code == 302
    entry = ChronologyEntry.objects.get()
    refused = text(client.post(url, {**ROW, "event": "y" * 11}))
    assert "it would hold 2 rows and 41 characters" in refused and "y" * 11 in refused
    assert ChronologyEntry.objects.count() == 1
    # A row changed is counted at its new length, not twice.
    edit = reverse(
        "chronology_entry_edit",
        args=[world["audit"].pk, world["case"].pk, world["housing"].pk, entry.pk],
    )
    data = {**ROW, "event": "z" * 40, "loaded_version": version_of(entry)}
    assert client.post(edit, data).status_code == 302
    # A chronology kept from before over a lowered limit may be shortened, not lengthened.
    monkeypatch.setattr("cases.services.chronology.CHRONOLOGY_MAX_CHARACTERS", 10)
    entry.refresh_from_db()
    longer = {**ROW, "event": "z" * 41, "loaded_version": version_of(entry)}
    assert "with this row it would hold 1 row and 41" in text(client.post(edit, longer))
    shorter = {**ROW, "event": "z" * 20, "loaded_version": version_of(entry)}
    assert client.post(edit, shorter).status_code == 302


def test_rows_cannot_be_imported_after_the_audit_closes(client, world):
    world["audit"].status = Audit.Status.CLOSED
    world["audit"].save()
    client.force_login(world["housing_coordinator"])
    response = post_rows(client, world, "rows.csv", csv_bytes("2026,Late,,,"))
    assert response.status_code == 403
    assert ChronologyEntry.objects.count() == 0


# Single rows --------------------------------------------------------------------------------


def entry_url(world, name, entry=None, agency="housing"):
    args = [world["audit"].pk, world["case"].pk, world[agency].pk]
    return reverse(name, args=[*args, entry.pk] if entry else args)


ROW = {
    "date": "11/2026",
    "event": "Eviction notice served",
    "source_agency": "",
    "impact": "negative",
    "action_taken": "",
}


def test_a_row_is_added_on_the_page(client, world):
    client.force_login(world["housing_coordinator"])
    response = client.post(entry_url(world, "chronology_entry_add"), ROW)
    assert response.status_code == 302
    entry = ChronologyEntry.objects.get()
    assert (entry.date, entry.date_precision) == (D(2026, 11, 1), "month")
    assert "November 2026 (approx.)" in plain(client.get(page_url(world)))


def test_a_row_with_problems_is_shown_again_with_what_was_typed(client, world):
    client.force_login(world["housing_coordinator"])
    response = client.post(
        entry_url(world, "chronology_entry_add"), {**ROW, "date": "31/02/2026", "impact": "?"}
    )
    assert response.status_code == 422
    page = text(response)
    assert "There is a problem" in page
    assert "The date '31/02/2026' is not a real date." in page
    assert 'value="31/02/2026"' in page
    assert "Eviction notice served" in page
    assert ChronologyEntry.objects.count() == 0


def test_a_date_after_today_is_refused_on_the_page_keeping_what_was_typed(client, world):
    client.force_login(world["housing_coordinator"])
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).strftime("%d/%m/%Y")
    response = client.post(entry_url(world, "chronology_entry_add"), {**ROW, "date": tomorrow})
    page = text(response)
    assert f"The date '{tomorrow}' is after today: a chronology records what has already" in page
    assert f'value="{tomorrow}"' in page
    assert "Eviction notice served" in page
    assert ChronologyEntry.objects.count() == 0


def test_a_file_with_a_row_dated_next_year_saves_nothing_and_names_the_row(client, world):
    client.force_login(world["housing_coordinator"])
    next_year = timezone.localdate().year + 1
    content = csv_bytes("23/11/2025,Home visit,,negative,", f"{next_year},Planned review,,,")
    page = text(post_rows(client, world, "rows.csv", content))
    assert f"Row 3: the date '{next_year}' is after today" in page
    assert ChronologyEntry.objects.count() == 0


def test_today_this_month_and_this_year_are_taken_and_tomorrow_is_not():
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    assert parse_chronology_date(today.strftime("%d/%m/%Y")) == (today, "day")
    assert parse_chronology_date(today.strftime("%m/%Y"))[1] == "month"
    assert parse_chronology_date(str(today.year))[1] == "year"
    with pytest.raises(ValueError, match="is after today"):
        parse_chronology_date(tomorrow.strftime("%d/%m/%Y"))
    with pytest.raises(ValueError, match="is after today"):
        parse_chronology_date(tomorrow)


@pytest.fixture
def held(world):
    """The identifying details held for the world's case, and another case's child."""
    from cases.models import LocalReference, NominationIdentity

    from .factories import NominationFactory

    other = CaseFactory(audit=world["audit"], label="Case 2")
    for case, name, reference in (
        (world["case"], "Leah Brampton", "HSG-448812"),
        (other, "Tom Idle", "P-1"),
    ):
        nomination = NominationFactory(audit=world["audit"], label=case.label, case=case)
        identity = NominationIdentity.objects.create(nomination=nomination, child_name=name)
        LocalReference.objects.create(
            identity=identity, agency=world["housing"], reference=reference
        )
    return world


def test_a_row_holding_the_childs_details_is_refused_beside_the_field_keeping_it(client, held):
    client.force_login(held["housing_coordinator"])
    typed = {**ROW, "event": "Leah seen at home.", "action_taken": "Logged under HSG 448812."}
    response = client.post(entry_url(held, "chronology_entry_add"), typed)
    form = response.context["entry_form"]
    assert form.errors["event"] == [
        "This contains part of the name held for Case 1. Every member of the audit reads the "
        "chronologies once the meeting pack is released: write “the child” or “Case 1” instead."
    ]
    assert "Housing's reference number for Case 1" in form.errors["action_taken"][0]
    assert "Leah seen at home." in text(response)
    assert ChronologyEntry.objects.count() == 0
    # Another case's child is not this case's: neither found nor named to its writer.
    other = {**ROW, "event": "Tom Idle's school called."}
    assert client.post(entry_url(held, "chronology_entry_add"), other).status_code == 302


def test_a_writer_is_told_only_of_details_they_may_see(client, held):
    """Told of another agency's reference number, or of a child's name they may not see, a
    writer could test guesses at it, a row at a time."""
    from cases.models import Nomination

    Nomination.objects.filter(case=held["case"]).update(label="Old label")  # relabelled since
    client.force_login(held["police_coordinator"])
    police_url = entry_url(held, "chronology_entry_add", agency="police")
    refused = client.post(police_url, {**ROW, "event": "Leah seen."})
    assert "part of the name held for Case 1." in refused.context["entry_form"].errors["event"][0]
    housing_reference = {**ROW, "event": "Logged by Housing as HSG-448812."}
    assert client.post(police_url, housing_reference).status_code == 302  # not Police's own
    held["case"].agencies.set([])  # no agency recorded: co-ordinators may not see the child's
    assert client.post(police_url, {**ROW, "event": "Leah seen again."}).status_code == 302


def test_a_file_row_holding_the_childs_details_is_named_and_nothing_is_saved(client, held):
    client.force_login(held["housing_coordinator"])
    content = csv_bytes("23/11/2025,Home visit,,negative,", "24/11/2025,Leah Brampton moved,,,")
    page = text(post_rows(client, held, "rows.csv", content))
    assert "Row 3: the event contains the name held for Case 1" in page
    assert ChronologyEntry.objects.count() == 0


def test_a_files_problems_are_listed_in_the_order_of_its_rows(client, held):
    """A row holding the child's name is listed in its place among the rows with other problems,
    not after them all, so that the file can be corrected reading down it."""
    client.force_login(held["housing_coordinator"])
    content = csv_bytes(
        "23/11/2025,Leah Brampton moved,,,", "24/11/2025,,,negative,", "25/11/2025,Visit,,bad,"
    )
    page = text(post_rows(client, held, "rows.csv", content))
    name, empty, impact = (page.index(f"Row {number}: ") for number in (2, 3, 4))
    assert name < empty < impact
    assert "Row 2: the event contains the name held for Case 1" in page
    assert ChronologyEntry.objects.count() == 0


def test_a_row_is_edited_and_deleted_after_confirmation(client, world):
    entry = ChronologyEntryFactory(
        case=world["case"], agency=world["housing"], date=D(2026, 1, 1), date_precision="year"
    )
    client.force_login(world["housing_coordinator"])
    form = text(client.get(entry_url(world, "chronology_entry_edit", entry)))
    assert 'value="2026"' in form
    version = {"loaded_version": version_of(entry)}
    response = client.post(entry_url(world, "chronology_entry_edit", entry), {**ROW, **version})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.event, entry.date_precision) == ("Eviction notice served", "month")

    confirm = text(client.get(entry_url(world, "chronology_entry_delete", entry)))
    assert "Delete this chronology row?" in confirm
    assert "This can't be undone." in confirm
    assert ChronologyEntry.objects.count() == 1
    assert client.post(entry_url(world, "chronology_entry_delete", entry)).status_code == 302
    assert ChronologyEntry.objects.count() == 0


def test_rows_of_another_agency_or_case_are_not_found(client, world):
    theirs = ChronologyEntryFactory(case=world["case"], agency=world["police"])
    other_case = ChronologyEntryFactory(
        case=CaseFactory(audit=world["audit"]), agency=world["housing"]
    )
    client.force_login(world["housing_coordinator"])
    for entry in (theirs, other_case):
        assert client.get(entry_url(world, "chronology_entry_edit", entry)).status_code == 404
        assert client.post(entry_url(world, "chronology_entry_delete", entry)).status_code == 404
    assert ChronologyEntry.objects.count() == 2


def test_rows_cannot_be_changed_after_the_audit_closes(client, world):
    entry = ChronologyEntryFactory(case=world["case"], agency=world["housing"])
    world["audit"].status = Audit.Status.CLOSED
    world["audit"].save()
    client.force_login(world["housing_coordinator"])
    assert client.post(entry_url(world, "chronology_entry_add"), ROW).status_code == 403
    assert client.post(entry_url(world, "chronology_entry_edit", entry), ROW).status_code == 403
    assert client.post(entry_url(world, "chronology_entry_delete", entry)).status_code == 403
    assert ChronologyEntry.objects.get().event == entry.event
    page = text(client.get(page_url(world)))
    assert "Add a row" not in page
    assert "Edit" not in page.split("<tbody>")[1]


def test_the_rows_table_puts_approximate_dates_first_on_their_day(client, world):
    for event, date, precision in [
        ("Day", D(2026, 3, 1), "day"),
        ("Month", D(2026, 3, 1), "month"),
        ("Earlier", D(2026, 2, 14), "day"),
    ]:
        ChronologyEntryFactory(
            case=world["case"],
            agency=world["housing"],
            event=event,
            date=date,
            date_precision=precision,
        )
    client.force_login(world["housing_coordinator"])
    page = text(client.get(page_url(world)))
    assert page.index("Earlier") < page.index("Month") < page.index('<td class="event">Day')


# Who may see an agency's chronology ---------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "status", "can_edit"),
    [
        ("chair", 200, True),
        ("housing_coordinator", 200, True),
        ("police_coordinator", 404, False),
        ("qa_member", 404, False),
        ("viewer", 404, False),
    ],
)
def test_who_sees_an_agencys_chronology_before_the_pack_is_released(
    client, world, person, status, can_edit
):
    client.force_login(world[person])
    response = client.get(page_url(world))
    assert response.status_code == status
    if status == 200:
        assert ("Upload document" in text(response)) is can_edit


def test_members_read_every_agencys_chronology_once_the_pack_is_released(client, world):
    world["audit"].pack_released_at = timezone.now()
    world["audit"].save()
    for person in ("qa_member", "police_coordinator"):
        client.force_login(world[person])
        response = client.get(page_url(world))
        assert response.status_code == 200
        assert "Upload document" not in text(response)


def test_outsiders_and_other_audits_get_not_found(client, world, outsider):
    client.force_login(outsider)
    assert client.get(page_url(world)).status_code == 404
    client.force_login(world["chair"])
    other = AuditFactory(partnership=world["audit"].partnership)
    url = reverse("agency_chronology", args=[other.pk, world["case"].pk, world["housing"].pk])
    assert client.get(url).status_code == 404


def test_an_agency_not_taking_part_is_not_found(client, world):
    from .factories import AgencyFactory

    client.force_login(world["chair"])
    stranger = AgencyFactory(name="Not taking part")
    url = reverse("agency_chronology", args=[world["audit"].pk, world["case"].pk, stranger.pk])
    assert client.get(url).status_code == 404


def test_a_row_is_edited_in_place_with_htmx(client, world):
    entry = ChronologyEntryFactory(case=world["case"], agency=world["housing"], event="Before")
    client.force_login(world["housing_coordinator"])
    edit = entry_url(world, "chronology_entry_edit", entry)
    assert f'hx-get="{edit}"' in client.get(page_url(world)).content.decode()

    form = client.get(edit, headers={"HX-Request": "true"}).content.decode()
    assert form.lstrip().startswith("<tr")
    assert f'id="id_entry{entry.pk}_event"' in form
    assert "Before</textarea>" in form

    version = {"loaded_version": version_of(entry)}
    bad = client.post(edit, {**ROW, **version, "date": "nope"}, headers={"HX-Request": "true"})
    assert bad.status_code == 200
    assert "is not in a form MACA recognises" in text(bad)

    saved = client.post(edit, {**ROW, **version}, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    row = plain(saved)
    assert row.startswith("November 2026 (approx.) Eviction notice served")
    entry.refresh_from_db()
    assert entry.event == "Eviction notice served"


def test_the_agency_page_runs_the_same_queries_for_many_rows_and_files(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.models import ChronologyFile

    client.force_login(world["housing_coordinator"])

    def add(n):
        for i in range(n):
            ChronologyEntryFactory(case=world["case"], agency=world["housing"])
            ChronologyFile.objects.create(
                case=world["case"],
                agency=world["housing"],
                file="audits/x/chronologies/f.pdf",
                original_name=f"v{i}.pdf",
                kind="pdf",
                size=1,
                sha256=f"{ChronologyFile.objects.count():064d}",
                uploaded_by=world["chair"],
            )

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_url(world)).status_code == 200
        return len(queries)

    add(3)
    small = count()
    add(27)
    assert count() == small


def test_a_workbook_that_unpacks_to_too_much_is_refused_before_it_is_read(client, world):
    """A small file whose sheet expands to a huge size (a "zip bomb") is refused without
    opening it, with a message saying what to do instead."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Date", "Event", "Source agency", "Impact", "Action taken"])
    sheet.append(["03/2026", "x" * 9000, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    bomb = io.BytesIO()
    with zipfile.ZipFile(buffer) as original, zipfile.ZipFile(bomb, "w") as padded:
        for part in original.infolist():
            padded.writestr(part, original.read(part.filename), zipfile.ZIP_DEFLATED)
        padded.writestr("xl/padding.bin", b"\0" * (51 * 1024 * 1024), zipfile.ZIP_DEFLATED)
    assert len(bomb.getvalue()) < 1024 * 1024
    client.force_login(world["housing_coordinator"])
    response = post_rows(client, world, "rows.xlsx", bomb.getvalue())
    assert "The workbook unpacks to 51.0\xa0MB" in text(response)
    assert ChronologyEntry.objects.count() == 0


def test_a_csv_saved_with_semicolons_or_tabs_is_read_as_well(client, world):
    """Excel set to many European languages separates columns with semicolons."""
    client.force_login(world["housing_coordinator"])
    semicolons = (
        "Date;Event;Source agency;Impact;Action taken\r\n1/2/2026;Visit, then a call;;;\r\n"
    )
    assert post_rows(client, world, "rows.csv", semicolons.encode()).status_code == 302
    tabs = "Date\tEvent\tSource agency\tImpact\tAction taken\r\n2/2/2026\tHome visit\t\t\t\r\n"
    assert post_rows(client, world, "tabs.csv", tabs.encode()).status_code == 302
    assert sorted(ChronologyEntry.objects.values_list("event", flat=True)) == [
        "Home visit",
        "Visit, then a call",
    ]


def test_the_same_file_twice_asks_before_doubling_the_rows(client, world):
    client.force_login(world["housing_coordinator"])
    first = csv_bytes("23/11/2026,Home visit,,,", "24/11/2026,Strategy meeting,,,")
    assert post_rows(client, world, "rows.csv", first).status_code == 302
    ChronologyEntryFactory(  # another agency's identical row is theirs, not a duplicate
        case=world["case"], agency=world["police"], date=D(2026, 11, 23), event="Home visit"
    )
    again = csv_bytes(
        "23/11/2026,Home  visit,,,", "24/11/2026,Strategy meeting,,,", "25/11/2026,New call,,,"
    )
    asked = post_rows(client, world, "rows.csv", again)
    body = asked.content.decode()
    assert "2 rows of this file are already here" in body
    assert "Add only the new rows" in body and "Replace my agency" in body
    mine = ChronologyEntry.objects.filter(case=world["case"], agency=world["housing"])
    assert mine.count() == 2

    url = import_url(world)
    client.post(url, {"rows_file": upload("rows.csv", again), "if_already_there": "new_only"})
    assert sorted(mine.values_list("event", flat=True)) == [
        "Home visit",
        "New call",
        "Strategy meeting",
    ]
    client.post(url, {"rows_file": upload("rows.csv", first), "if_already_there": "replace"})
    assert sorted(mine.values_list("event", flat=True)) == ["Home visit", "Strategy meeting"]
    # The same file again, with nothing new: not "add only the 0 new rows".
    same = text(post_rows(client, world, "rows.csv", first))
    assert "Every row of this file is already here" in same and "0 new rows" not in same
    assert "Add only the new rows" not in same and "Replace my agency" in same
    assert mine.count() == 2
    assert ChronologyEntry.objects.filter(agency=world["police"]).count() == 1


def _sheet_with_formulas(*cells, saved=()) -> bytes:
    """A workbook a program other than Excel wrote: its formulas have no saved results, but
    for the text results given in `saved` (cell, result), written as Excel writes them."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Date", "Event", "Source agency"])
    sheet.append(["05/03/2026", "Seen at home"])
    for reference, formula in cells:
        sheet[reference] = formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    source, saved_workbook = zipfile.ZipFile(io.BytesIO(buffer.getvalue())), io.BytesIO()
    with zipfile.ZipFile(saved_workbook, "w") as archive:
        for part in source.infolist():
            data = source.read(part.filename)
            for reference, result in saved:
                data = re.sub(
                    rb'<c r="' + reference.encode() + rb'">(<f>.*?</f>)<v></v>',
                    rb'<c r="'
                    + reference.encode()
                    + rb'" t="str">\1<v>'
                    + result.encode()
                    + b"</v>",
                    data,
                )
            archive.writestr(part, data)
    return saved_workbook.getvalue()


def test_a_formula_whose_result_was_not_saved_is_named_not_read_as_empty(client, world):
    client.force_login(world["housing_coordinator"])
    content = _sheet_with_formulas(("A3", "=A2+7"), ("B3", "Visit a week later"))
    response = post_rows(client, world, "rows.xlsx", content)
    assert "Cell A3 holds a formula whose result was not saved in the file" in text(response)
    assert not ChronologyEntry.objects.exists()


def test_a_formula_with_its_saved_result_or_beyond_the_columns_read_is_read(client, world):
    client.force_login(world["housing_coordinator"])
    content = _sheet_with_formulas(
        ("A3", "12/03/2026"),
        ("B3", '="Visit a week" & " later"'),
        ("C3", '=IF(TRUE, "", "Police")'),  # Excel saves an empty text result as empty
        ("AZ3", "=1+1"),  # past the columns a chronology has
        saved=[("B3", "Visit a week later"), ("C3", "")],
    )
    assert post_rows(client, world, "rows.xlsx", content).status_code == 302
    assert set(ChronologyEntry.objects.values_list("event", "date")) == {
        ("Seen at home", D(2026, 3, 5)),
        ("Visit a week later", D(2026, 3, 12)),
    }


def _rewritten(content: bytes, *replacements: tuple[bytes, bytes]) -> bytes:
    """The workbook `content` with its sheet's XML rewritten by (pattern, replacement)."""
    source, rewritten = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(rewritten, "w") as archive:
        for part in source.infolist():
            data = source.read(part.filename)
            if part.filename.startswith("xl/worksheets/"):
                for pattern, replacement in replacements:
                    data = re.sub(pattern, replacement, data)
            archive.writestr(part, data)
    return rewritten.getvalue()


def test_a_formula_without_a_result_in_a_cell_written_without_its_reference_is_named(client, world):
    """Cells and rows may be written without their references ("r"): a cell is then where the
    one before it ends, as it is read."""
    client.force_login(world["housing_coordinator"])
    content = _sheet_with_formulas(("A3", "=A2+7"), ("B3", "Visit a week later"))
    content = _rewritten(content, (rb' r="[A-Z]*[0-9]+"', b""))
    response = post_rows(client, world, "rows.xlsx", content)
    assert "Cell A3 holds a formula whose result was not saved in the file" in text(response)
    assert not ChronologyEntry.objects.exists()


def test_a_formula_whose_result_is_an_inline_text_is_read(client, world):
    client.force_login(world["housing_coordinator"])
    content = _sheet_with_formulas(("A3", "12/03/2026"), ("B3", '="Visit"'))
    content = _rewritten(
        content,
        (
            rb'<c r="B3">(<f>.*?</f>)<v\s*/?>(?:</v>)?',
            rb'<c r="B3" t="inlineStr">\1<is><t>Visit a week later</t></is>',
        ),
    )
    assert post_rows(client, world, "rows.xlsx", content).status_code == 302
    assert ("Visit a week later", D(2026, 3, 12)) in set(
        ChronologyEntry.objects.values_list("event", "date")
    )


def test_two_headings_one_misspelt_are_refused_for_the_column_they_lack(client, world):
    """A row of two cells holding a heading is the headings, not a title to pass over."""
    client.force_login(world["housing_coordinator"])
    content = b"Date,Evnt\r\n01/02/2025,Seen\r\n"
    page = html.unescape(post_rows(client, world, "rows.csv", content).content.decode())
    assert "no Event column was found" in page
    assert "no Date or Event column" not in page


@pytest.mark.parametrize("titles, read", [(10, True), (11, False)])
def test_at_most_ten_title_rows_are_passed_over_above_the_headings(client, world, titles, read):
    client.force_login(world["housing_coordinator"])
    workbook = Workbook()
    sheet = workbook.active
    for number in range(titles):
        sheet.append([f"Prepared by team {number}"])
    sheet.append(["Date", "Event"])
    sheet.append(["3/11/25", "Rent arrears letter"])
    response = post_rows(client, world, "rows.xlsx", saved(workbook))
    assert (response.status_code == 302) is read
    assert ChronologyEntry.objects.exists() is read
    if not read:
        assert "must hold the column headings" in response.content.decode()
