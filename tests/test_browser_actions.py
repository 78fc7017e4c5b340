"""The action plan in a real browser: the chair adds actions from a recommendation, the owner
agency reports progress with evidence, the chair signs one off, and the plan shows the result."""

import datetime
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from actions.models import Action, Evidence
from maca.models import Membership

from .conftest import axe_violations, console_errors, member
from .factories import AgencyFactory, AuditFactory, RecommendationFactory
from .test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture
def people(live_server):
    audit = AuditFactory(theme__name="Neglect and housing")
    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    RecommendationFactory(audit=audit, text="Invite housing officers to core groups.")
    password = "demo-pass-123"
    member(audit, Membership.Role.CHAIR, username="chair", password=password)
    member(
        audit, Membership.Role.COORDINATOR, agency=housing, username="housing", password=password
    )
    return {"audit": audit, "password": password, "url": live_server.url}


def add_action(page, base, audit, text, due):
    page.goto(f"{base}/audits/{audit.pk}/actions/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Add an action for recommendation 1").click()
    expect(page.get_by_label("Owner agency")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Action", exact=False).first.fill(text)
    page.get_by_label("Owner agency").select_option(label="Housing")
    page.get_by_label("Lead officer").fill("Head of Housing")
    page.get_by_label("Due date").fill(due.isoformat())
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=text)).to_be_visible()
    return page.url


def test_actions_from_a_recommendation_to_complete_and_red(browser, people, tmp_path):
    base, password, audit = people["url"], people["password"], people["audit"]
    today = datetime.date.today()

    chair = browser.new_page()
    errors = console_errors(chair)
    log_in(chair, base, "chair", password)
    first_url = add_action(
        chair, base, audit, "Housing attends every core group.", today + datetime.timedelta(60)
    )
    add_action(chair, base, audit, "Audit core group minutes.", today + datetime.timedelta(3))
    chair.goto(f"{base}/audits/{audit.pk}/actions/")
    expect(chair.get_by_role("table")).to_contain_text("Housing attends every core group.")
    expect(chair.get_by_role("table")).to_contain_text("Audit core group minutes.")

    coordinator = browser.new_page()
    errors += console_errors(coordinator)
    log_in(coordinator, base, "housing", password)
    coordinator.goto(first_url)
    assert axe_violations(coordinator) == []
    coordinator.get_by_label("What has happened").fill("Housing officers invited from March.")
    coordinator.get_by_label("Status").select_option(label="In progress")
    coordinator.get_by_role("button", name="Add update").click()
    expect(coordinator.get_by_role("status")).to_contain_text("Your update was added.")
    # What happened has the focus, at the top: read out, and the keyboard starts from there.
    expect(coordinator.get_by_role("status")).to_be_focused()
    assert coordinator.evaluate("scrollY") < 200
    expect(coordinator.get_by_text("Housing officers invited from March.")).to_be_visible()
    evidence = tmp_path / "invitation-letter.pdf"
    evidence.write_bytes(MINIMAL_PDF)
    coordinator.get_by_label("File showing the action’s progress or impact").set_input_files(
        str(evidence)
    )
    coordinator.get_by_label("What it shows (optional)").fill("The invitation letter")
    coordinator.get_by_role("button", name="Upload evidence").click()
    expect(coordinator.get_by_role("link", name="invitation-letter.pdf")).to_be_visible()
    assert Evidence.objects.get().description == "The invitation letter"
    assert axe_violations(coordinator) == []

    chair.goto(first_url)
    chair.get_by_role("link", name="Sign off as complete").click()
    expect(chair.get_by_label("Outcome statement")).to_be_visible()
    assert axe_violations(chair) == []
    chair.get_by_label("Outcome statement").fill("Housing attended 9 of 10 core groups.")
    chair.get_by_role("button", name="Sign off as complete").click()
    expect(chair.get_by_text("Signed off by")).to_be_visible()

    # Time passes: the other action's due date goes by without it being finished.
    Action.objects.filter(text="Audit core group minutes.").update(
        due_date=today - datetime.timedelta(days=2)
    )
    chair.goto(f"{base}/actions/")
    table = chair.get_by_role("table")
    expect(table.get_by_role("row").filter(has_text="Housing attends")).to_contain_text("Complete")
    expect(table.get_by_role("row").filter(has_text="Audit core group")).to_contain_text("Red")
    assert axe_violations(chair) == []
    # The chair exports the plan for the board's spreadsheet.
    with chair.expect_download() as download_info:
        chair.get_by_role("link", name="Excel").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    texts = {cell for row in sheet.iter_rows(min_row=2, values_only=True) for cell in row}
    assert "Housing attends every core group." in texts
    assert "Audit core group minutes." in texts
    chair.goto(f"{base}/")
    expect(chair.get_by_role("heading", name="Overdue actions")).to_contain_text("1")
    assert axe_violations(chair) == []
    assert errors == []


