"""Idle sign-out in a real browser: typing keeps the session, reading gets a warning first."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Audit
from maca.models import Membership

from .conftest import axe_violations, member
from .factories import PASSWORD, CaseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IDLE_SECONDS = 6


def test_typing_keeps_the_session_alive_and_reading_is_warned_first(page, live_server, settings):
    from .factories import AuditFactory

    settings.SESSION_COOKIE_AGE = IDLE_SECONDS
    settings.SESSION_REFRESH_SECONDS = 0
    audit = AuditFactory(status=Audit.Status.MEETING)
    CaseFactory(audit=audit, label="Case 1")
    qa = member(audit, Membership.Role.QA_MEMBER, username="qa")
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(qa.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/audits/{audit.pk}/meeting/")

    # Typing for longer than the idle limit, then saving: still signed in, nothing lost.
    summary = page.get_by_label("Learning summary")
    for word in ["Housing", "and", "social", "care", "must", "plan", "evictions", "together"]:
        summary.press_sequentially(word + " ")
        page.wait_for_timeout(1000)
    page.get_by_role("button", name="Save the meeting record").click()
    expect(page.get_by_role("status")).to_have_text("The meeting record was saved.")
    audit.refresh_from_db()
    assert audit.meeting_record.learning_summary.startswith("Housing and social care")

    # Only reading, scrolled down the page: a warning shortly before the end, on screen and with
    # the focus on the way to stay; staying gives the focus back to where it was.
    page.get_by_role("button", name="Save the meeting record").focus()
    warning = page.get_by_role(
        "alertdialog", name=re.compile(r"^You will be signed out in \d seconds? \(at \d\d:\d\d\)")
    )
    expect(warning).to_be_visible(timeout=IDLE_SECONDS * 1000)
    expect(warning).to_be_in_viewport()
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(warning).to_have_count(0)
    expect(page.get_by_role("button", name="Save the meeting record")).to_be_focused()
    page.reload()
    expect(page.get_by_role("heading", name="Multi-agency meeting")).to_be_visible()


def test_the_warning_says_when_and_the_signed_out_message_leads_to_sign_in(
    page, live_server, settings
):
    from .factories import AuditFactory

    settings.SESSION_COOKIE_AGE = 30 * 60
    audit = AuditFactory(status=Audit.Status.MEETING)
    qa = member(audit, Membership.Role.QA_MEMBER, username="qa")
    page.clock.install()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(qa.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/audits/{audit.pk}/")

    # Two minutes before the end of 30 minutes' reading, the warning says how long is left.
    page.clock.fast_forward("28:00")
    warning = page.get_by_role(
        "alertdialog",
        name=re.compile(
            r"^You will be signed out in 2 minutes \(at \d\d:\d\d\) because nothing has been "
            r"sent for a while\.$"
        ),
    )
    expect(warning).to_be_visible()
    assert axe_violations(page) == []

    # Signed out: the message leads to the sign-in page, which this page has no link to.
    page.clock.fast_forward("02:01")
    signed_out = page.get_by_role("alertdialog", name=re.compile(r"^You have been signed out"))
    expect(signed_out).to_be_visible()
    sign_in = signed_out.get_by_role("link", name="Sign in again in a new tab")
    expect(sign_in).to_be_focused()
    expect(sign_in).to_have_attribute("href", f"/login/?next=%2Faudits%2F{audit.pk}%2F")
    expect(sign_in).to_have_attribute("target", "_blank")
    assert axe_violations(page) == []
