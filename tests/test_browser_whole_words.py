"""Words stay whole on a phone: a table's column is never narrower than its longest word, and
the 7-minute briefing's logo does not squeeze the partnership's name. The composite action plan
once showed each action a letter or two a line, and the home page's headings read "Meetin g"."""

import pytest
from django.urls import reverse

from cases.models import Audit

from .conftest import load_demo
from .test_browser_phone import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The words (three letters or more, with no hyphen or slash to break at) of the text inside
# `selector` that the browser has drawn over two lines or more.
SPLIT_WORDS = """selector => {
  const split = [];
  for (const box of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      for (const match of node.data.matchAll(/[^\\s\\-\\u2010-\\u2015/]{3,}/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set([...range.getClientRects()]
          .filter(rect => rect.width > 0).map(rect => Math.round(rect.top)));
        if (tops.size > 1) split.push(match[0]);
      }
    }
  }
  return [...new Set(split)];
}"""


@pytest.fixture
def demo(live_server):
    load_demo()
    return live_server.url


def test_table_words_are_never_split_on_a_phone_or_a_desktop(page, demo):
    closed = Audit.objects.get(theme__name="Neglect and housing", reaudit_of__isnull=True)
    case = closed.cases.order_by("label").first()
    log_in(page, demo, "chair")
    split = {}
    for width in (PHONE["width"], 1280):
        page.set_viewport_size({"width": width, "height": PHONE["height"]})
        for path in (
            reverse("home"),
            reverse("action_plan"),
            reverse("audit_detail", args=[closed.pk]),
            reverse("audit_members", args=[closed.pk]),
            reverse("case_detail", args=[closed.pk, case.pk]),
        ):
            page.goto(demo + path)
            if words := page.evaluate(SPLIT_WORDS, "table, .stage-tag"):
                split[f"{path} at {width}px"] = words
    assert split == {}
    # The plan's first action reads as words, not a column of letters.
    page.set_viewport_size(PHONE)
    page.goto(demo + reverse("action_plan"))
    first = page.locator("table tbody tr").first.get_by_role("link").first
    assert first.bounding_box()["width"] > 60


def test_the_seven_minute_briefings_partnership_name_keeps_its_words_on_a_phone(page, demo):
    closed = Audit.objects.get(theme__name="Neglect and housing", reaudit_of__isnull=True)
    page.set_viewport_size(PHONE)
    log_in(page, demo, "chair")
    page.goto(demo + reverse("seven_minute", args=[closed.pk]))
    assert page.locator(".seven-head .partnership-logo").is_visible()
    assert page.evaluate(SPLIT_WORDS, ".seven-head .partnership") == []


def test_the_main_menu_keeps_its_words_whole_from_a_phone_to_a_desktop(page, demo):
    """The menu once squeezed onto one line at a tablet's width, "Audi ts" and "Learni ng"."""
    log_in(page, demo, "admin")  # the partnership's administrator: a menu item more
    split = {}
    for width in (PHONE["width"], 768, 820, 992, 1024, 1280):
        page.set_viewport_size({"width": width, "height": PHONE["height"]})
        page.goto(demo + reverse("home"))
        toggler = page.get_by_role("button", name="Show menu")
        if toggler.is_visible():
            toggler.click()
            page.locator("#main-nav.show").wait_for()
        if words := page.evaluate(SPLIT_WORDS, "nav[aria-label=Main]"):
            split[f"{width}px"] = words
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert split == {}
