"""/healthz says the process is up; /readyz says whether what a page needs answers."""

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.storage]


def test_liveness_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("health"))
    assert response.json() == {"status": "ok"}


def test_readiness_names_each_part_that_answers(client):
    response = client.get(reverse("readiness"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "storage": "ok",
    }


def _broken(*args, **kwargs):
    raise OSError("connection refused")


@pytest.mark.parametrize(
    "part, target, name", [("database", connection, "cursor"), ("storage", None, "exists")]
)
def test_readiness_is_503_and_names_the_part_that_does_not_answer(
    client, monkeypatch, part, target, name
):
    if target is None:  # the storage in use, local folder or object store
        default_storage.exists("set-up")
        target = default_storage._wrapped
    monkeypatch.setattr(target, name, _broken)
    response = client.get(reverse("readiness"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body[part] == "unavailable"
    assert [p for p, state in body.items() if state == "unavailable"] == ["status", part]
    assert "connection refused" not in response.content.decode()  # the reason is only logged


def test_a_cache_that_does_not_answer_leaves_the_server_in_service(client, monkeypatch):
    """Pages are built without the cache: the load balancer must not drop every server."""
    monkeypatch.setattr(cache, "get", _broken)
    response = client.get(reverse("readiness"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "unavailable",
        "storage": "ok",
    }


def test_readiness_names_the_task_queue_when_jobs_wait_in_the_database(
    client, settings, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    assert client.get(reverse("readiness")).json()["tasks"] == "ok"

    def broken(*args, **kwargs):
        raise OSError("relation does not exist")

    with monkeypatch.context() as patched:
        patched.setattr(type(DBTaskResult.objects.all()), "exists", broken)
        response = client.get(reverse("readiness"))
    assert response.status_code == 200 and response.json()["tasks"] == "unavailable"
    assert response.json()["status"] == "degraded" and response.json()["database"] == "ok"


def test_readiness_says_when_jobs_wait_for_a_worker_that_takes_none(client, settings):
    import datetime

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from maca.views import TASK_WAIT_MINUTES

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    job = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="documents.tasks.make_requested_document",
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
    )
    assert client.get(reverse("readiness")).json()["tasks"] == "ok"  # just queued
    waited = timezone.now() - datetime.timedelta(minutes=TASK_WAIT_MINUTES + 1)
    DBTaskResult.objects.filter(pk=job.pk).update(enqueued_at=waited, run_after=waited)
    response = client.get(reverse("readiness"))
    assert response.status_code == 200
    assert response.json()["tasks"] == "waiting" and response.json()["status"] == "degraded"
    DBTaskResult.objects.filter(pk=job.pk).update(status="RUNNING")
    assert client.get(reverse("readiness")).json()["tasks"] == "ok"  # a worker took it


def test_a_health_check_sent_straight_to_a_server_over_http_is_answered(client, settings):
    """A load balancer asks each server directly, without nginx's X-Forwarded-Proto."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("readiness")).status_code == 200
    assert client.get(reverse("health")).status_code == 200
    assert client.get(reverse("login")).status_code == 301  # every page else goes to https