def test_a_date_the_browser_cannot_read_is_not_sent_as_no_date(browser, people):
    """Chromium sends an impossible date (29 February 2027) as an empty value: the optional due
    date would be wiped. The form is not sent, and the date says why."""
    audit, base = people["audit"], people["url"]
    action = Action.objects.create(
        audit=audit,
        recommendation=audit.recommendations.get(),
        text="Invite housing officers.",
        owner_agency=audit.agencies.get(),
        lead="Head of Housing",
        due_date=datetime.date(2027, 1, 15),
    )
    page = browser.new_page()  # Chromium's own date order here: month, day, year
    errors = console_errors(page)
    log_in(page, base, "chair", people["password"])
    page.goto(f"{base}/actions/{action.pk}/edit/")
    due = page.get_by_label("Due date")
    due.click(position={"x": 8, "y": 8})  # the month
    page.keyboard.type("02292027")
    page.get_by_role("button", name="Save").click()
    said = page.get_by_text("This is not a real date, so nothing was sent")
    expect(said).to_be_visible()
    expect(due).to_be_focused()
    expect(due).to_have_attribute("aria-invalid", "true")
    assert page.url.endswith(f"/actions/{action.pk}/edit/")
    assert axe_violations(page) == []
    action.refresh_from_db()
    assert action.due_date == datetime.date(2027, 1, 15)

    due.click(position={"x": 8, "y": 8})
    page.keyboard.type("02282027")
    expect(said).to_be_hidden()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Invite housing officers.")).to_be_visible()
    action.refresh_from_db()
    assert action.due_date == datetime.date(2027, 2, 28)
    assert errors == []


def housing_action(audit) -> Action:
    """An action of Housing's, due in a month."""
    return Action.objects.create(
        audit=audit,
        text="Invite housing officers.",
        owner_agency=audit.agencies.get(),
        lead="Head of Housing",
        due_date=datetime.date.today() + datetime.timedelta(days=30),
    )


def test_a_file_chosen_under_evidence_is_not_left_behind_by_add_update_unsaid(
    browser, people, tmp_path
):
    audit, base = people["audit"], people["url"]
    action = housing_action(audit)
    page = browser.new_page()
    errors = console_errors(page)
    log_in(page, base, "housing", people["password"])
    page.goto(f"{base}/actions/{action.pk}/")
    sheet = tmp_path / "sign-in-sheet.pdf"
    sheet.write_bytes(MINIMAL_PDF)
    page.get_by_label("File showing the action’s progress or impact").set_input_files(str(sheet))
    page.get_by_label("What has happened").fill("Sign-in sheet attached.")
    page.get_by_role("button", name="Add update").click()
    warning = page.get_by_role("alert").filter(has_text="You chose a file in “Add evidence”")
    expect(warning).to_be_visible()
    assert not action.updates.exists()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Upload evidence").click()  # its own button first
    expect(page.get_by_role("link", name="sign-in-sheet.pdf")).to_be_visible()
    page.get_by_label("What has happened").fill("Sign-in sheet attached.")
    page.get_by_role("button", name="Add update").click()
    expect(page.get_by_role("status")).to_contain_text("Your update was added.")
    assert action.updates.get().text == "Sign-in sheet attached."
    # Logging out with a file chosen logs out at once: nothing is kept from a shared computer.
    page.get_by_label("File showing the action’s progress or impact").set_input_files(str(sheet))
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    assert errors == []


# Every change to the page's message area after the page has loaded, in order: what a screen
# reader reads out of it (a message already there as the page loads is not read).
ANNOUNCED = """
window.announced = [];
document.addEventListener("DOMContentLoaded", () => {
  const area = document.getElementById("messages");
  if (!area) return;
  new MutationObserver(changes => changes.forEach(change => change.addedNodes.forEach(node => {
    if (node.textContent.trim()) window.announced.push(node.textContent.trim());
  }))).observe(area, {childList: true, subtree: true});
});
"""


def test_evidence_added_is_read_out_though_the_page_opens_at_the_evidence(
    browser, people, tmp_path
):
    audit, base = people["audit"], people["url"]
    action = housing_action(audit)
    page = browser.new_page(viewport={"width": 390, "height": 800})
    errors = console_errors(page)
    log_in(page, base, "housing", people["password"])
    page.add_init_script(ANNOUNCED)
    page.goto(f"{base}/actions/{action.pk}/")
    sheet = tmp_path / "sign-in-sheet.pdf"
    sheet.write_bytes(MINIMAL_PDF)
    page.get_by_label("File showing the action’s progress or impact").set_input_files(str(sheet))
    page.get_by_role("button", name="Upload evidence").press("Enter")
    # The page opens at the evidence, with the new file in view; the message, far above, is
    # said again once the page has loaded, so that a screen reader reads it out.
    expect(page).to_have_url(re.compile(r"#evidence$"))
    expect(page.get_by_role("link", name="sign-in-sheet.pdf")).to_be_in_viewport()
    for _ in range(20):  # the page's own policy forbids waiting on a script of the test's
        if page.evaluate("window.announced.length"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("window.announced") == ["“sign-in-sheet.pdf” was added as evidence."]
    expect(page.locator("#messages")).to_have_text("“sign-in-sheet.pdf” was added as evidence.")
    assert axe_violations(page) == []
    assert errors == []
