"""A session that ends while someone is typing, in a real browser: the whole page goes to the
sign-in page (never the sign-in form inside part of a page), says why, and after signing in the
text that was typed is offered back; MACA's error pages pass axe."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from cases.models import Audit

from .conftest import axe_violations, console_errors
from .test_browser import demo  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TYPED = "The health visitor was not told that the family had moved."


def sign_in_here(page, username="qa"):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()


def test_text_typed_when_the_session_ended_is_offered_back_after_signing_in(page, demo):  # noqa: F811
    errors = console_errors(page)
    audit = Audit.objects.get(theme__name="Child exploitation")
    authoring = f"{demo}/audits/{audit.pk}/findings/"
    page.goto(authoring)
    sign_in_here(page)
    expect(page).to_have_url(authoring)

    # A page part (htmx): the inline form's Save meets an ended session.
    page.get_by_role("link", name="Add a finding").first.click()
    page.locator("form.item-form").get_by_role("textbox", name=re.compile(r"^Finding")).fill(TYPED)
    Session.objects.all().delete()
    page.locator("form.item-form").get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Sign in to MACA")).to_be_visible()
    expect(page.get_by_text("You were signed out because MACA was not used")).to_be_visible()
    assert axe_violations(page) == []
    sign_in_here(page)
    expect(page).to_have_url(authoring)
    kept = page.get_by_role("region", name="What you typed before you were signed out")
    expect(kept.get_by_role("textbox", name=re.compile(r"^Finding"))).to_have_value(TYPED)
    assert axe_violations(page) == []
    kept.get_by_role("button", name="Discard it").click()
    expect(kept).to_have_count(0)

    # A whole-page form: back on the same form after signing in, and the text goes back in.
    case = audit.cases.order_by("label").first()
    form_page = f"{demo}/audits/{audit.pk}/findings/finding/new/?case={case.pk}"
    page.goto(form_page)
    page.get_by_role("textbox", name=re.compile(r"^Finding")).fill(TYPED)
    Session.objects.all().delete()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("You were signed out because MACA was not used")).to_be_visible()
    sign_in_here(page)
    expect(page).to_have_url(form_page)
    page.get_by_role("button", name="Put it back in the form").click()
    expect(page.get_by_role("textbox", name=re.compile(r"^Finding"))).to_have_value(TYPED)
    # Someone else signing in on this tab is not shown what was typed.
    page.goto(form_page)
    page.get_by_role("textbox", name=re.compile(r"^Finding")).fill(TYPED)
    Session.objects.all().delete()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("You were signed out because MACA was not used")).to_be_visible()
    sign_in_here(page, "chair")
    expect(page).to_have_url(form_page)
    page.wait_for_load_state("load")  # the page's script has run
    expect(
        page.get_by_role("region", name="What you typed before you were signed out")
    ).to_have_count(0)

    # The browser reports the 401 that sent the page to sign in; nothing else went wrong.
    assert [error for error in errors if "status of 401" not in error] == []


def test_the_error_pages_pass_axe(page, demo):  # noqa: F811
    for address in ("/static/errors/413.html", "/static/errors/502.html"):
        page.goto(demo + address)
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        assert axe_violations(page) == [], address
    page.goto(f"{demo}/login/")
    sign_in_here(page)
    page.goto(f"{demo}/audits/nothing-here/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert axe_violations(page) == []


def test_a_form_with_an_out_of_date_security_token_gives_back_what_was_typed(page, demo):  # noqa: F811
    audit = Audit.objects.get(theme__name="Child exploitation")
    case = audit.cases.order_by("label").first()
    form_page = f"{demo}/audits/{audit.pk}/findings/finding/new/?case={case.pk}"
    page.goto(form_page)
    sign_in_here(page)
    page.get_by_role("textbox", name=re.compile(r"^Finding")).fill(TYPED)
    page.context.clear_cookies(name="csrftoken")  # as when signing in again in another tab
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="That form could not be sent")).to_be_visible()
    expect(page.get_by_role("textbox", name="What you wrote (1 of 1)")).to_have_value(TYPED)
    assert axe_violations(page) == []
