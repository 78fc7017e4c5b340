"""The briefing's journey in a real browser: written by a QA member, published by the chair,
downloaded by a viewer whose copy matches the published fingerprint, as the page confirms."""

import hashlib
import re

import pytest
from playwright.sync_api import expect

from cases.models import Audit
from findings.models import Finding, Recommendation, Tag
from maca.models import Membership

from .conftest import axe_violations, pdf_text
from .factories import (
    PASSWORD,
    AgencyFactory,
    AuditFactory,
    CaseFactory,
    MembershipFactory,
    RecommendationFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Role = Membership.Role


@pytest.fixture
def journey(live_server):
    audit = AuditFactory(
        title="Multi Agency Case Audit",
        theme__name="Neglect and housing",
        status=Audit.Status.REPORTING,
        protective_marking="OFFICIAL-SENSITIVE",
    )
    audit.agencies.add(AgencyFactory(name="Housing Trust"))
    CaseFactory(audit=audit, label="Case 1", order=1)
    CaseFactory(audit=audit, label="Case 2", order=2)
    RecommendationFactory(audit=audit, text="Agree who leads when a family moves area.")
    # The shared learning tags (an earlier test run in a transaction may have emptied the table).
    for name in ("voice of the child", "drift and delay", "neglect", "domestic abuse"):
        Tag.objects.filter(name__iexact=name).exists() or Tag.objects.create(name=name)
    users = {}
    for username, role in (("qa", Role.QA_MEMBER), ("chair", Role.CHAIR), ("viewer", Role.VIEWER)):
        users[username] = UserFactory(username=username, first_name=username.capitalize())
        MembershipFactory(user=users[username], partnership=audit.partnership, role=role)
    return live_server.url, audit


def log_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Username")).to_be_visible()


def add_item(page, owner, link, field, text, cases=(), tag=None):
    """Open the inline form in `owner` (a region), fill it in and save it, all through htmx."""
    owner.get_by_role("link", name=link).click()
    form = page.locator("form.item-form")
    expect(form).to_be_visible()
    form.get_by_role("textbox", name=re.compile(rf"^{field}\b")).fill(text)  # "Finding*"
    for label in cases:
        form.get_by_label(label, exact=True).check()
    if tag:
        # The tags are a short list: none shows until typed for, then only those that match.
        boxes = form.locator("input[data-tag-picker]")
        expect(boxes.first).to_be_hidden()
        finder = form.get_by_role("searchbox", name="Find a tag to add")
        finder.fill("zzqx")  # nothing found is said, with where new tags come from
        expect(form.get_by_text(re.compile(r"^No tag has these words\. "))).to_be_visible()
        finder.fill(tag[:5])
        expect(form.get_by_text(re.compile(r"^No tag has these words"))).to_be_hidden()
        expect(form.get_by_label(tag, exact=True)).to_be_visible()
        assert boxes.evaluate_all("bs => bs.filter(b => b.checkVisibility()).length") < 4
        form.get_by_label(tag, exact=True).check()
    form.get_by_role("button", name="Save").click()
    expect(page.locator("form.item-form")).to_have_count(0)


def test_a_qa_member_writes_the_chair_publishes_and_a_viewer_checks_the_fingerprint(
    page, journey, tmp_path
):
    base_url, audit = journey

    # A QA member writes the briefing.
    log_in(page, base_url, "qa")
    page.goto(f"{base_url}/audits/{audit.pk}/findings/")
    expect(page.get_by_role("heading", name="Write the briefing", level=1)).to_be_visible()
    # Marks this page: if anything below loaded a new page, the mark would be gone.
    page.evaluate("window.sameDocument = true")

    case1 = page.get_by_role("region", name="Case 1")
    case2 = page.get_by_role("region", name="Case 2")
    add_item(
        page,
        case1,
        "Add a finding",
        "Finding",
        "The move to a new area ended the plan.",
        tag="voice of the child",
    )
    expect(page.get_by_role("region", name="Case 1")).to_contain_text(
        "The move to a new area ended the plan."
    )
    add_item(page, case2, "Add a finding", "Finding", "No one saw the baby for six weeks.")
    expect(page.get_by_role("region", name="Case 2")).to_contain_text(
        "No one saw the baby for six weeks."
    )

    recommendations = page.locator("#list-recommendation")
    add_item(
        page,
        recommendations,
        "Add a recommendation",
        "Recommendation",
        "Check that a child has been seen before closing a case.",
        cases=("Case 1", "Case 2"),
    )
    items = page.locator("#list-recommendation li.list-group-item")
    expect(items).to_have_count(2)
    expect(items.nth(1)).to_contain_text("Check that a child has been seen before closing")
    expect(items.nth(1)).to_contain_text("Seen in Case 1, Case 2")
    assert page.evaluate("window.sameDocument === true")
    assert axe_violations(page) == []

    # Move the first recommendation down with the keyboard alone.
    first = items.nth(0)
    first.get_by_role("button", name="Move down recommendation 1", exact=True).focus()
    page.keyboard.press("Enter")
    expect(items.nth(0)).to_contain_text("Check that a child has been seen before closing")
    expect(items.nth(1)).to_contain_text("Agree who leads when a family moves area.")
    assert page.evaluate("window.sameDocument === true")

    stored = list(Recommendation.objects.filter(audit=audit).order_by("order", "id"))
    assert [r.text for r in stored] == [
        "Check that a child has been seen before closing a case.",
        "Agree who leads when a family moves area.",
    ]
    assert sorted(c.label for c in stored[0].cases.all()) == ["Case 1", "Case 2"]
    tagged = Finding.objects.get(text="The move to a new area ended the plan.")
    assert [t.name for t in tagged.tags.all()] == ["voice of the child"]
    assert set(Finding.objects.filter(case__audit=audit).values_list("case__label", flat=True)) == {
        "Case 1",
        "Case 2",
    }

    page.get_by_role("link", name="Preview the draft briefing").click()
    expect(page).to_have_title(
        "Draft, not published · Multi Agency Case Audit: Neglect and housing · MACA"
    )
    expect(page.get_by_text("Draft — not yet published")).to_be_visible()
    findings = page.get_by_role("heading", name="Findings identified per case")
    expect(findings).to_be_visible()
    expect(page.locator("main")).to_contain_text("No one saw the baby for six weeks.")
    assert axe_violations(page) == []
    body = page.locator("main").inner_text()
    assert body.index("Check that a child has been seen") < body.index("Agree who leads")
    page.go_back()
    log_out(page)

    # The chair publishes it.
    log_in(page, base_url, "chair")
    page.goto(f"{base_url}/audits/{audit.pk}/briefing/versions/")
    expect(page.get_by_text("Nothing published yet.")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Publish the briefing").first.click()
    expect(page.get_by_role("button", name="Publish version 1")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 of the briefing is published.")
    assert axe_violations(page) == []
    log_out(page)

    # A viewer downloads version 1 and checks its fingerprint.
    log_in(page, base_url, "viewer")
    page.goto(f"{base_url}/audits/{audit.pk}/briefing/versions/")
    expect(page.get_by_role("heading", name="Published briefings")).to_be_visible()
    expect(page.get_by_role("link", name="Publish the briefing")).to_have_count(0)
    assert axe_violations(page) == []
    row = page.get_by_role("row").filter(has_text="Version 1")
    fingerprint = row.locator("code.sha").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint)
    with page.expect_download() as download_info:
        row.get_by_role("link", name="PDF of version 1").click()
    download = download_info.value
    assert download.suggested_filename == "neglect-and-housing-briefing-v1.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF")
    assert hashlib.sha256(data).hexdigest() == fingerprint
    text = pdf_text(data, tmp_path)
    assert "OFFICIAL-SENSITIVE" in text
    assert "Version 1" in text
    assert "No one saw the baby for six weeks." in text

    # The viewer checks the downloaded copy on the page instead of by hand.
    page.get_by_label("A copy of the briefing or 7-minute briefing (PDF)").set_input_files(saved)
    page.get_by_role("button", name="Check the copy").click()
    expect(page.get_by_role("status")).to_contain_text(
        "This copy is version 1 of the briefing, published"
    )
    assert axe_violations(page) == []


def test_a_qa_member_records_who_came_and_the_meeting_date_survives(page, journey):
    import datetime

    base_url, audit = journey
    audit.meeting_date = datetime.date(2027, 2, 10)
    audit.save()
    log_in(page, base_url, "qa")
    page.goto(f"{base_url}/audits/{audit.pk}/meeting/")
    expect(page.get_by_label("Date of the meeting")).to_have_value("2027-02-10")
    page.get_by_label("Name, row 1").fill("A. Officer")  # the attendee table is there to use
    page.get_by_label("Role, row 1").fill("Detective Sergeant")
    assert page.get_by_label("Name, row 1").bounding_box()["width"] > 100
    assert axe_violations(page) == []
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.get_by_role("status")).to_have_text("The meeting record was saved.")
    expect(page.get_by_label("Name, row 1")).to_have_value("A. Officer")
    expect(page.get_by_label("Date of the meeting")).to_have_value("2027-02-10")
    audit.refresh_from_db()
    assert audit.meeting_date == datetime.date(2027, 2, 10)
    assert audit.meeting_attendees.get().name == "A. Officer"


