"""On a 390 px phone no page scrolls sideways: a chair's and a co-ordinator's walk through the
demo's pages, with axe on the pages where people act."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import Audit
from maca.models import Membership, User

from .conftest import axe_violations, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(live_server):
    load_demo()
    return live_server.url


def log_in(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Audits", level=1)).to_be_visible()


def chair_pages() -> list[tuple[str, bool]]:
    """(path, check with axe) for the chair's walk."""
    closed = Audit.objects.get(theme__name="Neglect and housing", reaudit_of__isnull=True)
    working = Audit.objects.exclude(pk=closed.pk).filter(cases__isnull=False).first()
    case = closed.cases.first()
    agency = case.agencies.first() or closed.agencies.first()
    action = closed.actions.first()
    pages = [
        (reverse("home"), True),
        (reverse("audit_detail", args=[closed.pk]), True),
        (reverse("briefing_html", args=[closed.pk]), False),
        (reverse("briefing_version", args=[closed.pk, 1]), False),
        (reverse("briefing_versions", args=[closed.pk]), True),
        (reverse("meeting", args=[closed.pk]), True),
        (reverse("audit_members", args=[closed.pk]), True),
        (reverse("progress", args=[closed.pk]), True),
        (reverse("case_detail", args=[closed.pk, case.pk]), False),
        (reverse("agency_chronology", args=[closed.pk, case.pk, agency.pk]), False),
        (reverse("tool_answer", args=[closed.pk, case.pk, agency.pk]), False),
        (reverse("nomination_list", args=[closed.pk]), False),
        (reverse("audit_actions", args=[closed.pk]), False),
        (reverse("action_plan"), False),
        (reverse("action_detail", args=[action.pk]), False),
        # Its table scrolls inside its box on a phone: made a focusable region with the rest.
        (reverse("access_log"), False),
    ]
    if working is not None:
        pages += [
            (reverse("audit_detail", args=[working.pk]), False),
            (reverse("authoring", args=[working.pk]), False),
            (reverse("briefing_layout", args=[working.pk]), False),
            (reverse("briefing_publish", args=[working.pk]), True),
            (reverse("case_labels", args=[working.pk]), True),
        ]
    return pages


def too_wide(page) -> int | None:
    width = page.evaluate("document.documentElement.scrollWidth")
    return width if width > PHONE["width"] else None


def table_scrolls(page) -> bool:
    """Whether a table scrolls sideways inside its box (the page itself may not)."""
    return page.evaluate(
        "[...document.querySelectorAll('.table-responsive')]"
        ".some(box => box.scrollWidth > box.clientWidth)"
    )


def test_no_page_scrolls_sideways_on_a_phone(page, demo):
    page.set_viewport_size(PHONE)
    log_in(page, demo, "chair")
    wide, violations = {}, {}
    for path, with_axe in chair_pages():
        response = page.goto(demo + path)
        assert response.status == 200, path
        if width := too_wide(page):
            wide[path] = width
        if path == reverse("home") and table_scrolls(page):
            wide["home's audit table"] = "scrolls"
        if with_axe and (found := axe_violations(page)):
            violations[path] = found
    # A co-ordinator's home page, with their tasks first.
    page.context.clear_cookies()
    coordinator = User.objects.filter(memberships__role="coordinator").first()
    log_in(page, demo, coordinator.username)
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    if width := too_wide(page):
        wide["home (co-ordinator)"] = width
    assert wide == {}
    assert violations == {}


