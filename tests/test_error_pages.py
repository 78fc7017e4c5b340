"""Error pages and an ended session, as a person meets them: MACA's own look and navigation,
what happened in words, what to do next, and never a sign-in page inside part of a page."""

from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from maca.middleware import SIGNED_OUT

from .conftest import member

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def signed_in_client(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def end_every_session():
    Session.objects.all().delete()


def assert_branded(response, heading):
    page = response.content.decode()
    assert f'<h1 class="h2">{heading}</h1>' in page
    assert 'aria-label="Main"' in page and 'href="/"' in page  # the site's navigation
    assert "Traceback" not in page and "DEBUG" not in page


def test_a_page_part_asked_for_after_the_session_ended_sends_the_whole_page_to_sign_in(audit):
    client = signed_in_client(member(audit))
    end_every_session()
    page = f"/audits/{audit.pk}/findings/"
    response = client.post(
        reverse("item_add", args=[audit.pk, "recommendation"]),
        {"new-recommendation-text": "Agree one screening tool."},
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"},
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/?next=%2Faudits%2F" + f"{audit.pk}%2Ffindings%2F"
    assert b"Sign in" in response.content and b"<form" not in response.content


def test_a_page_part_from_another_site_is_sent_home_after_signing_in(audit):
    client = signed_in_client(member(audit))
    end_every_session()
    response = client.get(
        reverse("authoring", args=[audit.pk]),
        headers={"HX-Request": "true", "HX-Current-URL": "https://elsewhere.example/steal"},
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/login/?next=%2F"


def test_the_sign_in_page_says_the_person_was_signed_out_when_their_session_ended(audit):
    client = signed_in_client(member(audit))
    end_every_session()
    response = client.get(reverse("audit_detail", args=[audit.pk]), follow=True)
    assert response.redirect_chain[-1][0] == f"/login/?next=/audits/{audit.pk}/"
    assert SIGNED_OUT in response.content.decode()


def test_someone_who_never_signed_in_is_not_told_they_were_signed_out(audit):
    response = Client().get(reverse("audit_detail", args=[audit.pk]), follow=True)
    assert response.redirect_chain[-1][0] == f"/login/?next=/audits/{audit.pk}/"
    assert SIGNED_OUT not in response.content.decode()


def test_an_address_that_does_not_exist_gives_the_branded_not_found_page(audit):
    response = signed_in_client(member(audit)).get("/audits/nothing-here/")
    assert response.status_code == 404
    assert_branded(response, "Page not found")
    assert "Log out" in response.content.decode()  # the full navigation of a signed-in page


def test_a_broken_address_gives_the_branded_bad_request_page(audit):
    response = signed_in_client(member(audit)).get(
        reverse("item_add", args=[audit.pk, "finding"]) + "?case=abc"
    )
    assert response.status_code == 400
    assert_branded(response, "MACA could not read that request")
    assert "Go back, reload the page" in response.content.decode()


@pytest.mark.urls("tests.error_urls")
def test_a_fault_gives_the_branded_page_that_says_nothing_was_saved(audit):
    response = signed_in_client(member(audit)).get("/fails/")
    assert response.status_code == 500
    assert_branded(response, "Something went wrong")
    page = response.content.decode()
    assert "nothing of it was saved" in page and "A fault that MACA" not in page


def test_a_form_that_fails_the_forgery_check_is_explained_in_words(audit):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member(audit))
    response = client.post(reverse("item_add", args=[audit.pk, "recommendation"]), {})
    assert response.status_code == 403
    assert_branded(response, "That form could not be sent")
    page = response.content.decode()
    assert "nothing was saved" in page and "Reason given" not in page and "CSRF" not in page


@pytest.mark.parametrize(
    ("name", "heading"),
    [("413.html", "That was too large to send"), ("502.html", "MACA is not answering just now")],
)
def test_the_error_pages_the_proxy_serves_look_like_maca_and_use_only_files_that_exist(
    name, heading
):
    page = (ROOT / "static" / "errors" / name).read_text()
    assert f'<h1 class="h2">{heading}</h1>' in page and 'aria-label="Main"' in page
    for link in ("/static/vendor/bootstrap/bootstrap.min.css", "/static/css/maca.css"):
        assert link in page
        assert (ROOT / "static" / link.removeprefix("/static/")).is_file()
    site = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    assert f"/errors/{name};" in site


def test_a_whole_page_form_sent_after_the_session_ended_returns_to_its_page_after_signing_in(
    audit,
):
    """A form whose address takes only a press (here, moving the audit on) would have led to a
    blank "405" page after signing in: it leads back to the page the form was on, where what
    was typed is offered back."""
    client = signed_in_client(member(audit))
    end_every_session()
    page = f"/audits/{audit.pk}/"
    response = client.post(
        reverse("audit_stage", args=[audit.pk]), {}, HTTP_REFERER=f"http://testserver{page}"
    )
    assert response["Location"] == f"/login/?next=/audits/{audit.pk}/"
    client.force_login(member(audit))
    assert client.get(page).status_code == 200


def test_a_whole_page_form_sent_from_another_site_after_the_session_ended_keeps_its_address(
    audit,
):
    client = signed_in_client(member(audit))
    end_every_session()
    address = reverse("audit_stage", args=[audit.pk])
    response = client.post(address, {}, HTTP_REFERER="https://elsewhere.example/steal")
    assert response["Location"] == f"/login/?next={address}"


def test_a_form_sent_from_an_address_of_ours_naming_another_site_keeps_its_address(audit):
    """A path of our own beginning "//" is another site to a browser: it is not offered as the
    page to return to (the sign-in page's own check is not the only one)."""
    client = signed_in_client(member(audit))
    end_every_session()
    address = reverse("audit_stage", args=[audit.pk])
    sent_from = "http://testserver//elsewhere.example/steal"
    response = client.post(address, {}, HTTP_REFERER=sent_from)
    assert response["Location"] == f"/login/?next={address}"
    part = client.get(reverse("home"), HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=sent_from)
    assert "elsewhere" not in part.get("HX-Redirect", "") + part.get("HX-Location", "")
