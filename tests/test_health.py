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


@pytest.mark.parametrize(
    "part, target, name",
    [
        ("database", connection, "cursor"),
        ("cache", cache, "get"),
        ("storage", None, "exists"),
    ],
)
def test_readiness_is_503_and_names_the_part_that_does_not_answer(
    client, monkeypatch, part, target, name
):
    def broken(*args, **kwargs):
        raise OSError("connection refused")

    if target is None:  # the storage in use, local folder or object store
        default_storage.exists("set-up")
        target = default_storage._wrapped
    monkeypatch.setattr(target, name, broken)
    response = client.get(reverse("readiness"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body[part] == "unavailable"
    assert [p for p, state in body.items() if state == "unavailable"] == ["status", part]
    assert "connection refused" not in response.content.decode()  # the reason is only logged


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

    monkeypatch.setattr(type(DBTaskResult.objects.all()), "exists", broken)
    response = client.get(reverse("readiness"))
    assert response.status_code == 503 and response.json()["tasks"] == "unavailable"
    assert response.json()["database"] == "ok"
