"""What makes two presses the same press: the same person, the same form token and the same
values and files. Anything else is a press of its own and does its work."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from maca import once
from maca.models import UsedFormToken
from maca.once import FIELD, MAX_TOKEN_LENGTH, one_press

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def done():
    return []


def posted(user, data, files=None, *, bare=False):
    """A POST as the middleware leaves it; `bare`: without session or messages."""
    request = RequestFactory().post("/create/", {**data, **(files or {})})
    request.user = user
    request.htmx = HtmxDetails(request)
    if not bare:
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
    return request


@pytest.fixture
def press(done):
    @one_press
    def create(request):
        done.append(dict(request.POST))
        return redirect(f"/made/{len(done)}/")

    def pressed(user, data, files=None, **kwargs):
        return create(posted(user, data, files, **kwargs))

    return pressed


def test_the_same_press_twice_does_the_work_once(press, done):
    user = UserFactory()
    form = {FIELD: "t1", "a": "1", "b": "2"}
    assert press(user, form)["Location"] == press(user, form)["Location"] == "/made/1/"
    assert len(done) == 1


def test_another_persons_press_with_the_same_token_is_their_own(press, done):
    first, second = UserFactory(), UserFactory()
    form = {FIELD: "t1", "a": "1"}
    press(first, form)
    assert press(second, form)["Location"] == "/made/2/"
    assert press(second, form)["Location"] == "/made/2/"  # their own second press
    assert len(done) == 2


def test_a_form_drawn_again_is_a_new_press_even_with_the_same_values(press, done):
    user = UserFactory()
    press(user, {FIELD: "t1", "a": "1", "b": "2"})
    press(user, {FIELD: "t2", "a": "1", "b": "2"})
    assert len(done) == 2


def test_any_value_changed_makes_a_new_press(press, done):
    user = UserFactory()
    press(user, {FIELD: "t1", "a": "1", "b": "2"})
    press(user, {FIELD: "t1", "a": "9", "b": "2"})
    press(user, {FIELD: "t1", "a": "9", "b": "3"})
    assert len(done) == 3


def test_another_file_or_other_values_with_the_same_file_make_a_new_press(press, done):
    user = UserFactory()

    def upload(content=b"rows"):
        return {"file": SimpleUploadedFile("rows.csv", content)}

    press(user, {FIELD: "t1", "a": "1"}, upload())
    press(user, {FIELD: "t1", "a": "1"}, upload())
    assert len(done) == 1
    press(user, {FIELD: "t1", "a": "1"}, upload(b"other rows"))
    assert len(done) == 2
    press(user, {FIELD: "t1", "a": "2"}, upload())
    assert len(done) == 3


@pytest.mark.parametrize("status", [301, 302, 303])
def test_any_redirect_is_where_a_second_press_is_sent(done, status):
    @one_press
    def create(request):
        done.append(1)
        response = HttpResponse(status=status)
        response["Location"] = f"/made/{len(done)}/"
        return response

    user, form = UserFactory(), {FIELD: "t1"}
    first, second = create(posted(user, form)), create(posted(user, form))
    assert len(done) == 1
    assert second.status_code == 302 and second["Location"] == first["Location"] == "/made/1/"


def test_a_second_press_shows_the_first_ones_messages_with_their_styles(done):
    @one_press
    def create(request):
        done.append(1)
        messages.success(request, "Saved.", extra_tags="lasting")
        messages.info(request, "Emailed.")
        return redirect("/made/")

    user, form = UserFactory(), {FIELD: "t1"}
    create(posted(user, form))
    again = posted(user, form)
    create(again)
    assert len(done) == 1
    assert [(str(m.message), m.tags) for m in again._messages] == [
        ("Saved.", "lasting success"),
        ("Emailed.", "info"),
    ]


def test_a_press_without_session_or_messages_is_still_done_once(press, done):
    user, form = UserFactory(), {FIELD: "t1"}
    assert press(user, form, bare=True)["Location"] == "/made/1/"
    assert press(user, form, bare=True)["Location"] == "/made/1/"
    assert len(done) == 1


@pytest.fixture
def create_numbered(done):
    @one_press
    def create(request, number, *, kind):
        done.append((request.method, number, kind))
        messages.success(request, f"Made {kind} {number}.")
        return redirect(f"/made/{kind}/{number}/")

    return create


def test_the_view_gets_its_request_and_arguments_on_every_path(create_numbered, done, monkeypatch):
    user = UserFactory()
    assert create_numbered.__wrapped__.__name__ == "create"
    create_numbered(posted(user, {}), 1, kind="finding")  # no token: done as sent
    create_numbered(posted(user, {FIELD: "t1"}), 2, kind="finding")  # the first press
    get = RequestFactory().get("/create/")
    get.user, get.session = user, SessionStore()
    get._messages = FallbackStorage(get)
    create_numbered(get, 3, kind="finding")
    monkeypatch.setattr(once, "_claim", lambda request, key: False)  # its record deleted since
    create_numbered(posted(user, {FIELD: "t2"}), 4, kind="finding")
    assert done == [("POST", n, "finding") for n in (1, 2)] + [("GET", 3, "finding")] + [
        ("POST", 4, "finding")
    ]
    assert UsedFormToken.objects.count() == 1  # the first press's alone, not the page's GET


def test_a_post_without_a_token_and_a_get_are_done_each_time_and_never_recorded(press, done):
    user = UserFactory()
    press(user, {"a": "1"})
    press(user, {"a": "1"})
    assert len(done) == 2 and not UsedFormToken.objects.exists()


def test_a_token_up_to_its_length_is_kept_and_a_longer_one_is_ignored(press, done):
    user = UserFactory()
    longest = {FIELD: "t" * MAX_TOKEN_LENGTH}
    press(user, longest)
    press(user, longest)
    assert len(done) == 1
    too_long = {FIELD: "t" * (MAX_TOKEN_LENGTH + 1)}
    press(user, too_long)
    press(user, too_long)
    assert len(done) == 3


def test_a_signed_out_press_with_a_token_is_done_as_sent_and_not_recorded(press, done):
    press(AnonymousUser(), {FIELD: "t1"}, bare=True)
    press(AnonymousUser(), {FIELD: "t1"}, bare=True)
    assert len(done) == 2 and not UsedFormToken.objects.exists()


def test_a_second_press_is_sent_where_its_own_first_press_led(press, done):
    user = UserFactory()
    press(user, {FIELD: "earlier form"})  # the person's earlier press of another form
    form = {FIELD: "t2", "title": "Second"}
    assert press(user, form)["Location"] == "/made/2/"
    assert press(user, form)["Location"] == "/made/2/"


def test_only_the_messages_of_the_press_itself_are_kept_for_a_second_press(create_numbered):
    user = UserFactory()
    request = posted(user, {FIELD: "t1"})
    messages.info(request, "Said before the press.")
    create_numbered(request, 1, kind="finding")
    assert UsedFormToken.objects.get().messages == [[messages.SUCCESS, "Made finding 1.", ""]]


def test_a_message_already_waiting_is_not_said_twice():
    """The first press's message, waiting to be shown, is shown once; another text or level is
    said as well, in its level's style alone."""
    request = posted(UserFactory(), {})
    once.message_once(request, messages.INFO, "You are now a member.")
    once.message_once(request, messages.INFO, "You are now a member.")
    once.message_once(request, messages.SUCCESS, "You are now a member.")
    once.message_once(request, messages.INFO, "Welcome.")
    assert [(str(m.message), m.tags) for m in request._messages] == [
        ("You are now a member.", "info"),
        ("You are now a member.", "success"),
        ("Welcome.", "info"),
    ]


