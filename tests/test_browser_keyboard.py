"""A QA member's day with the keyboard alone: sign in, open an audit, write a finding and read
the briefing, with the focus visible at every stop."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import axe_violations, console_errors, load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80

FOCUS_STYLE = r"""() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const ring = style.boxShadow && style.boxShadow !== 'none';
  return {
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '')
      .replace(/\s+/g, ' ').trim(),
    label: el.labels && el.labels[0] ? el.labels[0].innerText.trim() : '',
    tag: el.tagName, visible: outline || ring,
  };
}"""


@pytest.fixture
def demo(live_server):
    load_demo()
    return live_server.url


def tab_to(page, name: str) -> None:
    """Press Tab until the focused element is called `name` (unless it already has the focus);
    every stop must show its focus."""
    for tabs in range(MAX_TABS):
        if tabs:
            page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_STYLE)
        if focused is None:
            continue
        assert focused["visible"], f"no visible focus on {focused}"
        if name in (focused["text"], focused["label"].rstrip("*")):
            return
    raise AssertionError(f"{name!r} is not reachable with Tab")


def test_a_qa_member_writes_a_finding_with_the_keyboard_alone(page, demo):
    errors = console_errors(page)
    page.goto(f"{demo}/")
    tab_to(page, "Username")
    page.keyboard.type("qa")
    tab_to(page, "Password")
    page.keyboard.type("demo")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Audits")).to_be_visible()

    tab_to(page, "Child exploitation")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Child exploitation", level=1)).to_be_visible()

    tab_to(page, "Write the briefing")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Write the briefing", level=1)).to_be_visible()

    tab_to(page, "Add a finding for Case A")
    page.keyboard.press("Enter")
    finding = page.locator("form.item-form").get_by_role("textbox", name=re.compile(r"^Finding"))
    expect(finding).to_be_focused()  # the inline form takes the focus where it opens
    page.keyboard.type("Nobody asked the young person where they spent the weekend.")
    tab_to(page, "Save")
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Nobody asked the young person where they spent the weekend.")
    ).to_be_visible()
    # The focus stays with what was just written, not at the top of the case, and the page's
    # message area, read out by a screen reader as it changes, says it was added.
    expect(page.get_by_role("link", name="Edit finding 2 of Case A")).to_be_focused()
    expect(page.locator("#messages[aria-live=polite]")).to_have_text("The finding was added.")
    assert axe_violations(page) == []

    tab_to(page, "Preview the draft briefing")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Nobody asked the young person where they spent")).to_be_visible()
    assert axe_violations(page) == []
    assert errors == []
