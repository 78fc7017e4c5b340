"""The partnership administrator's pages in a real browser, at desktop and phone widths: inviting
someone to a role, adding and renaming an agency (a repeated name is refused next to the field), the
settings, and the logo, which then heads every page. Axe finds no WCAG 2.2 A/AA violation."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from maca.models import Agency, Membership

from .conftest import axe_violations, console_errors, member
from .factories import AgencyFactory, AuditFactory
from .test_browser import log_in
from .test_partnership_admin import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-123"
WIDTHS = (1280, 390)


@pytest.fixture
def people(live_server):
    audit = AuditFactory(theme__name="Neglect and housing")
    partnership = audit.partnership
    partnership.name = "Northshire Safeguarding Children Partnership"
    partnership.save()
    AgencyFactory(name="Housing", partnership=partnership)
    member(audit, Membership.Role.PARTNERSHIP_ADMIN, username="admin", password=PASSWORD)
    member(audit, Membership.Role.VIEWER, username="viewer", password=PASSWORD)
    return {"partnership": partnership, "url": live_server.url}


def no_violations(page) -> list[str]:
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found += [f"{violation} at {width} px" for violation in axe_violations(page)]
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    return found


def test_the_administrator_runs_the_partnership_from_its_own_pages(page, people, tmp_path):
    base, partnership = people["url"], people["partnership"]
    errors = console_errors(page)
    log_in(page, base, "admin", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Partnership").click()
    expect(page.get_by_role("heading", name=partnership.name)).to_be_visible()
    assert no_violations(page) == []

    # A role: a co-ordinator for the partnership's Housing, by invitation.
    page.get_by_label("Email address").fill("jo.housing@example.org")
    page.get_by_role("combobox", name="Role").select_option(label="Agency co-ordinator")
    page.get_by_role("combobox", name="Agency").select_option(label="Housing")
    page.get_by_role("button", name="Email the invitation").click()
    expect(page.get_by_role("status")).to_contain_text(
        "An invitation to join as Agency co-ordinator for Housing was emailed to "
        "jo.housing@example.org"
    )
    invitations = page.get_by_role("table", name="Invitations waiting to be accepted")
    expect(invitations).to_contain_text("jo.housing@example.org")
    assert no_violations(page) == []
    page.get_by_role("link", name=re.compile(r"^Remove ")).first.click()
    expect(page.get_by_role("link", name="No, keep it")).to_be_visible()
    assert no_violations(page) == []
    page.get_by_role("link", name="No, keep it").click()

    # Agencies: Housing again is refused next to the field, with what was typed kept.
    page.get_by_role("link", name="Agencies").click()
    page.get_by_role("textbox", name="Name").fill("housing")
    page.get_by_role("button", name="Add the agency").click()
    expect(page.locator("#error-summary")).to_contain_text("already has an agency called Housing")
    expect(page.get_by_role("textbox", name="Name")).to_have_value("housing")
    assert no_violations(page) == []
    page.get_by_role("textbox", name="Name").fill("City Police")
    page.get_by_role("combobox", name="Sector").select_option(label="Police")
    page.get_by_role("button", name="Add the agency").click()
    expect(page.get_by_role("table")).to_contain_text("City Police")
    page.get_by_role("link", name="Edit City Police").click()
    expect(page.get_by_role("button", name="Save the agency")).to_be_visible()
    assert no_violations(page) == []
    page.get_by_role("textbox", name="Name").fill("Northshire Police")
    page.get_by_role("button", name="Save the agency").click()
    expect(page.get_by_role("table")).to_contain_text("Northshire Police")
    assert Agency.objects.filter(partnership=partnership, name="Northshire Police").exists()

    # Settings.
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_label("Protective marking")).to_be_visible()
    assert no_violations(page) == []
    page.get_by_label("Protective marking").fill("OFFICIAL")
    # A heading pasted too long is kept whole, and said to be too long, not cut short.
    findings = page.get_by_label("Heading of section 4 (findings)")
    long_heading = "What we found " * 24 + "in every case"  # 349 characters
    findings.fill(long_heading)
    expect(findings).to_have_value(long_heading)
    hint = page.locator(".form-text").filter(
        has_text="This is 349 characters, over the limit of 200"
    )
    expect(hint).to_be_visible()  # while typing, as the server says it when sent
    page.get_by_role("button", name="Save the settings").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_text("This is 349 characters, over the limit of 200").first).to_be_visible()
    expect(findings).to_have_value(long_heading)
    findings.fill("What we found")
    page.get_by_label("Heading of section 3 (strengths)").fill("What went well")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.get_by_role("status")).to_contain_text("settings were saved")
    partnership.refresh_from_db()
    assert partnership.heading_strengths == "What went well"

    # The logo: uploaded, then at the head of every page of the partnership's members.
    page.get_by_role("link", name="Logo").click()
    expect(page.locator("#id_logo")).to_be_attached()
    assert no_violations(page) == []
    picture = tmp_path / "logo.png"
    picture.write_bytes(png(60, 20))
    page.locator("#id_logo").set_input_files(str(picture))
    page.get_by_role("button", name="Upload the logo").click()
    expect(page.get_by_role("img", name=f"The logo of {partnership.name}")).to_be_visible()
    assert no_violations(page) == []
    bar_logo = page.locator(".partnership-bar img.partnership-logo")
    expect(bar_logo).to_be_visible()
    assert bar_logo.evaluate("image => image.naturalWidth") == 60

    viewer = page.context.browser.new_page()
    log_in(viewer, base, "viewer", PASSWORD)
    expect(viewer.locator(".partnership-bar")).to_contain_text(partnership.name)
    assert viewer.locator(".partnership-bar img").evaluate("image => image.naturalWidth") == 60
    assert no_violations(viewer) == []
    # A refused form answers 422 by design, which the browser notes; nothing else went wrong.
    assert [error for error in errors if "status of 422" not in error] == []


def test_a_box_over_its_character_limit_is_read_out_once_typing_pauses(page, people):
    """The message on screen follows each character; what a screen reader is told (a live
    region of its own) waits for a pause, so it does not talk over the typing."""
    base, partnership = people["url"], people["partnership"]
    log_in(page, base, "admin", PASSWORD)
    page.goto(base + reverse("partnership_settings", args=[partnership.pk]))
    findings = page.get_by_label("Heading of section 4 (findings)")
    shown = page.locator(f"#{findings.get_attribute('id')}-length")
    spoken = page.locator(f"#{findings.get_attribute('id')}-length-spoken")
    expect(spoken).to_have_attribute("aria-live", "polite")
    assert shown.get_attribute("aria-live") is None
    findings.fill("x" * 198)
    findings.press_sequentially("yyyy", delay=20)
    said = "This is 202 characters, over the limit of 200: shorten it before sending."
    expect(shown).to_have_text(said)
    assert spoken.text_content() == ""  # not yet: the typing goes on
    expect(spoken).to_have_text(said, timeout=5000)
    assert shown.get_attribute("id") in findings.get_attribute("aria-describedby").split()