def test_the_reaudit_comparison_does_not_scroll_sideways_on_a_phone(page, live_server):
    """An agency with a long name beside averaged grades ("Between requires improvement and
    inadequate") is wider than a phone: the grades table scrolls in its own box, not the page."""
    from cases.models import AgencySubmission, Grade, ToolAnswer
    from cases.services.reaudit import reaudit_schedule

    from .conftest import member
    from .factories import (
        PASSWORD,
        AgencyFactory,
        AuditFactory,
        CaseFactory,
        ToolQuestionFactory,
        ToolSectionFactory,
    )

    original = AuditFactory(theme__name="Neglect of adolescents")
    agency = AgencyFactory(name="Northshire Youth Justice Service")
    original.agencies.add(agency)
    section = ToolSectionFactory(audit=original, title="Management oversight and supervision")
    first, second = (ToolQuestionFactory(section=section, text=t) for t in ("Seen?", "Heard?"))
    case = CaseFactory(audit=original, label="Case 1", order=1)
    submission = AgencySubmission.objects.create(
        case=case, agency=agency, status=AgencySubmission.Status.SUBMITTED
    )
    ToolAnswer.objects.create(
        submission=submission, question=first, grade=Grade.REQUIRES_IMPROVEMENT
    )
    ToolAnswer.objects.create(submission=submission, question=second, grade=Grade.INADEQUATE)
    original.move_to(Audit.Status.CLOSED)
    original.save()
    chair = member(original, Membership.Role.CHAIR, username="chair")
    reaudit, _ = reaudit_schedule(original=original, user=chair, meeting_date=None)

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("chair")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + reverse("comparison", args=[reaudit.pk]))
    expect(page.get_by_text("Between requires improvement and inadequate")).to_be_visible()
    assert too_wide(page) is None
    assert table_scrolls(page)


def test_the_meetings_attendees_stack_with_their_labels_on_a_phone(page, demo):
    reporting = Audit.objects.get(theme__name="Child exploitation")
    page.set_viewport_size(PHONE)
    log_in(page, demo, "chair")
    page.goto(demo + reverse("meeting", args=[reporting.pk]))
    name = page.get_by_label("Name, row 1")
    expect(name).to_be_visible()
    assert name.bounding_box()["width"] > 300  # not a box a few letters wide
    role = page.get_by_label("Role, row 1").bounding_box()
    assert role["y"] > name.bounding_box()["y"]  # under it, not beside it
    expect(page.locator(".attendee-table label", has_text="Agency, row 1")).to_be_visible()
    assert too_wide(page) is None and not table_scrolls(page)
    assert axe_violations(page) == []


def test_a_refused_attendee_row_is_marked_as_any_refused_field_is(page, demo):
    reporting = Audit.objects.get(theme__name="Child exploitation")
    log_in(page, demo, "chair")
    page.goto(demo + reverse("meeting", args=[reporting.pk]))
    last = page.locator(".attendee-table tbody tr").count()
    page.get_by_label(f"Role, row {last}").fill("Designated nurse")
    page.get_by_role("button", name="Save the meeting record").click()
    name = page.get_by_label(f"Name, row {last}")
    reason = page.locator(".attendee-table .errorlist").first
    expect(reason).to_be_visible()
    assert name.get_attribute("aria-invalid") == "true"
    red = "rgb(176, 42, 55)"  # the red of every refused box and its reason (maca.css)
    assert name.evaluate("box => getComputedStyle(box).borderTopColor") == red
    assert reason.evaluate("list => getComputedStyle(list).color") == red
    assert reason.evaluate("list => getComputedStyle(list).listStyleType") == "none"


def test_remove_and_withdraw_are_on_screen_on_a_phone_without_scrolling_a_table(page, demo):
    """The People and Members pages' tables scroll sideways inside their box on a phone: the
    links that act on a row are in its first column, on screen as the page opens."""
    from maca.invitations import invitation_issue
    from maca.models import Partnership

    closed = Audit.objects.get(theme__name="Neglect and housing", reaudit_of__isnull=True)
    partnership = Partnership.objects.get(pk=closed.partnership_id)
    invitation_issue(
        email="new.member@example.org",
        partnership=partnership,
        role=Membership.Role.VIEWER,
        agency=None,
        invited_by=User.objects.get(username="admin"),
    )
    page.set_viewport_size(PHONE)
    pages = {
        "admin": reverse("partnership_people", args=[partnership.pk]),
        "chair": reverse("audit_members", args=[closed.pk]),
    }
    for username, path in pages.items():
        page.context.clear_cookies()
        log_in(page, demo, username)
        page.goto(demo + path)
        links = page.get_by_role("link", name="Remove").or_(
            page.get_by_role("button", name="Withdraw")
        )
        assert links.count() > 1, path
        for each in links.all():
            box = each.bounding_box()
            assert box["x"] + box["width"] <= PHONE["width"], (path, each.inner_text())
