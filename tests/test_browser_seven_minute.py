"""From learning to practice in a real browser: a QA member drafts and edits the 7-minute briefing
(the word count shown as they type), the chair publishes it, a co-ordinator records a session,
the chair reads the uses and schedules a re-audit and its comparison, and a viewer reads the
7-minute briefing. Every page is checked with axe."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Audit
from findings.models import UsageRecord
from maca.models import Membership

from .conftest import axe_violations
from .factories import (
    AgencyFactory,
    AuditFactory,
    CaseFactory,
    FindingFactory,
    MembershipFactory,
    RecommendationFactory,
    StrengthFactory,
    UserFactory,
)
from .test_browser_briefing import log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Role = Membership.Role


@pytest.fixture
def journey(live_server):
    audit = AuditFactory(
        title="Multi Agency Case Audit",
        theme__name="Neglect and housing",
        status=Audit.Status.CLOSED,
        protective_marking="OFFICIAL-SENSITIVE",
    )
    housing = AgencyFactory(name="Housing Trust")
    audit.agencies.add(housing, AgencyFactory(name="Police"))
    case = CaseFactory(audit=audit, label="Case 1", order=1)
    FindingFactory(case=case, text="No one saw the baby for six weeks.")
    StrengthFactory(case=case, text="Housing raised the alarm early.")
    RecommendationFactory(audit=audit, text="Agree who leads when a family moves area.")
    for username, role, agency in (
        ("qa", Role.QA_MEMBER, None),
        ("chair", Role.CHAIR, None),
        ("housing", Role.COORDINATOR, housing),
        ("viewer", Role.VIEWER, None),
    ):
        user = UserFactory(username=username, first_name=username.capitalize())
        MembershipFactory(user=user, partnership=audit.partnership, role=role, agency=agency)
    return live_server.url, audit


def test_the_7_minute_briefing_its_uses_and_the_reaudit_for_each_role(page, journey):
    base_url, audit = journey

    # A QA member drafts the 7-minute briefing and edits a part past its limit.
    log_in(page, base_url, "qa")
    page.goto(f"{base_url}/audits/{audit.pk}/")
    page.get_by_role("link", name="Write it").click()
    expect(page.get_by_role("heading", name="7-minute briefing", level=1)).to_be_visible()
    page.get_by_role("button", name="Draft from the briefing").click()
    expect(page.get_by_text("Parts 1 to 5 were drafted")).to_be_visible()
    found = page.get_by_label("3 What we found")
    expect(found).to_have_value(re.compile("No one saw the baby for six weeks."))
    why = page.get_by_label("2 Why it matters")
    why.fill("Children were unseen.")
    expect(page.locator("#id_why_it_matters-words")).to_have_text("3 of 60 words")
    why.fill(" ".join(["unseen"] * 65))
    expect(page.locator("#id_why_it_matters-words")).to_contain_text("5 over the limit of 60")
    assert axe_violations(page) == []
    why.fill("Children were unseen while the adults' needs filled every plan.")
    page.get_by_role("button", name="Save the 7-minute briefing").click()
    expect(page.get_by_text("The 7-minute briefing was saved.")).to_be_visible()
    # Drafting again replaces parts 1 to 5: it is asked for in two steps, saying so.
    page.get_by_text("Draft parts 1 to 5 again from the briefing").click()
    expect(page.get_by_text("Anything typed below and not yet saved is lost")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Replace parts 1 to 5").click()
    expect(page.get_by_text("Parts 1 to 5 were drafted")).to_be_visible()
    expect(page.get_by_label("2 Why it matters")).not_to_have_value(
        "Children were unseen while the adults' needs filled every plan."
    )
    why = page.get_by_label("2 Why it matters")
    why.fill("Children were unseen while the adults' needs filled every plan.")
    page.get_by_role("button", name="Save the 7-minute briefing").click()
    expect(page.get_by_text("The 7-minute briefing was saved.")).to_be_visible()
    log_out(page)

    # The chair publishes the briefing with it.
    log_in(page, base_url, "chair")
    page.goto(f"{base_url}/audits/{audit.pk}/briefing/publish/")
    expect(page.get_by_text("is published with it, in the same version")).to_be_visible()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Version 1 of the briefing is published.")).to_be_visible()
    expect(page.get_by_role("link", name="PDF of the 7-minute briefing, version 1")).to_be_visible()
    log_out(page)

    # A co-ordinator records a session: a date in the future first.
    log_in(page, base_url, "housing")
    page.goto(f"{base_url}/audits/{audit.pk}/")
    page.get_by_role("link", name="Where the briefing was used").click()
    page.get_by_label("Date used").fill("2099-01-01")
    page.get_by_label("Team or setting").fill("Tenancy officers")
    page.get_by_label("Number of staff").fill("12")
    page.get_by_label("What will we do differently?").fill("Tell Early Help the same day.")
    page.get_by_role("button", name="Record the session").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_text("The date cannot be in the future.").first).to_be_visible()
    expect(page.get_by_label("Team or setting")).to_have_value("Tenancy officers")
    assert axe_violations(page) == []
    # Which briefing: asked, as this audit's 7-minute briefing was published with it.
    expect(page.get_by_text("Say which briefing the team used.").first).to_be_visible()
    page.get_by_role("radio", name="The 7-minute briefing").check()
    page.get_by_label("Date used").fill(timezone.localdate().isoformat())  # since publishing
    page.get_by_role("button", name="Record the session").click()
    expect(page.get_by_text("The session was recorded.")).to_be_visible()
    assert UsageRecord.objects.get().staff_count == 12
    log_out(page)

    # The chair reads the uses per agency, then schedules a re-audit and compares.
    log_in(page, base_url, "chair")
    page.goto(f"{base_url}/audits/{audit.pk}/usage/")
    expect(page.get_by_role("row", name=re.compile(r"Housing Trust 1 12"))).to_be_visible()
    assert axe_violations(page) == []
    page.goto(f"{base_url}/audits/{audit.pk}/")
    page.get_by_role("link", name="Schedule a re-audit of this theme").click()
    in_half_a_year = timezone.localdate() + datetime.timedelta(days=180)
    page.get_by_label("Date of the re-audit's multi-agency meeting").fill(
        in_half_a_year.isoformat()
    )
    page.get_by_label("Case 1").check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Schedule re-audit").click()
    expect(page.get_by_text("The re-audit is scheduled as a new draft audit.")).to_be_visible()
    reaudit = Audit.objects.get(reaudit_of=audit)
    page.goto(f"{base_url}/audits/{audit.pk}/")
    page.get_by_role("link", name="Open its re-audit").click()
    expect(page).to_have_url(re.compile(rf"/audits/{reaudit.pk}/$"))
    page.goto(f"{base_url}/audits/{audit.pk}/reaudit/")
    expect(page.get_by_text("Carried forward: Case 1.")).to_be_visible()
    expect(page.get_by_role("button", name="Schedule re-audit")).to_have_count(0)
    assert axe_violations(page) == []
    page.get_by_role("link", name="Open the re-audit").click()
    page.get_by_role("link", name="Compare with the original audit").click()
    expect(
        page.get_by_role("heading", name="The re-audit compared with the original")
    ).to_be_visible()
    expect(page.get_by_text("Agree who leads when a family moves area.")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Record the impact verdicts").click()
    expect(page).to_have_url(re.compile(rf"/audits/{reaudit.pk}/impact/$"))
    page.get_by_label("Impact partly seen").check()
    page.get_by_label("Evidence").fill("Seen in one case of two.")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save the verdicts").click()
    expect(page.get_by_text("Saved. 1 of 1 have a verdict.")).to_be_visible()
    log_out(page)

    # A viewer reads the published 7-minute briefing, its parts in order 1 to 7.
    log_in(page, base_url, "viewer")
    page.goto(f"{base_url}/audits/{audit.pk}/")
    page.get_by_role("link", name="The 7-minute briefing").click()
    expect(page).to_have_title(
        re.compile(r"^Version 1, published .+ · 7-minute briefing: Neglect and housing · MACA$")
    )
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert [h.split()[0] for h in headings] == [str(n) for n in range(1, 8)]
    expect(page.get_by_text("Version 1, published").first).to_be_visible()
    assert axe_violations(page) == []


def test_a_first_draft_around_typed_words_says_so_where_the_focus_lands(page, journey):
    """Drafting around what was typed saves nothing: the message saying so is where the page
    opens, so a screen reader hears it rather than a page that looks saved."""
    base_url, audit = journey
    log_in(page, base_url, "qa")
    page.goto(f"{base_url}/audits/{audit.pk}/seven-minute/edit/")
    page.get_by_label("6 Questions for your team").fill("Who else lives at the address?")
    page.get_by_role("button", name="Draft from the briefing").click()
    said = page.locator("#messages > .alert")
    expect(said).to_contain_text("Nothing is saved yet")
    expect(said).to_be_focused()
    expect(page.get_by_label("6 Questions for your team")).to_have_value(
        "Who else lives at the address?"
    )
    assert axe_violations(page) == []


def test_the_word_count_is_read_out_once_typing_pauses_not_at_every_word(page, journey):
    """The count on screen follows each word; what a screen reader is told (a live region of its
    own) waits for a pause, so it does not talk over the typing."""
    base_url, audit = journey
    log_in(page, base_url, "qa")
    page.goto(f"{base_url}/audits/{audit.pk}/seven-minute/edit/")
    why = page.get_by_label("2 Why it matters")
    shown = page.locator("#id_why_it_matters-words")
    spoken = page.locator("#id_why_it_matters-words-spoken")
    expect(spoken).to_have_attribute("aria-live", "polite")
    assert shown.get_attribute("aria-live") is None
    why.press_sequentially("Children were unseen", delay=20)
    expect(shown).to_have_text("3 of 60 words")
    assert spoken.text_content() == ""  # not yet: the typing goes on
    expect(spoken).to_have_text("3 of 60 words", timeout=5000)
    assert "id_why_it_matters-words" in why.get_attribute("aria-describedby").split()
