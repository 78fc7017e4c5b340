"""The request rules around every page on their own: a session kept alive while used and ended
when idle, nothing kept by the browser for a signed-in person, and a page part whose session
ended sending the whole page to sign in, back to the page the person was on."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from django.urls import resolve, reverse

from maca import middleware
from maca.middleware import (
    SEEN_SESSION_KEY,
    AccessLogMiddleware,
    NoStoreMiddleware,
    SessionIdleRefreshMiddleware,
    SignInRequiredMiddleware,
    mark_session_seen,
    refresh_idle_expiry,
)
from maca.models import AccessLogEntry, Membership

from .conftest import member
from .factories import UserFactory

pytestmark = pytest.mark.django_db
NOW = 1_800_000_000


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr(middleware.time, "time", lambda: NOW + 0.5)


def test_a_session_used_again_after_the_refresh_interval_is_kept_alive(settings):
    every = settings.SESSION_REFRESH_SECONDS
    session = {SEEN_SESSION_KEY: NOW - every}
    refresh_idle_expiry(session)
    assert session[SEEN_SESSION_KEY] == NOW
    session = {SEEN_SESSION_KEY: NOW - every + 1}
    refresh_idle_expiry(session)
    assert session[SEEN_SESSION_KEY] == NOW - every + 1  # not rewritten on every request
    session = {}
    refresh_idle_expiry(session)
    assert session[SEEN_SESSION_KEY] == NOW


def signed_in(user) -> object:
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    request.session["x"] = 1
    request.session.save()
    return request


def test_only_a_signed_in_session_is_kept_alive_by_its_requests():
    request = signed_in(UserFactory())
    SessionIdleRefreshMiddleware(lambda r: HttpResponse())(request)
    assert request.session[SEEN_SESSION_KEY] == NOW

    anonymous = signed_in(AnonymousUser())
    SessionIdleRefreshMiddleware(lambda r: HttpResponse())(anonymous)
    assert SEEN_SESSION_KEY not in anonymous.session

    unsaved = signed_in(UserFactory())
    unsaved.session = SessionStore()
    SessionIdleRefreshMiddleware(lambda r: HttpResponse())(unsaved)
    assert SEEN_SESSION_KEY not in unsaved.session


def test_signing_in_starts_the_idle_clock():
    request = signed_in(UserFactory())
    mark_session_seen(sender=None, request=request, user=request.user)
    assert request.session[SEEN_SESSION_KEY] == NOW
    mark_session_seen(sender=None, request=RequestFactory().get("/"), user=None)  # no session


def test_nothing_sent_to_a_signed_in_person_is_kept_by_the_browser():
    def answer(request):
        return HttpResponse("case details")

    response = NoStoreMiddleware(answer)(signed_in(UserFactory()))
    for part in ("no-cache", "no-store", "must-revalidate", "private"):
        assert part in response["Cache-Control"]

    def download(request):
        response = HttpResponse(b"%PDF")
        response["Cache-Control"] = "private, no-store"
        return response

    assert NoStoreMiddleware(download)(signed_in(UserFactory()))["Cache-Control"] == (
        "private, no-store"
    )
    public = NoStoreMiddleware(answer)(signed_in(AnonymousUser()))
    assert "Cache-Control" not in public


@pytest.mark.parametrize(
    "current, secure, back_to",
    [
        ("http://testserver/audits/1/findings/?tab=recs", False, "/audits/1/findings/?tab=recs"),
        ("http://testserver/audits/1/", False, "/audits/1/"),
        ("http://testserver", False, "/"),
        ("http://testserver/audits/1/", True, "/"),
        ("", False, "/"),
        (None, False, "/"),
    ],
)
def test_a_page_part_sends_the_whole_page_to_sign_in_and_back(current, secure, back_to):
    headers = {"HX-Request": "true"}
    if current is not None:
        headers["HX-Current-URL"] = current
    request = RequestFactory().get("/audits/1/part/", headers=headers, secure=secure)
    request.user = AnonymousUser()
    request.session = SessionStore()
    response = SignInRequiredMiddleware(lambda r: HttpResponse()).handle_no_permission(
        request, lambda r: HttpResponse()
    )
    assert response.status_code == 401
    assert response.content == b"Sign in again to carry on."
    login, _, query = response["HX-Redirect"].partition("?")
    assert login == "/login/"
    assert parse_qs(query) == {"next": [back_to]}


def test_each_look_records_the_address_asked_for_up_to_500_characters():
    user = UserFactory()
    look = {"user_id": user.pk, "username": user.username, "action": "view", "what": "audit_detail"}
    request = RequestFactory().get("/audits/1/", {"tab": "cases"}, REMOTE_ADDR="192.0.2.7")
    (entry,) = middleware.record_looks(request, look, [])
    assert (entry.path, entry.ip_address) == ("/audits/1/?tab=cases", "192.0.2.7")
    asked = RequestFactory().get("/audits/1/", {"q": "x" * 600})
    (long,) = middleware.record_looks(asked, look, [])
    assert long.path == ("/audits/1/?q=" + "x" * 600)[:500]


@pytest.mark.parametrize(
    "method, status, action",
    [
        ("GET", 200, "view"),
        ("POST", 200, "view"),
        ("POST", 422, "view"),  # a form sent back with its errors shows the page's data
        ("GET", 403, "refused"),
        ("GET", 404, "refused"),  # not found inside their own audit: filed under it
        ("POST", 302, None),
        ("GET", 500, None),
        ("HEAD", 200, "view"),  # its headers alone, but the page was built for it
    ],
)
def test_a_case_level_page_is_logged_once_when_shown_or_refused(audit, method, status, action):
    path = reverse("audit_detail", args=[audit.pk])
    request = RequestFactory().generic(method, path)
    request.user = member(audit, Membership.Role.CHAIR)
    request.resolver_match = resolve(path)
    request.audit = audit
    AccessLogMiddleware(lambda request: HttpResponse(status=status))(request)
    logged = list(AccessLogEntry.objects.values_list("action", "audit_id", "what"))
    assert logged == ([] if action is None else [(action, audit.pk, "audit_detail")])


def test_a_look_is_filed_under_the_audit_only_when_it_is_the_one_the_address_asks_for(audit):
    request = RequestFactory().get("/")
    request.user = member(audit)
    request.audit = audit
    own = (audit.pk, [audit.partnership_id])
    assert middleware.filed_under(request, {"pk": audit.pk}) == own
    assert middleware.filed_under(request, {"pk": str(audit.pk)}) == own
    assert middleware.filed_under(request, {"import_id": 9}) == own  # a page naming no audit
    assert middleware.filed_under(request, {"pk": audit.pk + 1}) == (None, [audit.partnership_id])


def test_a_refusal_names_the_audit_asked_for_only_to_a_member_of_its_partnership(audit, outsider):
    """Refused at an audit they do not belong to, a person's attempt is filed under their own
    partnership, with no audit: that audit's chair is not told of them, their own chair is. A
    person of no partnership is refused with an entry filed under none."""
    path = reverse("audit_detail", args=[audit.pk])
    nobodys = UserFactory()
    for user in (outsider, nobodys):
        request = RequestFactory().get(path)
        request.user = user
        request.resolver_match = resolve(path)
        request.audit = audit
        AccessLogMiddleware(lambda request: HttpResponse(status=403))(request)
    logged = AccessLogEntry.objects.values_list("user_id", "action", "audit_id", "partnership_id")
    assert sorted(logged) == sorted(
        [
            (outsider.pk, "refused", None, outsider.memberships.get().partnership_id),
            (nobodys.pk, "refused", None, None),
        ]
    )


def answer_in_place(request, response) -> str:
    request.htmx = bool(request.headers.get("HX-Request"))
    middleware.HtmxMessagesMiddleware(lambda request: response)(request)
    return response.content.decode()


@pytest.mark.parametrize(
    "method, headers, status, answer_headers, content_type",
    [
        ("GET", {"HX-Request": "true"}, 200, {}, "text/html"),  # a form opened in place
        ("POST", {}, 200, {}, "text/html"),  # a whole page shows its own messages
        ("POST", {"HX-Request": "true"}, 302, {}, "text/html"),
        ("POST", {"HX-Request": "true"}, 200, {"HX-Redirect": "/"}, "text/html"),
        ("POST", {"HX-Request": "true"}, 200, {"HX-Location": "/"}, "text/html"),
        ("POST", {"HX-Request": "true"}, 200, {"HX-Refresh": "true"}, "text/html"),
        ("POST", {"HX-Request": "true"}, 200, {}, "application/json"),
    ],
)
def test_the_message_area_is_swapped_only_by_a_press_answered_in_place(
    method, headers, status, answer_headers, content_type
):
    request = getattr(RequestFactory(headers=headers), method.lower())("/")
    response = HttpResponse("answer", status=status, content_type=content_type)
    for name, value in answer_headers.items():
        response[name] = value
    assert answer_in_place(request, response) == "answer"


@pytest.mark.parametrize("status", [200, 422])
def test_a_press_answered_in_place_swaps_in_the_message_area(status):
    request = RequestFactory(headers={"HX-Request": "true"}).post("/")
    response = HttpResponse("answer", status=status)
    swapped = answer_in_place(request, response)
    assert swapped.startswith("answer")
    assert '<div id="messages" aria-live="polite" hx-swap-oob="innerHTML">' in swapped


def test_a_streamed_answer_is_left_whole():
    request = RequestFactory(headers={"HX-Request": "true"}).post("/")
    request.htmx = True
    response = StreamingHttpResponse(iter([b"part"]), content_type="text/html")
    assert middleware.HtmxMessagesMiddleware(lambda request: response)(request) is response
    assert b"".join(response.streaming_content) == b"part"


@pytest.mark.parametrize("status, logged", [(200, []), (404, ["refused"])])
def test_a_progress_pages_not_yet_is_not_logged_but_a_refusal_of_it_is(audit, status, logged):
    path = reverse("audit_detail", args=[audit.pk])
    request = RequestFactory().get(path)
    request.user = member(audit, Membership.Role.CHAIR)
    request.resolver_match = resolve(path)
    middleware.still_waiting(request)
    AccessLogMiddleware(lambda request: HttpResponse(status=status))(request)
    assert list(AccessLogEntry.objects.values_list("action", flat=True)) == logged