def test_each_items_buttons_say_which_item_and_its_number_sits_beside_its_text(page, journey):
    """A screen reader user hears "Edit finding 1 of Case 2", never the same "Edit item 1"
    for every list; and an item's number is on the same line as its text."""
    from findings.models import GoodPractice, Strength

    base_url, audit = journey
    audit.include_good_practice = True
    audit.save()
    housing = audit.agencies.get()
    case1, case2 = audit.cases.order_by("order")
    for case in (case1, case2):
        Finding.objects.create(case=case, text=f"A finding in {case.label}.", order=1)
        Strength.objects.create(case=case, text=f"A strength in {case.label}.", order=1)
    long_text = "The housing officer visited every week and wrote down what the child said. " * 3
    Strength.objects.create(case=case1, agency=housing, text=long_text, order=2)
    GoodPractice.objects.create(audit=audit, text="Joint visits.", order=1)

    log_in(page, base_url, "qa")
    page.goto(f"{base_url}/audits/{audit.pk}/findings/")
    for name in (
        "Edit finding 1 of Case 2",
        "Delete strength 2 of Case 1",
        "Move down strength 1 of Case 1",
        "Move up recommendation 1",
        "Edit good practice 1",
    ):
        role = "button" if name.startswith("Move") else "link"  # Edit and Delete open pages
        expect(page.get_by_role(role, name=name, exact=True)).to_have_count(1)
    names = page.locator(".item-actions").get_by_role("button").all()
    names += page.locator(".item-actions").get_by_role("link").all()
    spoken = [element.text_content().strip() for element in names]
    assert len(spoken) == len(set(spoken)) == 7 * 4  # seven items, four buttons each

    item = page.get_by_role("region", name="Case 1").locator("li.list-group-item").nth(1)
    expect(item).to_contain_text("Housing Trust:")
    tops = item.evaluate(
        """li => ({li: li.getBoundingClientRect().top,
                  text: li.querySelector('.item-agency').getBoundingClientRect().top})"""
    )
    # The text starts on the item's first line, where its number is, not on a line below it.
    assert tops["text"] - tops["li"] < 16, tops


