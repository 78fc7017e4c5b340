"""The demo chair's first journey, in a real browser (Debian's Chromium)."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import axe_violations, console_errors, load_demo, pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(live_server):
    load_demo()
    return live_server.url


def log_in(page, base_url, username, password="demo"):
    page.goto(f"{base_url}/")
    expect(page).to_have_url(f"{base_url}/login/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_chair_opens_the_audit_reads_the_briefing_and_downloads_the_pdf(page, demo, tmp_path):
    errors = console_errors(page)
    log_in(page, demo, "chair")
    expect(page.get_by_role("heading", name="Audits")).to_be_visible()

    assert axe_violations(page) == []
    page.get_by_role("link", name="Neglect and housing", exact=True).click()
    expect(page.get_by_role("heading", name="Neglect and housing", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Case 6")).to_be_visible()
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Audits")

    assert axe_violations(page) == []
    # The audit is closed and its version 1 unchanged since: the main buttons give version 1.
    page.get_by_role("link", name="View briefing").click()
    expect(page).to_have_title(
        re.compile(
            r"^Version 1, published .* · Multi Agency Case Audit: Neglect and housing · MACA$"
        )
    )
    expect(page.locator(".cover .version")).to_have_text(re.compile(r"^Version 1, published"))
    expect(page.get_by_role("heading", level=2)).to_have_count(8)  # learning summary, actions annex
    expect(page.get_by_role("heading", name="Findings identified per case")).to_be_visible()
    assert axe_violations(page) == []

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == "neglect-and-housing-briefing-v1.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    assert "Recommendations – Issues Identified Across Multiple Cases" in text
    assert "Version 1, published" in text and "Draft" not in text
    assert errors == []  # nothing blocked by the Content Security Policy, no script errors


def test_a_wrong_password_keeps_the_user_on_the_login_page(page, demo):
    log_in(page, demo, "chair", password="not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")
    expect(page.get_by_label("Username")).to_have_value("chair")


def test_reordering_with_the_keyboard_keeps_the_focus(page, demo):
    from cases.models import Case
    from findings.models import Strength

    case = Case.objects.get(audit__theme__name="Child exploitation", label="Case A")
    Strength.objects.create(case=case, text="A second strength.", order=5)
    log_in(page, demo, "qa")
    page.goto(f"{demo}/audits/{case.audit_id}/findings/")
    first_move_down = page.locator("[id^='down-strength-']").first
    item_text = page.locator("[id^='item-strength-']").first.inner_text()
    first_move_down.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[id^='item-strength-']").first).not_to_have_text(item_text)
    # The moved item is now last: its "Move down" is disabled, so the focus is on its "Move up".
    expect(page.locator(":focus")).to_have_attribute("id", re.compile(r"^up-strength-"))


def test_chair_closes_an_audit_after_being_told_what_is_missing(page, demo):
    """The exploitation demo audit is at Reporting: closing asks first, and every page on the
    way has no accessibility violations."""
    errors = console_errors(page)
    log_in(page, demo, "chair")
    page.get_by_role("link", name="Child exploitation").click()
    page.get_by_role("button", name="Move to “Closed”").click()
    expect(page.get_by_role("heading", name="Close this audit?")).to_be_visible()
    expect(page.get_by_text("Closing cannot be undone.")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Keep it open").click()
    expect(page.get_by_role("heading", name="Child exploitation", level=1)).to_be_visible()
    page.get_by_role("button", name="Move to “Closed”").click()
    page.get_by_role("button", name="Close the audit").click()
    expect(page.get_by_role("status")).to_contain_text("Closed")
    page.get_by_role("link", name="Keeping and deleting data").click()
    expect(page.get_by_role("button", name="Delete identifying details")).to_be_visible()
    assert axe_violations(page) == []
    assert errors == []


def test_a_form_sent_back_with_errors_puts_the_focus_on_what_went_wrong(page, demo):
    log_in(page, demo, "chair")
    page.get_by_role("link", name="New audit").click()
    page.get_by_role("button", name="Create the audit").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")  # from the summary to its first link to a field
    expect(page.locator(":focus")).to_have_attribute("class", "alert-link")
    assert axe_violations(page) == []
    # The link takes the focus to its field, and the address keeps no "#field" to carry on
    # through the redirect after saving.
    field_id = page.locator(":focus").get_attribute("href")[1:]
    page.set_viewport_size({"width": 1280, "height": 400})  # a form taller than the screen
    page.keyboard.press("Enter")
    expect(page.locator(f"#{field_id}")).to_be_focused()
    assert "#" not in page.url
    box = page.locator(f"#{field_id}").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 401, box  # on screen, to the pixel
