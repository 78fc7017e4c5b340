"""Learning across audits in a real browser: the demo viewer searches the library and reads the
trends, with axe on each page; the user guide's screenshot is taken on the way."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import axe_violations, console_errors
from .test_browser import demo, log_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# UPDATE_SCREENSHOTS=1 writes the user guide's picture; otherwise it goes to the test's folder.
GUIDE_IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def test_a_viewer_searches_the_library_and_reads_the_trends(page, demo, tmp_path):  # noqa: F811
    errors = console_errors(page)
    log_in(page, demo, "viewer")
    page.get_by_role("link", name="Learning").click()
    expect(page.get_by_role("heading", name="Learning", level=1)).to_be_visible()
    page.get_by_label("Words").fill("supervision")
    page.get_by_label("Tag").select_option(label="management oversight and supervision")
    # By keyboard, the filters come after the words and before the Search button.
    page.get_by_label("Words").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Theme")).to_be_focused()
    page.get_by_label("Year").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Search")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=supervision.*tag=management"))
    results = page.locator(".library-results > li")
    expect(results.first).to_be_visible()
    expect(results.first.locator("mark").first).to_be_visible()
    assert axe_violations(page) == []
    folder = GUIDE_IMAGES if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1100, "height": 900})
    page.screenshot(path=str(folder / "learning-library.png"))

    first_link = results.first.get_by_role("link").first
    first_link.click()
    expect(page).to_have_url(re.compile(r"/briefing/versions/\d+/#"))
    page.go_back()

    page.get_by_role("link", name="Trends").click()
    expect(page.get_by_role("heading", name="Recurring findings")).to_be_visible()
    expect(page.get_by_text("Recurring", exact=True).first).to_be_visible()
    charts = page.locator("img.trend-chart")
    assert charts.count() >= 4
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_js_property("complete", True, timeout=60_000)
        assert chart.evaluate("img => img.naturalWidth") > 0
    assert axe_violations(page) == []
    page.screenshot(path=str(tmp_path / "learning-trends.png"), full_page=True)
    page.get_by_label("From", exact=True).fill("2026-01-01")
    page.get_by_label("To", exact=True).fill("2025-01-01")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_text("‘To’ must be on or after ‘From’.", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="To: ‘To’ must be on or after ‘From’.")).to_be_visible()
    assert axe_violations(page) == []
    with page.expect_download() as download:
        page.goto(demo + "/learning/trends/")
        page.get_by_role("link", name="CSV").first.click()
    assert download.value.suggested_filename.endswith(".csv")
    page.wait_for_load_state("networkidle")  # no chart still on its way when the server stops
    assert errors == []


TICK_LABEL_SIZE = """async img => {
    const svg = new DOMParser().parseFromString(
        await (await fetch(img.currentSrc)).text(), "image/svg+xml"
    ).documentElement;
    const label = svg.querySelector("g[id^='ytick'] text");
    const size = parseFloat(label.getAttribute("style").match(/font-size:\\s*([\\d.]+)px/)[1]);
    const drawnWidth = svg.viewBox.baseVal.width;
    return size * img.getBoundingClientRect().width / drawnWidth;
}"""


def test_the_trends_charts_text_is_readable_on_a_phone(page, demo, tmp_path):  # noqa: F811
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, demo, "viewer")
    page.goto(demo + "/learning/trends/")
    chart = page.locator("img.trend-chart").first
    chart.scroll_into_view_if_needed()
    expect(chart).to_have_js_property("complete", True, timeout=60_000)
    assert "layout=narrow" in chart.evaluate("img => img.currentSrc")
    # The size a tick label is drawn at on the screen, in CSS pixels.
    assert chart.evaluate(TICK_LABEL_SIZE) >= 11
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    page.screenshot(path=str(tmp_path / "learning-trends-phone.png"), full_page=True)


def test_the_report_downloads_cover_the_dates_in_the_fields_and_its_buttons_come_back(
    page,
    demo,  # noqa: F811
):
    """A download leaves the page where it is: the other format can be asked for next, and
    the file covers the period as it stands in the fields, shown or not."""
    log_in(page, demo, "chair")
    page.goto(f"{demo}/learning/report/")
    expect(page.get_by_role("button", name="Download PDF")).to_be_enabled()
    page.get_by_label("From").fill("2024-01-01")
    with page.expect_download() as pdf_download:
        page.get_by_role("button", name="Download PDF").click()
    assert "2024-01-01" in pdf_download.value.suggested_filename
    word = page.get_by_role("button", name="Download Word")
    expect(word).to_be_enabled(timeout=8000)
    expect(page.get_by_role("button", name="Show the audits")).to_be_enabled()
    with page.expect_download() as word_download:
        word.click()
    assert word_download.value.suggested_filename.endswith(".docx")
    assert axe_violations(page) == []


def test_a_message_under_one_date_leaves_the_labels_and_the_button_in_line(
    page,
    demo,  # noqa: F811
):
    """Trends and the report: "To" stays level with "From" when only it has a message, and the
    button stays level with the boxes, at desktop width."""
    log_in(page, demo, "qa")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{demo}/learning/trends/?start=2026-12-31&end=2026-01-01")
    expect(page.get_by_text("‘To’ must be on or after ‘From’.").last).to_be_visible()

    def top(locator):
        return round(locator.bounding_box()["y"])

    labels = page.locator("#period-form label")
    assert top(labels.nth(0)) == top(labels.nth(1))
    boxes = page.locator("#period-form input[type=date]")
    assert (
        top(boxes.nth(0))
        == top(boxes.nth(1))
        == top(page.get_by_role("button", name="Show", exact=True))
    )