def test_the_chair_reads_what_changed_since_version_one_before_publishing_again(page, journey):
    from findings import publishing

    base_url, audit = journey
    chair = audit.partnership.memberships.get(role=Role.CHAIR).user
    publishing.briefing_publish(audit=audit, user=chair)
    recommendation = Recommendation.objects.get(audit=audit)
    recommendation.text = "Agree in writing who leads when a family moves area."
    recommendation.save()

    log_in(page, base_url, "chair")
    page.goto(f"{base_url}/audits/{audit.pk}/briefing/publish/")
    page.get_by_role("link", name="See what changed since version 1").click()
    expect(page.get_by_role("heading", name="Changes from version 1 to the draft")).to_be_visible()
    change = page.locator("li.change-reworded")
    expect(change).to_contain_text("Reworded:")
    expect(change.locator("ins")).to_have_text("[added: in writing]")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []


def test_forms_left_open_keep_what_was_typed_while_another_change_is_saved(page, journey):
    base_url, audit = journey
    log_in(page, base_url, "qa")
    page.goto(f"{base_url}/audits/{audit.pk}/findings/")
    page.evaluate("window.sameDocument = true")
    case1 = page.get_by_role("region", name="Case 1")
    case2 = page.get_by_role("region", name="Case 2")
    recommendations = page.locator("#list-recommendation")

    case2.get_by_role("link", name="Add a finding").click()
    half_written = case2.locator("form.item-form").get_by_role("textbox", name=re.compile("^Find"))
    half_written.fill("The school nurse was not asked")
    recommendations.get_by_role("link", name=re.compile("^Edit")).first.click()
    half_edited = recommendations.locator("form.item-form").get_by_role("textbox").first
    half_edited.fill("Agree who leads when a family moves,")

    case1.get_by_role("link", name="Add a strength").click()
    case1.locator("form.item-form").get_by_role("textbox").first.fill("Quick referral.")
    case1.locator("form.item-form").get_by_role("button", name="Save").click()
    half_written.focus()  # back to the other form while the save is on its way
    expect(page.locator("#messages")).to_have_text("The strength was added.")
    expect(case1).to_contain_text("Quick referral.")
    expect(half_written).to_be_focused()  # still there, not sent to the item just added
    # Both forms still open, with what was typed in them.
    expect(half_written).to_have_value("The school nurse was not asked")
    expect(half_edited).to_have_value("Agree who leads when a family moves,")
    assert axe_violations(page) == []

    # And each is still saved in place.
    half_written.fill("The school nurse was not asked.")
    case2.locator("form.item-form").get_by_role("button", name="Save").click()
    expect(case2).to_contain_text("The school nurse was not asked.")
    expect(half_edited).to_have_value("Agree who leads when a family moves,")
    assert page.evaluate("window.sameDocument === true")
    assert Finding.objects.filter(text="The school nurse was not asked.").exists()


def test_the_published_versions_fit_the_page_with_their_fingerprints(page, journey):
    """The 64-character fingerprint wraps, so the 7-minute briefing's links, in the last column,
    are in view on a desktop screen rather than off the edge of a table that scrolls."""
    from findings import publishing
    from findings.models import SevenMinuteBriefing

    base_url, audit = journey
    chair = audit.partnership.memberships.get(role=Role.CHAIR).user
    SevenMinuteBriefing.objects.create(audit=audit, background="Why we looked at this theme.")
    publishing.briefing_publish(audit=audit, user=chair)

    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base_url, "chair")
    page.goto(f"{base_url}/audits/{audit.pk}/briefing/versions/")
    link = page.get_by_role("link", name="Word of the 7-minute briefing, version 1")
    expect(link).to_be_in_viewport()
    box = page.locator(".table-responsive").first
    assert box.evaluate("box => box.scrollWidth <= box.clientWidth")
