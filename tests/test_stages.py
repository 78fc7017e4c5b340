"""Moving an audit through its stages, and how the stage is shown."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import access
from cases.models import Audit, AuditEvent
from cases.selectors.stages import next_step, stage_steps
from maca.models import Membership

from .conftest import member
from .factories import AgencyFactory, CaseFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role
Status = Audit.Status


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def advance(client, audit, **data):
    return client.post(reverse("audit_stage", args=[audit.pk]), data)


def set_status(audit, status):
    audit.status = status
    audit.save()


def test_only_the_chair_moves_the_stage(client, audit, chair, outsider):
    housing = AgencyFactory()
    audit.agencies.add(housing)
    expected = {
        member(audit, Role.QA_MEMBER): 403,
        member(audit, Role.COORDINATOR, agency=housing): 403,
        member(audit, Role.VIEWER): 404,
        outsider: 404,
    }
    for user, status in expected.items():
        client.force_login(user)
        assert advance(client, audit).status_code == status
    audit.refresh_from_db()
    assert audit.status == Status.DRAFT
    client.force_login(chair)
    opened = client.get(reverse("audit_stage", args=[audit.pk]))  # after signing in again, say
    assert opened.status_code == 405 and opened["Allow"] == "POST"
    assert "Nothing was saved or changed by opening it." in opened.content.decode()
    assert "Log out" in opened.content.decode()  # a whole page, with its menu
    assert opened["Content-Length"] == str(len(opened.content))  # all of it sent
    # Only an address opened: a press sent where none is taken, and a redirect, say nothing.
    pressed = client.post(reverse("audit_import_progress", args=[1]))
    assert pressed.status_code == 405 and pressed.content == b""
    client.logout()
    assert client.get(reverse("audit_stage", args=[audit.pk])).content == b""  # to sign in
    client.force_login(chair)
    client.force_login(outsider)  # nothing of the audit, to anyone
    opened = client.get(reverse("audit_stage", args=[audit.pk]))
    assert opened.status_code == 405 and audit.theme.name not in opened.content.decode()
    client.force_login(chair)
    assert advance(client, audit).status_code == 302
    audit.refresh_from_db()
    assert audit.status == Status.NOMINATING


def test_opening_nominations_needs_an_agency_taking_part(client, audit, chair):
    client.force_login(chair)
    response = advance(client, audit)
    assert response.status_code == 302
    assert response["Location"] == reverse("audit_detail", args=[audit.pk])
    assert any("Add at least one agency taking part" in text for text in texts(response))
    audit.refresh_from_db()
    assert audit.status == Status.DRAFT
    assert not AuditEvent.objects.exists()

    audit.agencies.add(AgencyFactory())
    advance(client, audit)
    audit.refresh_from_db()
    assert audit.status == Status.NOMINATING
    event = AuditEvent.objects.get()
    assert event.kind == AuditEvent.Kind.STATUS
    assert event.actor == chair
    assert event.detail == {"from": "draft", "to": "nominating"}


def test_cases_are_selected_only_by_confirming_the_selection(client, audit, chair):
    set_status(audit, Status.NOMINATING)
    client.force_login(chair)
    response = advance(client, audit)
    assert any("confirming the selection" in text for text in texts(response))
    audit.refresh_from_db()
    assert audit.status == Status.NOMINATING


def test_opening_submissions_needs_a_deadline(client, audit, chair):
    set_status(audit, Status.SELECTED)
    client.force_login(chair)
    response = advance(client, audit)
    assert any("Set a submission deadline" in text for text in texts(response))
    audit.refresh_from_db()
    assert audit.status == Status.SELECTED
    audit.submission_deadline = "2026-11-02"
    audit.save()
    advance(client, audit)
    audit.refresh_from_db()
    assert audit.status == Status.SUBMISSIONS


def test_the_later_stages_follow_in_order_and_closed_is_the_end(client, audit, chair):
    set_status(audit, Status.SUBMISSIONS)
    client.force_login(chair)
    for expected in (Status.MEETING, Status.REPORTING, Status.CLOSED):
        advance(client, audit, confirmed="1")
        audit.refresh_from_db()
        assert audit.status == expected
    response = advance(client, audit)
    assert any("closed" in text for text in texts(response))
    moves = [e.detail for e in AuditEvent.objects.order_by("id")]
    assert moves == [
        {"from": "submissions", "to": "meeting"},
        {"from": "meeting", "to": "reporting"},
        {"from": "reporting", "to": "closed"},
    ]


def test_a_second_press_does_not_move_the_audit_twice(client, audit, chair):
    set_status(audit, Status.SUBMISSIONS)
    client.force_login(chair)
    advance(client, audit, expected_status="submissions")
    response = advance(client, audit, expected_status="submissions")
    assert any("already moved on" in text for text in texts(response))
    audit.refresh_from_db()
    assert audit.status == Status.MEETING


def test_stage_steps_mark_done_current_and_to_come(audit):
    set_status(audit, Status.SELECTED)
    with CaptureQueriesContext(connection) as queries:
        steps = stage_steps(audit)
        sentence = next_step(audit, frozenset({"manage_audit"}))
    assert len(queries) == 0
    assert [s["state"] for s in steps] == ["done", "done", "current"] + ["todo"] * 4
    assert [s["status"] for s in steps if s["is_next"]] == ["submissions"]
    assert steps[0]["label"] == "Draft"
    assert "Set a submission deadline" in sentence


def test_next_step_says_who_is_waiting(audit):
    set_status(audit, Status.NOMINATING)
    assert next_step(audit, frozenset()) == (
        "QA members are nominating cases. When the nominations are in, the chair selects the "
        "cross-section."
    )
    set_status(audit, Status.SUBMISSIONS)
    audit.submission_deadline = "2026-11-23"
    audit.save()
    audit.refresh_from_db()
    assert "by 23 November 2026" in next_step(audit, frozenset())


def _partial(audit, user):
    allowed = access.allowed_actions(user, audit)
    return render_to_string(
        "cases/setup/_stage_steps.html",
        {
            "audit": audit,
            "steps": stage_steps(audit),
            "next_step": next_step(audit, allowed),
            "allowed": allowed,
            "csrf_token": "token",
        },
    )


def test_the_step_list_marks_the_current_stage_and_offers_the_chair_the_move(audit, chair):
    set_status(audit, Status.SUBMISSIONS)
    html = _partial(audit, chair)
    assert 'aria-current="step"' in html
    assert html.count('aria-current="step"') == 1
    assert "Current stage" in html and "Done" in html and "To come" in html
    assert "Move to “Multi-agency meeting”" in html
    assert reverse("audit_stage", args=[audit.pk]) in html

    qa = member(audit, Role.QA_MEMBER)
    assert "Move to" not in _partial(audit, qa)

    set_status(audit, Status.NOMINATING)
    html = _partial(audit, chair)
    assert "when you confirm the selection" in html
    assert reverse("selection", args=[audit.pk]) in html
    assert reverse("audit_stage", args=[audit.pk]) not in html

    set_status(audit, Status.CLOSED)
    assert "Move to" not in _partial(audit, chair)


def test_closing_asks_first_saying_what_is_missing(client, audit, chair):
    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    CaseFactory(audit=audit, label="Case 1")
    set_status(audit, Status.REPORTING)
    client.force_login(chair)
    asked = advance(client, audit, expected_status="reporting")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Close this audit?" in page and "Closing cannot be undone." in page
    assert "The briefing has not been published yet." in page
    assert (
        "1 of 1 agency return (a chronology and an audit tool for each case) is not complete "
        "yet: Housing (Case 1)." in page
    )
    assert "The multi-agency meeting is on" not in page  # it has no date
    audit.refresh_from_db()
    assert audit.status == Status.REPORTING  # nothing moves until confirmed
    advance(client, audit, expected_status="reporting", confirmed="1")
    audit.refresh_from_db()
    assert audit.status == Status.CLOSED and audit.closed_at is not None


def test_closing_before_the_meeting_says_so_first(client, audit, chair):
    import datetime

    from django.utils import timezone

    audit.meeting_date = timezone.localdate() + datetime.timedelta(days=3)
    audit.save()
    set_status(audit, Status.REPORTING)
    client.force_login(chair)
    page = " ".join(advance(client, audit, expected_status="reporting").text.split())
    when = f"{audit.meeting_date.day} {audit.meeting_date:%B %Y}"
    assert f"The multi-agency meeting is on {when}, after today" in page


def test_a_new_audit_offers_only_what_can_be_done_before_its_cases(client, audit, chair):
    client.force_login(chair)
    url = reverse("audit_detail", args=[audit.pk])
    page = client.get(url).content.decode()
    assert "come once the cases are chosen" in page
    for absent in ("briefing_publish", "briefing_pdf", "meeting_pack", "action_create"):
        assert reverse(absent, args=[audit.pk]) not in page
    CaseFactory(audit=audit, label="Case 1")
    page = client.get(url).content.decode()
    for present in ("briefing_publish", "briefing_pdf", "meeting_pack", "action_create"):
        assert reverse(present, args=[audit.pk]) in page


def test_a_stale_press_is_told_the_audit_moved_on_not_asked_to_close_it(client, audit, chair):
    set_status(audit, Status.REPORTING)
    client.force_login(chair)
    response = advance(client, audit, expected_status="meeting")
    assert response.status_code == 302
    assert any("already moved on" in text for text in texts(response))
    audit.refresh_from_db()
    assert audit.status == Status.REPORTING


def test_ending_submissions_early_is_asked_about_first(client, audit, chair):
    housing = AgencyFactory(name="Housing")
    audit.agencies.add(housing)
    CaseFactory(audit=audit, label="Case 1")
    set_status(audit, Status.SUBMISSIONS)
    audit.submission_deadline = timezone.localdate() + datetime.timedelta(days=10)
    audit.save()
    client.force_login(chair)

    response = advance(client, audit, expected_status="submissions")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Move to the multi-agency meeting now?" in page
    assert "1 of 1 agency return " in page and "not complete yet: Housing (Case 1)." in page
    assert "in 10 days" in page
    audit.refresh_from_db()
    assert audit.status == Status.SUBMISSIONS  # nothing moves until confirmed

    advance(client, audit, expected_status="submissions", confirmed="1")
    audit.refresh_from_db()
    assert audit.status == Status.MEETING


def test_once_the_briefing_is_published_the_next_step_no_longer_asks_to_publish_it(audit):
    """At "Reporting" the audit page went on saying "The chair publishes the briefing, then
    closes the audit" after the briefing was published."""
    set_status(audit, Status.REPORTING)
    assert "publishes the briefing" in next_step(audit, frozenset({"manage_audit"}))
    audit.briefing_published_at = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        sentence = next_step(audit, frozenset({"manage_audit"}))
    assert len(queries) == 0
    assert "publishes the briefing" not in sentence
    assert sentence.startswith("The briefing is published.")
    assert "closes the audit" in sentence
