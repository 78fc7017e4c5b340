"""The keyboard focus is always visible and never lost: every stop of a Tab walk through the kinds
of page (sign-in, lists with filters, forms with selects, checkboxes and radios, the phone menu)
has a ring with at least 3:1 contrast against what is around it, and after an in-page (htmx)
update the focus is on what changed, never on <body>."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from cases.models import Audit, ChronologyEntry
from maca.models import User

from .conftest import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STOPS_PER_PAGE = 30

# The focused element's ring: each of its colours (the outline, the box-shadow) against the
# background behind the element, as contrast ratios (WCAG's relative luminance).
RING_CONTRAST = r"""() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  document.getAnimations().forEach(a => a.finish());  // the ring as it ends up, not mid-transition
  const parse = text => {
    const colour = text && text.match(/rgba?\([^)]*\)/);
    if (!colour) return null;
    const [r, g, b, a] = colour[0].match(/[\d.]+/g).map(Number);
    return [r, g, b, a === undefined ? 1 : a];
  };
  let background = [255, 255, 255, 1];
  for (let node = el.parentElement; node; node = node.parentElement) {
    const colour = parse(getComputedStyle(node).backgroundColor);
    if (colour && colour[3] > 0) { background = colour; break; }
  }
  const over = (c, b) => c.slice(0, 3).map((v, i) => v * c[3] + b[i] * (1 - c[3]));
  const luminance = c => {
    const linear = v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    const [r, g, b] = c.map(v => linear(v / 255));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const style = getComputedStyle(el);
  const rings = [];
  const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  if (outlined) rings.push(parse(style.outlineColor));
  if (style.boxShadow && style.boxShadow !== 'none') rings.push(parse(style.boxShadow));
  const behind = background.slice(0, 3);
  const best = Math.max(0, ...rings.filter(Boolean).map(c => ratio(over(c, behind), behind)));
  const name = (el.innerText || el.getAttribute('aria-label') || el.name || el.id || '').trim();
  return {what: `${el.tagName.toLowerCase()} ${name.slice(0, 40)}`, contrast: best};
}"""

# The focused element on screen once the page has stopped scrolling, waited for up to five
# seconds: a smooth scroll starts after htmx settles, later on a busy machine.
FOCUS_IN_VIEW_ONCE_STILL = """async () => {
  const inView = () => {
    const box = document.activeElement.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
  };
  const deadline = performance.now() + 5000;
  let last = null, still = 0;
  while (performance.now() < deadline) {
    await new Promise(done => requestAnimationFrame(done));
    still = window.scrollY === last ? still + 1 : 0;
    last = window.scrollY;
    if (still >= 5 && inView()) return true;
  }
  return false;
}"""


@pytest.fixture
def demo(live_server):
    load_demo()
    return live_server.url


def sign_in(context, base_url, username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    host = base_url.split("//")[1].split(":")[0]
    context.add_cookies(
        [
            {"name": name, "value": morsel.value, "domain": host, "path": "/"}
            for name, morsel in client.cookies.items()
        ]
    )


def faint_rings(page) -> list[str]:
    """Tab from the top of the page; every stop whose ring is under 3:1."""
    faint = []
    page.locator("body").focus()
    for _ in range(STOPS_PER_PAGE):
        page.keyboard.press("Tab")
        focused = page.evaluate(RING_CONTRAST)
        if focused is None:
            break
        if focused["contrast"] < 3:
            faint.append(f"{page.url}: {focused['what']} ({focused['contrast']:.2f}:1)")
    return faint


def test_every_focus_ring_stands_out_at_desktop_and_phone_widths_and_the_briefing_reflows(
    browser, demo
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{demo}/login/")
    faint = faint_rings(page)  # fields and a button on the plain page
    sign_in(context, demo, "chair")
    for path in ["/", "/actions/", "/audits/new/"]:  # the menu, filters and selects, a form
        page.goto(demo + path)
        faint += faint_rings(page)
    choice = page.get_by_role("checkbox").or_(page.get_by_role("radio")).first
    choice.focus()  # a checkbox or radio further down the form than the walk goes
    focused = page.evaluate(RING_CONTRAST)
    if focused["contrast"] < 3:
        faint.append(f"{focused['what']} ({focused['contrast']:.2f}:1)")

    page.set_viewport_size({"width": 390, "height": 800})  # the menu behind its button
    page.goto(demo + "/")
    page.get_by_role("button", name="Show menu").click()
    expect(page.get_by_role("link", name="Action plan", exact=True)).to_be_visible()
    faint += faint_rings(page)
    # Escape, from one of its links, closes the menu and gives the focus back to its button.
    page.get_by_role("link", name="Action plan", exact=True).focus()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Show menu")).to_be_focused()
    expect(page.get_by_role("button", name="Show menu")).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("link", name="Action plan", exact=True)).to_be_hidden()

    # The briefing at 320 px: its links wrap rather than run off the side, and the first Tab stop
    # skips them to the briefing.
    page.set_viewport_size({"width": 320, "height": 800})
    closed = Audit.objects.get(theme__name="Neglect and housing", reaudit_of__isnull=True)
    page.goto(f"{demo}/audits/{closed.pk}/briefing/")
    links = page.get_by_role("navigation", name="Briefing")
    assert page.evaluate("nav => nav.getBoundingClientRect().right", links.element_handle()) <= 320
    assert page.evaluate("nav => nav.scrollWidth <= nav.clientWidth", links.element_handle())
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the briefing")).to_be_focused()
    faint += [] if page.evaluate(RING_CONTRAST)["contrast"] >= 3 else ["skip link"]
    page.keyboard.press("Enter")
    expect(page.locator("main#briefing")).to_be_focused()
    context.close()
    assert not faint, "\n".join(faint)


def test_the_focus_follows_inline_edits_and_is_never_dropped(browser, demo):
    entry = ChronologyEntry.objects.filter(agency__name="Housing").select_related("case").first()
    case = entry.case
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    sign_in(context, demo, "housing")
    page = context.new_page()
    page.goto(
        f"{demo}/audits/{case.audit_id}/cases/{case.pk}/agencies/{entry.agency_id}/chronology/"
    )

    # Edit a row in place: the form's first field takes the focus; an error keeps it in the form.
    row = page.locator(f"#entry-{entry.pk}")
    row.get_by_role("link", name="Edit").focus()
    page.keyboard.press("Enter")
    form = row.get_by_role("form", name="Edit the row")
    expect(form).to_be_visible()
    expect(form.locator(":focus")).to_have_count(1)  # retried: the focus moves once htmx settles
    form.get_by_role("textbox", name=re.compile(r"^Event")).fill("")
    form.get_by_role("button", name="Save row").press("Enter")
    expect(form.locator(".is-invalid").first).to_be_visible()
    expect(form.locator(":focus")).to_have_count(1)
    assert page.evaluate(FOCUS_IN_VIEW_ONCE_STILL), "the focus went off the screen"
    # Saved: back to the row, on its Edit link.
    form.get_by_role("textbox", name=re.compile(r"^Event")).fill(
        "Tenancy visit; the family were not at home."
    )
    form.get_by_role("button", name="Save row").press("Enter")
    expect(row.get_by_role("link", name="Edit")).to_be_focused()
    assert page.evaluate(FOCUS_IN_VIEW_ONCE_STILL), "the focus went off the screen"
    expect(row).to_contain_text("Tenancy visit; the family were not at home.")
    expect(page.locator("#messages")).to_have_text("Row saved.")

    # A briefing item's inline form sent back with an error: the focus is on the error summary.
    sign_in(context, demo, "qa")
    reporting = Audit.objects.get(theme__name="Child exploitation")
    page.goto(f"{demo}/audits/{reporting.pk}/findings/")
    page.get_by_role("link", name="Add a strength").first.press("Enter")
    item_form = page.locator("form.item-form")
    expect(item_form).to_be_visible()
    expect(item_form.locator(":focus")).to_have_count(1)  # htmx has settled the new form
    item_form.get_by_role("button", name="Save").press("Enter")
    expect(item_form.get_by_role("alert")).to_be_focused()
    context.close()


def test_closing_an_add_form_gives_the_focus_back_to_the_link_that_opened_it(browser, demo):
    reporting = Audit.objects.get(theme__name="Child exploitation")
    last_case = reporting.cases.order_by("label").last().label
    context = browser.new_context(viewport={"width": 390, "height": 800})
    sign_in(context, demo, "qa")
    page = context.new_page()
    page.goto(f"{demo}/audits/{reporting.pk}/findings/")
    # The last case's form, far down the page from the first case's links.
    opener = page.get_by_role("link", name=f"Add a finding for {last_case}")
    opener.focus()
    page.keyboard.press("Enter")
    item_form = page.locator("form.item-form")
    expect(item_form.locator(":focus")).to_have_count(1)  # htmx has settled the new form
    item_form.get_by_role("link", name="Cancel").focus()
    page.keyboard.press("Enter")
    expect(item_form).to_have_count(0)
    # Back where it was, on the same link, and on screen: not on the first case's first link.
    expect(page.get_by_role("link", name=f"Add a finding for {last_case}")).to_be_focused()
    assert page.evaluate(FOCUS_IN_VIEW_ONCE_STILL), "the focus went off the screen"
    context.close()
