"""A chair's audit package is imported by the background worker: the page keeps the file and
queues the import, then shows how it goes and its outcome, to that chair alone. An import runs
once, whatever happens to its worker, and leaves no copy of the package behind."""

import io
import json

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from actions import imports
from actions.models import PackageImport
from cases.models import Audit
from maca.models import AccessLogEntry, Membership

from .conftest import member, stored_files
from .test_one_press import assert_same_answer, form_on, press_twice
from .test_package import VALID, bad, counts

pytestmark = pytest.mark.django_db
Role = Membership.Role
Status = PackageImport.Status
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def upload(content=VALID, name="past.json"):
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    return SimpleUploadedFile(name, raw, content_type="application/json")


def send(client, audit, content=VALID, **fields):
    return client.post(
        reverse("audit_import"),
        {"package": upload(content), "partnership": audit.partnership.pk, **fields},
    )


def progress(job) -> str:
    return reverse("audit_import_progress", args=[job.pk])


def imported() -> list[Audit]:
    return list(Audit.objects.filter(theme__name=VALID["theme"]["name"]))


@pytest.fixture
def queued(settings):
    """Imports wait in the database queue until the worker runs."""
    settings.TASKS = DATABASE_TASKS


def test_by_default_the_import_is_done_at_once_and_leads_to_the_audit(
    client, audit, chair, settings, django_capture_on_commit_callbacks
):
    assert settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend")
    client.force_login(chair)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, audit)
    [audit_imported] = imported()
    assert response["Location"] == reverse("audit_detail", args=[audit_imported.pk])
    page = client.get(response["Location"]).content.decode()
    assert f"Imported {VALID['theme']['name']} with its briefing." in page
    job = PackageImport.objects.get()
    assert job.status == Status.DONE and job.audit == audit_imported
    assert stored_files() == []  # the package is not kept once imported


