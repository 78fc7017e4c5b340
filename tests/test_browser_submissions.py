"""A whole audit's first half in a real browser: nominate, select, submit, see it complete."""

import datetime

import pytest
from playwright.sync_api import expect

from cases.models import Audit
from cases.services.tool import question_add, section_add
from maca.models import Agency, Membership

from .conftest import axe_violations, console_errors, load_demo, member
from .factories import AgencyFactory, AuditFactory
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
    audit = AuditFactory(
        theme__name="Domestic abuse",
        status=Audit.Status.NOMINATING,
        target_case_count=1,
        submission_deadline=datetime.date.today() + datetime.timedelta(days=14),
    )
    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    section = section_add(audit=audit, title="Voice of the child")
    question_add(section=section, text="Was the child's voice heard?")
    password = "demo-pass-123"
    return {
        "audit": audit,
        "qa": member(audit, Membership.Role.QA_MEMBER, username="qa", password=password),
        "chair": member(audit, Membership.Role.CHAIR, username="chair", password=password),
        "housing": member(
            audit,
            Membership.Role.COORDINATOR,
            agency=housing,
            username="housing",
            password=password,
        ),
        "password": password,
        "url": live_server.url,
    }


def test_nominate_select_submit_and_see_the_matrix_complete(browser, people, tmp_path):
    base, password, audit = people["url"], people["password"], people["audit"]

    qa = browser.new_page()
    errors = console_errors(qa)
    log_in(qa, base, "qa", password)
    qa.get_by_role("link", name="Domestic abuse").click()
    for label in ("Case 1", "Case 2"):
        qa.get_by_role("link", name="Nominate a case").first.click()
        qa.get_by_label("Label").fill(label)
        qa.get_by_label("Reason for nomination").fill(f"{label}: repeated call-outs.")
        qa.get_by_label("Housing", exact=True).check()
        assert axe_violations(qa) == [], qa.url
        qa.get_by_role("button", name="Nominate the case").click()
        expect(qa.get_by_role("table")).to_contain_text(label)

    chair = browser.new_page()
    log_in(chair, base, "chair", password)
    chair.goto(f"{base}/audits/{audit.pk}/")
    chair.get_by_role("link", name="Select the cross-section").click()
    chair.get_by_label("Case 1", exact=True).check()
    assert axe_violations(chair) == [], chair.url
    chair.get_by_role("button", name="Continue to confirm the selection").click()
    expect(chair.get_by_role("button", name="Confirm the selection of 1 case")).to_be_visible()
    assert axe_violations(chair) == [], chair.url
    chair.get_by_role("button", name="Confirm the selection of 1 case").click()
    expect(chair.get_by_text("Cases selected").first).to_be_visible()
    assert axe_violations(chair) == [], chair.url
    chair.get_by_role("button", name="Move to “Submissions open”").click()
    expect(chair.locator("[aria-current=step]")).to_contain_text("Submissions open")

    agency = browser.new_page()
    errors += console_errors(agency)
    log_in(agency, base, "housing", password)
    agency.goto(f"{base}/audits/{audit.pk}/")
    agency.get_by_role("link", name="chronology").first.click()
    pdf = tmp_path / "chronology.pdf"
    pdf.write_bytes(MINIMAL_PDF)
    agency.locator("input[type=file]").first.set_input_files(str(pdf))
    assert axe_violations(agency) == [], agency.url
    agency.get_by_role("button", name="Upload document").click()
    expect(agency.get_by_text("chronology.pdf").first).to_be_visible()
    assert axe_violations(agency) == [], agency.url

    agency.goto(f"{base}/audits/{audit.pk}/")
    expect(agency.get_by_text("Your agency's submissions")).to_be_visible()
    assert axe_violations(agency) == [], agency.url
    agency.get_by_role("link", name="audit tool").first.click()
    agency.get_by_role("textbox").first.fill("Recorded at every visit.")
    agency.get_by_label("Good", exact=True).check()
    assert axe_violations(agency) == [], agency.url
    agency.get_by_role("button", name="Submit").click()
    expect(agency.get_by_role("heading", name="Submit Housing's audit tool")).to_be_visible()
    assert axe_violations(agency) == [], agency.url
    agency.get_by_role("button", name="Submit").click()  # the confirmation step
    expect(agency.get_by_text("Submitted by")).to_be_visible()
    assert axe_violations(agency) == [], agency.url

    chair.goto(f"{base}/audits/{audit.pk}/progress/")
    expect(chair.get_by_role("table")).to_contain_text("Complete")
    expect(chair.get_by_role("progressbar").first).to_have_attribute("aria-valuenow", "100")
    assert axe_violations(chair) == [], chair.url

    # The chair releases the meeting pack to the members.
    chair.goto(f"{base}/audits/{audit.pk}/pack/")
    assert axe_violations(chair) == [], chair.url
    chair.get_by_role("link", name="Release the meeting pack to members").click()
    expect(
        chair.get_by_role("heading", name="Release the meeting pack to members?")
    ).to_be_visible()
    assert axe_violations(chair) == [], chair.url
    chair.get_by_role("button", name="Release the meeting pack").click()
    expect(chair.get_by_role("status")).to_contain_text("members can now read it")
    expect(chair.get_by_text("Released", exact=True)).to_be_visible()
    assert axe_violations(chair) == [], chair.url
    assert errors == []


def test_a_long_answer_is_never_cut_short_and_the_page_says_by_how_much_it_is_over(
    page, live_server
):
    load_demo()
    audit = Audit.objects.get(theme__name="Domestic abuse and young parents")
    case = audit.cases.order_by("order")[1]
    housing = Agency.objects.get(name="Housing")
    log_in(page, live_server.url, "housing", "demo")
    page.goto(f"{live_server.url}/audits/{audit.pk}/cases/{case.pk}/agencies/{housing.pk}/tool/")
    answer = page.get_by_role("textbox").first
    long_text = "The family was seen at home. " * 700  # 20,300 characters, over the 20,000 limit
    answer.fill(long_text)
    assert len(answer.input_value()) == len(long_text)  # not cut short by the browser
    typed = page.locator(".form-text").filter(
        has_text="This is 20,300 characters, over the limit of 20,000"
    )
    expect(typed).to_be_visible()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_focused()
    assert page.get_by_role("textbox").first.input_value() == long_text.replace("\n", "")
    # The server's message beside the box, and not the typing hint's again beside it.
    said = "This is 20,299 characters, over the limit of 20,000"  # less the space at the end
    expect(page.locator(".invalid-feedback").filter(has_text=said)).to_have_count(1)
    expect(page.locator(".form-text").filter(has_text="over the limit")).to_have_count(0)
    page.get_by_role("textbox").first.press("End")
    page.get_by_role("textbox").first.press("Backspace")
    hint = page.locator(".form-text").filter(has_text="over the limit")
    expect(hint).to_have_text(
        "This is 20,299 characters, over the limit of 20,000: shorten it before sending."
    )
    assert axe_violations(page) == []
