"""What assistive technology reads from the HTML itself: page titles that name their object and
its state, and a refused sign-in marked on its fields."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from actions.models import Action
from cases.models import Audit, ChronologyEntry
from maca.models import User

pytestmark = pytest.mark.django_db


def title_of(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1).strip()


@pytest.fixture
def chair_client(demo_audit):
    client = Client()
    client.force_login(User.objects.get(username="chair"))
    return client


def test_every_title_names_its_object_and_its_state(chair_client, demo_audit):
    edits = {
        title_of(chair_client.get(reverse("audit_edit", args=[a.pk]))) for a in Audit.objects.all()
    }
    assert len(edits) == Audit.objects.count()
    assert "Edit the audit's details · Neglect and housing · Closed · MACA" in edits
    # A re-audit's name and its stage, without a pair of brackets after another.
    assert "Edit the audit's details · Neglect and housing, re-audit · Draft · MACA" in edits

    entry = ChronologyEntry.objects.select_related("case__audit__theme", "agency").first()
    case = entry.case
    chronology = reverse("agency_chronology", args=[case.audit_id, case.pk, entry.agency_id])
    assert case.audit.theme.name in title_of(chair_client.get(chronology))
    integrated = reverse("integrated_chronology", args=[case.audit_id, case.pk])
    assert case.audit.theme.name in title_of(chair_client.get(integrated))

    action = Action.objects.filter(status=Action.Status.COMPLETE).first()
    title = title_of(chair_client.get(reverse("action_detail", args=[action.pk])))
    assert title.startswith(f"Action: {' '.join(action.text.split()[:4])}")
    assert "(Complete)" in title

    draft = title_of(chair_client.get(reverse("briefing_html", args=[demo_audit.pk])))
    published = title_of(chair_client.get(reverse("briefing_version", args=[demo_audit.pk, 1])))
    assert draft.startswith("Draft, not published · ") and draft.endswith(" · MACA")
    assert published.startswith("Version 1, published ") and published.endswith(" · MACA")

    name = "7-minute briefing: Neglect and housing"
    draft = title_of(chair_client.get(reverse("seven_minute", args=[demo_audit.pk])))
    version = reverse("seven_minute_version", args=[demo_audit.pk, 1])
    published = title_of(chair_client.get(version))
    assert draft == f"Draft, not published · {name} · MACA"
    assert re.fullmatch(rf"Version 1, published \d+ \w+ \d{{4}} · {name} · MACA", published)


@pytest.mark.parametrize(
    ("url_name", "with_audit"),
    [("meeting", True), ("case_labels", True), ("learning_library", False)],
)
def test_a_page_s_title_begins_with_its_heading(chair_client, demo_audit, url_name, with_audit):
    page = chair_client.get(reverse(url_name, args=[demo_audit.pk] if with_audit else []))
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page.content.decode(), re.S).group(1).strip()
    assert title_of(page).startswith(f"{heading} · ") or title_of(page) == f"{heading} · MACA"


def test_a_page_showing_what_is_wrong_with_a_form_says_so_first_in_its_title(
    chair_client, demo_audit
):
    assert title_of(chair_client.get(reverse("access_log"))).startswith("Access log")
    sent_back = chair_client.get(reverse("access_log"), {"since": "not a date"})
    assert "There is a problem" in sent_back.content.decode()
    assert title_of(sent_back).startswith("Error: Access log")


def test_a_refused_sign_in_marks_both_fields_invalid_and_points_them_at_the_reason(client, db):
    User.objects.create_user(username="kim", password="right-password")
    response = client.post(reverse("login"), {"username": "kim", "password": "wrong"})
    html = response.content.decode()
    assert title_of(response).startswith("Error: ")
    assert 'id="login-error"' in html
    for name in ("username", "password"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert 'aria-invalid="true"' in field
        assert 'aria-describedby="login-error"' in field


def test_the_briefing_page_has_a_skip_link_to_the_briefing(chair_client, demo_audit):
    html = chair_client.get(reverse("briefing_html", args=[demo_audit.pk])).content.decode()
    assert '<a class="skip-link no-print" href="#briefing">' in html
    assert '<main class="briefing" id="briefing"' in html


@pytest.mark.parametrize("number", [None, 1])
def test_the_7_minute_briefing_page_has_a_skip_link_to_the_briefing(
    chair_client, demo_audit, number
):
    if number:
        url = reverse("seven_minute_version", args=[demo_audit.pk, number])
    else:
        url = reverse("seven_minute", args=[demo_audit.pk])
    html = chair_client.get(url).content.decode()
    assert (
        '<a class="skip-link no-print" href="#seven-minute">Skip to the 7-minute briefing</a>'
        in (html)
    )
    assert '<main class="seven-minute" id="seven-minute"' in html