def test_the_worker_imports_it_while_the_page_waits_and_then_shows_the_audit(
    client, audit, chair, queued, run_worker, django_capture_on_commit_callbacks
):
    client.force_login(chair)
    response = send(client, audit)
    job = PackageImport.objects.get()
    assert response["Location"] == progress(job)
    assert job.status == Status.WAITING and job.file.name.startswith("imports/")
    assert len(stored_files()) == 1
    page = client.get(progress(job)).content.decode()
    assert "Waiting to be imported" in page and 'hx-trigger="every 2s"' in page
    assert imported() == []

    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    job.refresh_from_db()
    [audit_imported] = imported()
    assert job.status == Status.DONE and job.audit == audit_imported and job.finished_at
    partial = client.get(progress(job), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in partial and "<html" not in partial  # it stops asking
    assert f"Imported {VALID['theme']['name']} with its briefing." in partial
    assert audit_imported.get_absolute_url() in partial
    assert stored_files() == [] and not job.file


def test_the_identifying_text_warning_is_shown_as_the_page_showed_it(
    client, audit, chair, queued, run_worker
):
    package = json.loads(json.dumps(VALID))
    package["cases"][0]["label"] = "Jayden Smith"
    package["recommendations"][0]["cases"] = ["Jayden Smith", "Case 2"]
    client.force_login(chair)
    job_url = send(client, audit, package, publish="on")["Location"]
    run_worker()
    page = client.get(job_url).content.decode()
    assert "alert-warning" in page
    assert "Its briefing was not published: 1 of its texts look as if they hold" in page


def test_a_package_with_problems_shows_them_on_the_progress_page_and_writes_nothing(
    client, audit, chair, queued, run_worker, django_capture_on_commit_callbacks
):
    client.force_login(chair)
    before = counts()
    many = bad(cases=[{"label": n} for n in range(120)])
    job_url = send(client, audit, many)["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    page = client.get(job_url).content.decode()
    assert "The package was not imported" in page
    assert page.count("is not of type") == 50
    assert "… and 70 more problems, listed once these are put right." in page
    assert "<code>$.cases[0].label</code>" in page
    assert f'href="{reverse("audit_import")}"' in page  # try again
    assert "hx-trigger" not in page
    assert counts() == before
    assert PackageImport.objects.get().status == Status.FAILED
    assert stored_files() == []


def test_a_failure_in_the_worker_is_logged_and_said_with_nothing_half_written(
    client, audit, chair, queued, run_worker, monkeypatch, caplog
):
    from actions import package as package_module

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(package_module, "_create_actions", explode)
    client.force_login(chair)
    before = counts()
    job_url = send(client, audit)["Location"]
    run_worker()
    page = client.get(job_url).content.decode()
    assert "The package could not be imported, and nothing of it was saved." in page
    assert "could not be imported" in caplog.text and "disk full" in caplog.text
    assert counts() == before
    assert PackageImport.objects.get().status == Status.FAILED


def test_a_second_press_queues_one_import(client, audit, chair, queued):
    client.force_login(chair)
    first, second = press_twice(
        client,
        reverse("audit_import"),
        changes={"partnership": str(audit.partnership.pk)},
        files={"package": upload},
    )
    assert_same_answer(first, second)
    assert PackageImport.objects.count() == 1 and DBTaskResult.objects.count() == 1
    assert len(stored_files()) == 1


def test_the_same_file_sent_from_a_second_tab_is_refused_naming_the_first_import(
    client, audit, chair, queued, run_worker
):
    client.force_login(chair)
    page = reverse("audit_import")
    first_tab, second_tab, third_tab = (form_on(client, page) for _ in range(3))
    sent = {"partnership": str(audit.partnership.pk)}
    first = client.post(page, {**first_tab, **sent, "package": upload()})
    job = PackageImport.objects.get()
    assert first["Location"] == progress(job)

    second = client.post(page, {**second_tab, **sent, "package": upload(name="copy.json")})
    assert second.status_code == 422
    refusal = second.content.decode()
    assert f"This file is already being imported into {audit.partnership.name}" in refusal
    assert f'<a href="{progress(job)}">See how that import goes</a>' in refusal
    assert 'name="publish"' in refusal  # the rest of the form is there to change
    assert PackageImport.objects.count() == 1

    run_worker()
    [audit_imported] = imported()
    third = client.post(page, {**third_tab, **sent, "package": upload()})
    assert third.status_code == 422
    refusal = third.content.decode()
    assert f"This file was already imported into {audit.partnership.name} on " in refusal
    assert f'<a href="{audit_imported.get_absolute_url()}">Open that audit</a>' in refusal
    run_worker()
    assert imported() == [audit_imported]


def test_the_task_run_twice_imports_once(client, audit, chair, queued, run_worker):
    client.force_login(chair)
    send(client, audit)
    job = PackageImport.objects.get()
    run_worker()
    imports.package_import_run(import_id=job.pk)  # the same job run again
    assert len(imported()) == 1
    assert PackageImport.objects.get().audit == imported()[0]


def test_an_import_whose_worker_stopped_is_queued_again_and_done_once(
    client, audit, chair, queued, run_worker
):
    client.force_login(chair)
    send(client, audit)
    job = PackageImport.objects.get()
    job.start()  # a worker took it, then was killed before it committed anything
    DBTaskResult.objects.update(status="RUNNING")  # the queue still thinks it runs
    run_worker()
    assert imported() == []

    out = io.StringIO()
    call_command("retry_imports", "--older-than", "0", stdout=out)
    assert "Queued 1 unfinished imports again" in out.getvalue()
    run_worker()
    assert len(imported()) == 1
    call_command("retry_imports", "--older-than", "0", stdout=out)  # nothing left to do
    run_worker()
    assert len(imported()) == 1 and PackageImport.objects.get().status == Status.DONE


def test_only_the_chair_who_asked_sees_the_progress_page(
    client, audit, chair, outsider, queued, run_worker
):
    client.force_login(chair)
    job_url = send(client, audit)["Location"]
    assert client.get(job_url).status_code == 200
    for other in (
        member(audit, Role.CHAIR),  # another chair of the same partnership
        member(audit, Role.QA_MEMBER),
        member(audit, Role.PARTNERSHIP_ADMIN),
        outsider,  # another partnership's chair
    ):
        client.force_login(other)
        assert client.get(job_url).status_code == 404
    chair.memberships.update(role=Role.QA_MEMBER)  # no longer chairs the partnership
    client.force_login(chair)
    assert client.get(job_url).status_code == 404


def test_a_chair_who_stopped_chairing_before_the_worker_ran_imports_nothing(
    client, audit, chair, queued, run_worker, django_capture_on_commit_callbacks
):
    client.force_login(chair)
    send(client, audit)
    chair.memberships.update(role=Role.QA_MEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
    assert imported() == []
    assert PackageImport.objects.get().status == Status.FAILED
    assert stored_files() == []


def test_an_operators_import_is_nobodys_page(audit, chair, client, tmp_path):
    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    call_command(
        "import_audit", str(path), "--partnership", audit.partnership.name, stdout=io.StringIO()
    )
    job = PackageImport.objects.get()
    assert job.status == Status.DONE and job.requested_by is None
    client.force_login(chair)
    assert client.get(progress(job)).status_code == 404


def test_looking_at_the_outcome_is_logged_under_the_imported_audit(client, audit, chair, queued):
    client.force_login(chair)
    job_url = send(client, audit)["Location"]
    imports.package_import_run(import_id=PackageImport.objects.get().pk)
    client.get(job_url)
    entry = AccessLogEntry.objects.filter(what="audit_import_progress").get()
    assert entry.audit_id == imported()[0].pk and entry.user == chair


def test_a_file_store_outage_says_so_and_keeps_nothing(client, audit, chair, monkeypatch):
    def unavailable(self, name, content):
        raise OSError("the file store is not answering")

    monkeypatch.setattr(FileSystemStorage, "_save", unavailable)
    client.force_login(chair)
    response = send(client, audit)
    page = response.content.decode()
    assert response.status_code == 422
    assert "The file could not be handled now, so nothing was imported." in page
    assert not PackageImport.objects.exists() and imported() == []


def test_a_queue_outage_says_so_and_keeps_nothing(client, audit, chair, queued, monkeypatch):
    from actions.tasks import import_package

    def unavailable(*args, **kwargs):
        raise ConnectionError("the queue is not answering")

    monkeypatch.setattr(type(import_package), "enqueue", unavailable)
    client.force_login(chair)
    response = send(client, audit)
    assert response.status_code == 422
    assert "The file could not be handled now" in response.content.decode()
    assert not PackageImport.objects.exists() and not DBTaskResult.objects.exists()
    assert stored_files() == []


def test_bad_input_is_still_refused_next_to_the_field_before_anything_is_queued(
    client, audit, chair
):
    client.force_login(chair)
    response = send(client, audit, b"")
    assert response.status_code == 422
    assert "The submitted file is empty." in response.content.decode()
    assert not PackageImport.objects.exists()


# The command ------------------------------------------------------------------------------------


def test_the_command_waits_and_says_which_partnership_it_used(
    audit, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "import_audit", str(path), "--partnership", audit.partnership.name.upper(), stdout=out
        )
    assert f"Into the partnership '{audit.partnership.name}'." in out.getvalue()
    assert f"Imported {VALID['theme']['name']} with 2 cases." in out.getvalue()
    assert "Agencies taking part: Housing, Police." in out.getvalue()
    imported = Audit.objects.exclude(pk=audit.pk).get()
    assert out.getvalue().endswith(f"\n{settings.SITE_URL}/audits/{imported.pk}/\n")
    assert stored_files() == []  # the package is not kept


def test_the_command_without_a_partnership_uses_the_packages(tmp_path):
    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    out = io.StringIO()
    call_command("import_audit", str(path), "--create-partnership", stdout=out)
    assert f"Into the partnership '{VALID['partnership']}' (created for this import)." in (
        out.getvalue()
    )
    assert imported()[0].partnership.name == VALID["partnership"]


def test_the_command_with_no_wait_only_queues_it(audit, tmp_path, queued, run_worker):
    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    out = io.StringIO()
    call_command("import_audit", str(path), "--partnership", "Westshire", "--create-partnership",
                 "--no-wait", stdout=out)  # fmt: skip
    job = PackageImport.objects.get()
    assert "Into the partnership 'Westshire' (to be created for this import)." in out.getvalue()
    assert f"Queued as import {job.pk}" in out.getvalue()
    assert imported() == [] and not Audit.objects.filter(partnership__name="Westshire").exists()
    run_worker()
    job.refresh_from_db()
    assert job.status == Status.DONE and job.partnership_created
    assert imported()[0].partnership.name == "Westshire"


@pytest.fixture
def waiting_command(monkeypatch):
    """The command asking every hundredth of a second, and saying at once that no worker has
    started the import."""
    from actions.management.commands import import_audit

    monkeypatch.setattr(import_audit, "WAIT_SECONDS", 0.01)
    monkeypatch.setattr(import_audit, "NOT_STARTED_HINT_SECONDS", 0)
    return import_audit


def test_the_command_stops_waiting_when_no_worker_runs_and_the_import_stays_queued(
    audit, tmp_path, queued, run_worker, waiting_command
):
    from django.core.management.base import CommandError

    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_audit", str(path), "--partnership", audit.partnership.name,
                     "--wait-minutes", "0.002", stdout=io.StringIO(), stderr=err)  # fmt: skip
    job = PackageImport.objects.get()
    assert str(refused.value) == (
        f"The worker has not finished it in 0.002 min. Import {job.pk} stays queued: the worker "
        "imports it when it runs (`manage.py db_worker`), and `manage.py import_audit --no-wait` "
        "queues without waiting."
    )
    assert f"Waiting for the worker to import it (import {job.pk})." in err.getvalue()
    assert "No worker has started it yet: is `manage.py db_worker` running?" in err.getvalue()
    assert job.status == Status.WAITING and imported() == []
    run_worker()
    job.refresh_from_db()
    assert job.status == Status.DONE and len(imported()) == 1


def test_the_command_says_no_worker_only_while_the_import_waits(
    audit, tmp_path, queued, waiting_command, monkeypatch
):
    """A worker that has started the import is running: no hint, however long it takes."""
    from django.core.management.base import CommandError

    real_queue = waiting_command.package_import_queue

    def queue_and_start(**kwargs):
        job = real_queue(**kwargs)
        PackageImport.objects.filter(pk=job.pk).update(status=Status.WORKING)
        return job

    monkeypatch.setattr(waiting_command, "package_import_queue", queue_and_start)
    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    err = io.StringIO()
    with pytest.raises(CommandError, match="has not finished it in 0.002 min"):
        call_command("import_audit", str(path), "--partnership", audit.partnership.name,
                     "--wait-minutes", "0.002", stdout=io.StringIO(), stderr=err)  # fmt: skip
    assert "No worker has started it" not in err.getvalue()


def test_ctrl_c_while_waiting_leaves_the_import_queued(
    audit, tmp_path, queued, waiting_command, monkeypatch
):
    from django.core.management.base import CommandError

    def interrupted(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(waiting_command.time, "sleep", interrupted)
    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    with pytest.raises(CommandError, match=r"^Stopped waiting\. Import \d+ stays queued"):
        call_command("import_audit", str(path), "--partnership", audit.partnership.name,
                     stdout=io.StringIO(), stderr=io.StringIO())  # fmt: skip
    assert PackageImport.objects.get().status == Status.WAITING


@pytest.mark.parametrize("minutes", ["0", "-1", "ten", "nan", "1441"])
def test_a_wait_that_is_not_a_number_of_minutes_is_refused_before_anything_is_queued(
    audit, tmp_path, minutes
):
    from django.core.management.base import CommandError

    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    with pytest.raises(CommandError, match="give a number of minutes from 0 to 1440"):
        call_command("import_audit", str(path), "--wait-minutes", minutes, stdout=io.StringIO())
    assert not PackageImport.objects.exists()


def test_a_wait_of_a_day_is_taken(audit, tmp_path):
    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    out = io.StringIO()
    call_command("import_audit", str(path), "--partnership", audit.partnership.name,
                 "--wait-minutes", "1440", stdout=out)  # fmt: skip
    assert f"Imported {VALID['theme']['name']} with 2 cases." in out.getvalue()


def test_a_failed_import_creates_no_partnership(tmp_path, monkeypatch):
    from django.core.management.base import CommandError

    from actions import package as package_module
    from maca.models import Partnership

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(package_module, "_create_actions", explode)
    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    with pytest.raises(CommandError, match="the package could not be imported"):
        call_command(
            "import_audit", str(path), "--partnership", "Eastshire", "--create-partnership",
            stdout=io.StringIO(),
        )  # fmt: skip
    assert not Partnership.objects.filter(name="Eastshire").exists()


def test_the_command_does_not_import_the_same_file_twice_into_a_partnership(audit, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "past.json"
    path.write_text(json.dumps(VALID))
    into = ("--partnership", audit.partnership.name)
    call_command("import_audit", str(path), *into, stdout=io.StringIO())
    with pytest.raises(CommandError) as refused:
        call_command("import_audit", str(path), *into, stdout=io.StringIO())
    assert f"past.json: This file was already imported into {audit.partnership.name} on " in (
        str(refused.value)
    )
    assert len(imported()) == 1


def test_a_wait_is_one_look_in_the_access_log_not_one_a_poll(client, audit, chair, queued):
    client.force_login(chair)
    job_url = send(client, audit)["Location"]
    looks = AccessLogEntry.objects.filter(what="audit_import_progress")
    client.get(job_url)
    assert looks.count() == 1  # the page opened
    for _ in range(3):
        assert "hx-trigger" in client.get(job_url, headers={"HX-Request": "true"}).content.decode()
    assert looks.count() == 1  # "not yet", three times
    imports.package_import_run(import_id=PackageImport.objects.get().pk)
    client.get(job_url, headers={"HX-Request": "true"})
    assert looks.count() == 2  # the outcome, naming the audit
