"""The background import's housekeeping on its own: how long an outcome is kept, which stopped
imports are queued again, and who may see an import."""

from __future__ import annotations

import datetime
import io
import logging

import pytest
from django.core.management import call_command
from django.utils import timezone

from actions import imports
from actions.imports import may_see, unfinished_imports_retry
from actions.models import PackageImport
from maca.models import Membership

from .conftest import member
from .factories import UserFactory

pytestmark = pytest.mark.django_db
Status = PackageImport.Status


def job(*, ago=datetime.timedelta(0), finished_ago=None, status=Status.WAITING, **fields):
    made = PackageImport.objects.create(status=status, **fields)
    now = timezone.now()
    PackageImport.objects.filter(pk=made.pk).update(
        created_at=now - ago,
        finished_at=None if finished_ago is None else now - finished_ago,
    )
    return made


def test_an_outcome_is_kept_a_day_then_forgotten():
    hour = datetime.timedelta(hours=1)
    old_done = job(status=Status.DONE, finished_ago=imports.KEEP_FOR + hour)
    old_failed = job(status=Status.FAILED, finished_ago=imports.KEEP_FOR + hour)
    recent = job(status=Status.DONE, finished_ago=imports.KEEP_FOR - hour)
    waiting = job(ago=imports.KEEP_FOR * 3)
    assert imports.finished_imports_forget() == 2
    kept = set(PackageImport.objects.values_list("pk", flat=True))
    assert kept == {recent.pk, waiting.pk}
    assert old_done.pk not in kept and old_failed.pk not in kept


def test_the_retry_command_every_few_minutes_forgets_outcomes_over_a_day_old():
    """Outcomes are not kept until someone next imports a package: the problems of a failed one
    may quote the package's text."""
    job(status=Status.FAILED, finished_ago=imports.KEEP_FOR + datetime.timedelta(minutes=1))
    out = io.StringIO()
    call_command("retry_imports", stdout=out)
    assert "Deleted 1 outcomes of imports finished over a day ago" in out.getvalue()
    assert not PackageImport.objects.exists()


def test_imports_stopped_mid_way_are_queued_again_once_they_are_late(monkeypatch, caplog):
    queued = []
    monkeypatch.setattr(imports, "_enqueue", queued.append)
    minute = datetime.timedelta(minutes=1)
    late = job(ago=imports.RETRY_AFTER + minute)
    working = job(ago=imports.RETRY_AFTER + minute, status=Status.WORKING)
    job(ago=imports.RETRY_AFTER - minute)  # still within its time
    job(ago=imports.RETRY_AFTER * 2, status=Status.DONE)
    job(ago=imports.RETRY_AFTER * 2, status=Status.FAILED)
    assert unfinished_imports_retry() == 2
    assert sorted(queued) == sorted([late.pk, working.pk])
    queued.clear()
    assert unfinished_imports_retry(older_than=datetime.timedelta(0)) == 3

    def refuse(import_id):
        raise ConnectionError("no queue")

    monkeypatch.setattr(imports, "_enqueue", refuse)
    with caplog.at_level(logging.ERROR):
        assert unfinished_imports_retry() == 2
    assert f"Could not queue import {late.pk} again" in caplog.text


def test_an_import_is_not_made_for_a_chair_whose_account_was_deactivated_since(audit, chair):
    queued = job(requested_by=chair, partnership=audit.partnership)
    chair.is_active = False
    chair.save(update_fields=["is_active"])
    assert not may_see(chair, queued)
    imports.package_import_run(import_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == Status.FAILED and queued.audit is None


def test_an_import_is_seen_only_by_the_chair_who_asked_while_they_chair(audit, chair):
    mine = job(requested_by=chair, partnership=audit.partnership)
    assert may_see(chair, mine)
    other_chair = member(audit, Membership.Role.CHAIR)
    assert not may_see(other_chair, mine)
    operators = job(partnership=audit.partnership)
    assert not may_see(chair, operators)
    qa = member(audit, Membership.Role.QA_MEMBER)
    assert not may_see(qa, job(requested_by=qa, partnership=audit.partnership))
    assert not may_see(UserFactory(), mine)
