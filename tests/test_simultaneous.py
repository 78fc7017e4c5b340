"""Presses at the same moment, as PostgreSQL runs them: each press in a thread of its own, with
its own browser and database connection, all released together. Run with
`scripts/with-postgres .venv/bin/pytest tests/test_simultaneous.py`; SQLite, which lets one
writer in at a time, skips them."""

import contextlib
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from cases.models import Audit, Theme
from documents.models import RequestedDocument
from findings.models import Tag
from maca.models import Membership

from .conftest import member
from .factories import AuditFactory, CaseFactory, FindingFactory
from .test_conflicts import opened
from .test_documents import DATABASE_TASKS
from .test_one_press import IN_A_MONTH, form_on

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers"),
]
Role = Membership.Role


def at_once(presses) -> list:
    """Run each press (a function returning a response) in its own thread, all released at the
    same moment; their responses, or the exceptions they raised."""
    start = threading.Barrier(len(presses))
    answers: list = [None] * len(presses)

    def run(number, press):
        try:
            start.wait()
            answers[number] = press()
        except Exception as error:  # a server error in the press, reported as its answer
            answers[number] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(presses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def browser_of(user) -> Client:
    browser = Client(raise_request_exception=True)
    browser.force_login(user)
    return browser


def test_thirty_saves_of_one_finding_save_one_and_show_the_others_the_conflict():
    audit = AuditFactory()
    finding = FindingFactory(case=CaseFactory(audit=audit), text="First words.")
    url = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    field = f"edit-finding-{finding.pk}-text"
    presses = []
    for number in range(30):
        browser = browser_of(member(audit, Role.QA_MEMBER))
        typed = opened(browser, url, {field: f"Words of editor {number}."})
        presses.append(lambda browser=browser, typed=typed: browser.post(url, typed))

    answers = at_once(presses)
    assert not [answer for answer in answers if isinstance(answer, Exception)]
    saved = [n for n, answer in enumerate(answers) if answer.status_code == 302]
    refused = [answer for answer in answers if answer.status_code == 422]
    assert len(saved) == 1 and len(refused) == 29
    assert all(b"Someone else changed this finding" in answer.content for answer in refused)
    finding.refresh_from_db()
    assert finding.text == f"Words of editor {saved[0]}."


def test_two_presses_of_a_new_audit_with_a_new_theme_make_one():
    audit = AuditFactory()
    chair = member(audit, Role.CHAIR)
    first, second = browser_of(chair), browser_of(chair)
    url = reverse("audit_create")
    fields = {**form_on(first, url), "new_theme_name": "Exploitation", "new_agencies": "Youth Hub"}
    fields["submission_deadline"] = str(IN_A_MONTH)
    answers = at_once([lambda: first.post(url, fields), lambda: second.post(url, fields)])
    assert [answer.status_code for answer in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    assert Theme.objects.filter(name="Exploitation").count() == 1
    assert Audit.objects.filter(theme__name="Exploitation").count() == 1


def test_two_tags_of_one_name_added_at_once_without_a_token_make_one():
    audit = AuditFactory()
    chair = member(audit, Role.CHAIR)
    url = reverse("tag_add", args=[audit.pk])
    browsers = [browser_of(chair) for _ in range(4)]
    answers = at_once(
        [lambda b=browser: b.post(url, {"name": "Missed appointments"}) for browser in browsers]
    )
    assert [answer.status_code for answer in answers] == [302] * 4
    assert Tag.objects.filter(name="Missed appointments").count() == 1


def test_two_presses_of_a_pdf_at_the_same_moment_queue_one_copy(settings, monkeypatch):
    """Both presses look for a copy on its way before either has added one (held there until
    both have looked): the second waits for the first to finish asking, then finds its copy."""
    settings.TASKS = DATABASE_TASKS
    audit = AuditFactory()
    CaseFactory(audit=audit, label="Case 1")
    chair = member(audit, Role.CHAIR)
    url = reverse("case_pack_pdf", args=[audit.pk])
    both_looked = threading.Barrier(2, timeout=3)
    save = RequestedDocument.save

    def save_once_both_looked(document, *args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):  # the other one waits its turn
            both_looked.wait()
        return save(document, *args, **kwargs)

    monkeypatch.setattr(RequestedDocument, "save", save_once_both_looked)
    first, second = browser_of(chair), browser_of(chair)
    answers = at_once([lambda: first.get(url), lambda: second.get(url)])
    assert [answer.status_code for answer in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    assert RequestedDocument.objects.count() == 1
