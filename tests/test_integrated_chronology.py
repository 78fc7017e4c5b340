"""The integrated chronology: every agency's rows in one timeline, on screen and as a PDF."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from . import test_chronology_files as chronology_files
from .conftest import pdf_text
from .factories import AgencyFactory, AuditFactory, ChronologyEntryFactory
from .test_chronology_files import plain

pytestmark = pytest.mark.django_db

# Shared fixtures: the people, agencies and case of an audit open for submissions.
world = chronology_files.world
fast_passwords = chronology_files.fast_passwords

D = datetime.date


def url(world, name="integrated_chronology", query=""):
    return reverse(name, args=[world["audit"].pk, world["case"].pk]) + query


@pytest.fixture
def rows(world):
    """Rows from two agencies, written out of order, with a year, a month and two days."""
    specs = [
        ("housing", "On 6 March", D(2026, 3, 6), "day", "positive"),
        ("police", "On 5 March", D(2026, 3, 5), "day", "negative"),
        ("housing", "In March", D(2026, 3, 1), "month", "neutral"),
        ("police", "Sometime in 2026", D(2026, 1, 1), "year", "unknown"),
        ("police", "On 1 March", D(2026, 3, 1), "day", "negative"),
        ("housing", "In 2025", D(2025, 6, 30), "day", "positive"),
    ]
    for agency, event, date, precision, impact in specs:
        ChronologyEntryFactory(
            case=world["case"],
            agency=world[agency],
            event=event,
            date=date,
            date_precision=precision,
            impact=impact,
        )
    return world


def positions(page, *events):
    return [page.index(event) for event in events]


def test_rows_are_merged_in_date_order_with_approximate_dates_first(client, rows):
    client.force_login(rows["chair"])
    response = client.get(url(rows))
    assert response.status_code == 200
    page = plain(response)
    order = positions(
        page,
        "In 2025",
        "Sometime in 2026",
        "In March",
        "On 1 March",
        "On 5 March",
        "On 6 March",
    )
    assert order == sorted(order)
    assert "2026 (approx.) Police Sometime in 2026" in page
    assert "March 2026 (approx.) Housing In March" in page
    assert "5 March 2026 Police On 5 March" in page
    assert "Negative" in page and "Positive" in page


def test_filters_by_agency_and_impact_stay_in_the_url(client, rows):
    client.force_login(rows["chair"])
    page = plain(client.get(url(rows, query=f"?agency={rows['police'].pk}")))
    assert "On 5 March" in page and "Sometime in 2026" in page
    assert "On 6 March" not in page and "In March" not in page
    assert "Showing Police; impact any." in page

    response = client.get(url(rows, query=f"?agency={rows['police'].pk}&impact=negative"))
    page = plain(response)
    assert "On 5 March" in page and "On 1 March" in page
    assert "Sometime in 2026" not in page
    html = response.content.decode()
    assert f'value="{rows["police"].pk}" id="filter-agency-{rows["police"].pk}" checked' in html
    pdf_link = reverse("integrated_chronology_pdf", args=[rows["audit"].pk, rows["case"].pk])
    assert f"{pdf_link}?agency={rows['police'].pk}&amp;impact=negative" in html

    page = plain(client.get(url(rows, query="?impact=positive&impact=neutral")))
    assert "In March" in page and "On 6 March" in page and "In 2025" in page
    assert "On 5 March" not in page


def test_only_agencies_with_rows_for_the_case_are_offered_as_filters_with_their_counts(
    client, rows
):
    quiet = AgencyFactory(name="Dental service")
    rows["audit"].agencies.add(quiet)
    client.force_login(rows["chair"])
    page = plain(client.get(url(rows)))
    assert "Housing (3 rows )" in page and "Police (3 rows )" in page
    assert "Dental service" not in page
    chosen = plain(client.get(url(rows, query=f"?agency={quiet.pk}")))
    assert "Dental service (0 rows )" in chosen
    assert "Showing Dental service; impact any." in chosen


def test_nonsense_filters_are_ignored_not_an_error(client, rows):
    client.force_login(rows["chair"])
    response = client.get(
        url(rows, query="?agency=abc&agency=99999&agency=%C2%B2&impact=awful&impact=")
    )
    assert response.status_code == 200
    assert "On 5 March" in plain(response) and "On 6 March" in plain(response)


def test_a_filter_with_no_matches_says_so(client, world):
    ChronologyEntryFactory(case=world["case"], agency=world["housing"], impact="positive")
    client.force_login(world["chair"])
    page = plain(client.get(url(world, query="?impact=negative")))
    assert "No rows match these filters. Clear filters to see every row." in page


def test_an_empty_chronology_says_who_adds_rows(client, world):
    client.force_login(world["chair"])
    page = plain(client.get(url(world)))
    assert "No agency has added structured chronology rows for Case 1 yet." in page


def test_the_pdf_holds_the_rows_in_order(client, rows, tmp_path):
    client.force_login(rows["chair"])
    response = client.get(url(rows, "integrated_chronology_pdf"), follow=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="case-1-integrated-chronology.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content, tmp_path)
    assert "OFFICIAL-SENSITIVE" in text
    assert "Integrated chronology: Case 1" in text
    assert "Page 1 of 1" in text
    order = positions(
        text, "In 2025", "Sometime in 2026", "In March", "On 1 March", "On 5 March", "On 6 March"
    )
    assert order == sorted(order)
    assert "(approx.)" in text


def test_a_date_known_to_the_month_keeps_to_its_column_in_the_pdf(client, world, tmp_path):
    ChronologyEntryFactory(
        case=world["case"],
        agency=world["housing"],
        event="Visit in November",
        date=D(2025, 11, 1),
        date_precision="month",
    )
    client.force_login(world["chair"])
    text = pdf_text(
        client.get(url(world, "integrated_chronology_pdf"), follow=True).content, tmp_path
    )
    # "(approx.)" goes under the date, not over the agency beside it.
    assert re.search(r"November 2025 +Housing +Visit in November", text)
    assert re.search(r"\n +\(approx\.\)\n", text)


def test_the_pdf_respects_the_filters(client, rows, tmp_path):
    client.force_login(rows["chair"])
    response = client.get(
        url(rows, "integrated_chronology_pdf", f"?agency={rows['housing'].pk}"), follow=True
    )
    text = pdf_text(response.content, tmp_path)
    assert "On 6 March" in text and "In March" in text
    assert "On 5 March" not in text
    assert "Showing Housing" in text


@pytest.mark.parametrize("name", ["integrated_chronology", "integrated_chronology_pdf"])
def test_who_may_read_it(client, world, outsider, name):
    client.force_login(world["chair"])
    assert client.get(url(world, name), follow=True).status_code == 200
    for person in ("qa_member", "housing_coordinator"):
        client.force_login(world[person])
        assert client.get(url(world, name)).status_code == 403
    client.force_login(world["viewer"])
    assert client.get(url(world, name)).status_code == 404
    client.force_login(outsider)
    assert client.get(url(world, name)).status_code == 404

    world["audit"].pack_released_at = timezone.now()
    world["audit"].save()
    for person in ("qa_member", "housing_coordinator", "police_coordinator"):
        client.force_login(world[person])
        assert client.get(url(world, name), follow=True).status_code == 200


def test_a_case_of_another_audit_is_not_found(client, world):
    other = AuditFactory(partnership=world["audit"].partnership)
    client.force_login(world["chair"])
    assert (
        client.get(reverse("integrated_chronology", args=[other.pk, world["case"].pk])).status_code
        == 404
    )


def _count_queries(client, page_url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page_url)
    assert response.status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_rows_or_agencies(client, world):
    client.force_login(world["chair"])

    def add(n):
        for i in range(n):
            agency = AgencyFactory()
            world["audit"].agencies.add(agency)
            for day in range(1, 4):
                ChronologyEntryFactory(
                    case=world["case"], agency=agency, date=D(2026, 1, day), event=f"E{i}-{day}"
                )

    add(2)
    small = _count_queries(client, url(world))
    add(18)
    large = _count_queries(client, url(world))
    assert large == small
    filtered = _count_queries(client, url(world, query="?impact=unknown&agency=1"))
    assert filtered == small


def test_a_long_chronology_is_read_a_page_at_a_time_and_the_pdf_holds_every_row(
    client, rows, monkeypatch, tmp_path
):
    monkeypatch.setattr("cases.chronology_pdf.INTEGRATED_PAGE_SIZE", 4)
    client.force_login(rows["chair"])

    first = plain(client.get(url(rows)))
    assert "Rows 1 to 4 of 6, in date order, 4 to a page. The PDF holds every row." in first
    assert "In 2025" in first and "On 1 March" in first and "On 5 March" not in first
    assert "1 of 2 Next" in first

    second = plain(client.get(url(rows, query="?page=2")))
    assert "Rows 5 to 6 of 6" in second
    assert "On 5 March" in second and "On 6 March" in second and "In 2025" not in second
    assert "Previous 2 of 2" in second
    # Past the last page, or not a number: a page that exists.
    assert "Rows 5 to 6 of 6" in plain(client.get(url(rows, query="?page=99")))
    assert "Rows 1 to 4 of 6" in plain(client.get(url(rows, query="?page=x")))

    # The filters go with the pages.
    police = rows["police"].pk
    response = client.get(url(rows, query=f"?agency={police}&impact=negative"))
    assert "of 2 Next" not in plain(response)  # two rows: one page, no page links
    monkeypatch.setattr("cases.chronology_pdf.INTEGRATED_PAGE_SIZE", 1)
    html = client.get(url(rows, query=f"?agency={police}&impact=negative")).content.decode()
    assert f'href="?agency={police}&amp;impact=negative&amp;page=2"' in html

    pdf = client.get(url(rows, "integrated_chronology_pdf"), follow=True)
    text = pdf_text(pdf.content, tmp_path)
    assert all(event in text for event in ("In 2025", "On 1 March", "On 5 March", "On 6 March"))


def test_a_page_of_a_long_chronology_costs_the_queries_of_a_short_one(client, world, monkeypatch):
    monkeypatch.setattr("cases.chronology_pdf.INTEGRATED_PAGE_SIZE", 5)
    client.force_login(world["chair"])
    ChronologyEntryFactory(case=world["case"], agency=world["housing"], date=D(2026, 1, 1))
    one = _count_queries(client, url(world))
    for day in range(1, 28):
        ChronologyEntryFactory(case=world["case"], agency=world["police"], date=D(2026, 2, day))
    assert _count_queries(client, url(world, query="?page=3")) == one