class Refused(Exception):
    pass


def test_a_press_sent_again_is_answered_only_while_the_gates_let_its_sender_through(
    done, monkeypatch
):
    """The gate of what the address names (registered for its keyword) and the view's own gate
    are asked about the person pressing again, before the first press's page is shown to them."""
    allowed = {"by the thing": True, "by the view": True}
    asked = []

    def thing_gate(request, thing_id):
        asked.append(("thing", request.user, thing_id))
        if not allowed["by the thing"]:
            raise Refused

    def view_gate(request):
        asked.append(("view", request.user))
        if not allowed["by the view"]:
            raise Refused

    monkeypatch.setattr(once, "_gates", {})
    once.register_gate("thing_id", thing_gate)

    @one_press(gate=view_gate)
    def create(request, thing_id):
        done.append(thing_id)
        return redirect(f"/things/{thing_id}/made/")

    user, form = UserFactory(), {FIELD: "t1"}
    assert create(posted(user, form), thing_id=7)["Location"] == "/things/7/made/"
    assert asked == []  # a first press is the view's own to refuse
    assert create(posted(user, form), thing_id=7)["Location"] == "/things/7/made/"
    assert asked == [("thing", user, 7), ("view", user)]
    for refused_by in allowed:
        allowed.update({name: name != refused_by for name in allowed})
        with pytest.raises(Refused):
            create(posted(user, form), thing_id=7)
    assert done == [7]


def test_a_view_under_one_press_is_known_as_one(create_numbered):
    """What the check that every versioned save answers a second press as the first reads
    (tests/test_architecture.py)."""
    assert create_numbered.one_press is True
