"""The production set-up in docs/deploy/ works as docs/deployment.md says: nginx accepts its
configuration, the environment file passes Django's deployment checks, and every command the
service files run exists."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class

from .test_settings import check_with

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def environment_file() -> dict[str, str]:
    """The example environment as systemd's EnvironmentFile reads it (quotes around a value
    taken off)."""
    lines = (DEPLOY / "environment.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {name: re.sub(r"^'(.*)'$|^\"(.*)\"$", r"\1\2", value) for name, value in pairs}


def test_the_shell_reads_the_example_environment_as_systemd_does():
    """scripts/manage and cron read the file with the shell: an unquoted & or ; would cut a
    value short there, and only there. Every commented example line is read too."""
    text = (DEPLOY / "environment.example").read_text()
    examples = re.sub(r"^# ([A-Z_]+=)", r"\1", text, flags=re.MULTILINE)
    expected = {
        name: re.sub(r"^'(.*)'$", r"\1", value)
        for name, value in re.findall(r"^([A-Z_]+)=(.*)$", examples, re.MULTILINE)
    }
    script = "set -a; . ./env; set +a; " + "; ".join(
        f'printf "%s=%s\\n" {name} "${name}"' for name in expected
    )
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "env").write_text(examples)
        result = subprocess.run(
            ["sh", "-c", script], cwd=folder, capture_output=True, text=True, check=True
        )
    read = dict(line.split("=", 1) for line in result.stdout.splitlines())
    assert read == expected


def settings_variables() -> set[str]:
    source = (ROOT / "maca" / "settings.py").read_text()
    found = re.findall(
        r'(?:env(?:_int|_bool|_list|_addresses)?\(|environ\.get\()\s*"([A-Z_]+)"', source
    )
    return set(found)


def test_every_variable_in_the_example_environment_is_one_maca_reads():
    unknown = set(environment_file()) - settings_variables()
    assert not unknown


def test_the_example_environment_passes_the_deployment_checks(tmp_path):
    environment = {
        "PATH": os.environ["PATH"],  # nothing else of the test run's own settings
        **environment_file(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SECRET_KEY": "k" * 20 + "-Ab3#" * 10,
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    result = check_with(environment, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr


def test_the_daily_service_runs_only_commands_that_exist():
    service = (DEPLOY / "maca-daily.service").read_text()
    commands = re.findall(r"manage\.py (\w+)", service)
    assert commands == [
        "send_reminders",
        "enforce_retention",
        "clearsessions",
        "prune_db_task_results",
    ]
    assert set(commands) <= set(get_commands())


@pytest.mark.parametrize(
    "unit, expected",
    [
        ("maca-worker.service", ["db_worker"]),
        ("maca-retry-emails.service", ["retry_emails", "retry_imports"]),
    ],
)
def test_the_worker_services_run_commands_that_accept_their_arguments(unit, expected, settings):
    assert environment_file()["TASKS_BACKEND"] == "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    service = (DEPLOY / unit).read_text()
    commands = re.findall(r"^ExecStart=\S+ manage\.py (.*)$", service, re.MULTILINE)
    assert [command.split()[0] for command in commands] == expected
    for command in commands:
        name, *arguments = command.split()
        parser = load_command_class(get_commands()[name], name).create_parser("manage.py", name)
        parser.parse_args(arguments)  # exits (fails the test) on an argument the command lacks


def test_gunicorn_accepts_the_application_servers_command_line():
    service = (DEPLOY / "maca.service").read_text().replace("\\\n", " ")
    command = re.search(r"^ExecStart=(.*)$", service, re.MULTILINE).group(1).split()
    assert command[0] == "/srv/maca/.venv/bin/gunicorn"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    result = subprocess.run(
        [gunicorn, *command[1:], "--check-config"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "--max-requests" in command


def test_a_worker_starts_with_what_it_loaded_set_aside_from_the_garbage_collector():
    probe = "import gc, maca.wsgi; print(gc.get_freeze_count())"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 50_000  # Django, every app's views, the PDF renderer


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is installed by make apt-test")
def test_nginx_accepts_the_example_configuration(tmp_path):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=maca.example.org", "-keyout", tmp_path / "privkey.pem", "-out",
         tmp_path / "fullchain.pem"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    site = (DEPLOY / "nginx.conf").read_text().replace("/etc/ssl/maca", str(tmp_path))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [NGINX, "-t", "-q", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "client_max_body_size 21m;" in site  # UPLOAD_MAX_MB (20) and the form around it
