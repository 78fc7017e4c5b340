"""Sessions are Django's database sessions, read with one plain statement (maca.sessions)."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from maca.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_site_uses_the_plain_statement_store():
    assert settings.SESSION_ENGINE == "maca.sessions"


def test_a_saved_session_is_read_back():
    session = SessionStore()
    session["seen"] = 1
    session.save()
    again = SessionStore(session.session_key)
    assert again["seen"] == 1
    assert again.session_key == session.session_key


def test_an_expired_session_is_read_as_empty_and_loses_its_key():
    session = SessionStore()
    session["seen"] = 1
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    again = SessionStore(session.session_key)
    assert again.get("seen") is None
    assert again.session_key is None


def test_an_unknown_session_is_read_as_empty():
    again = SessionStore("x" * 32)
    assert dict(again.items()) == {}
    assert again.session_key is None
