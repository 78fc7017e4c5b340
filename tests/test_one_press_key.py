"""What makes two presses the same press: the same person, the same form token and the same
values and files. Anything else is a press of its own and does its work."""

from __future__ import annotations

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.shortcuts import redirect
from django.test import RequestFactory

from maca.once import FIELD, one_press

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def done():
    return []


@pytest.fixture
def press(done):
    @one_press
    def create(request):
        done.append(dict(request.POST))
        return redirect(f"/made/{len(done)}/")

    def pressed(user, data, files=None):
        request = RequestFactory().post("/create/", {**data, **(files or {})})
        request.user = user
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        return create(request)

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
