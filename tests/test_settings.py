import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def check_with(environment: dict, *options: str) -> subprocess.CompletedProcess:
    """`manage.py check` (with `options`) in a process of its own, under `environment`."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", *options],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def run_check(**env):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "SITE_URL"}
    }
    environment.update(env)
    return check_with(environment)


def test_the_app_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = run_check(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr.splitlines()[-1]


def test_the_app_refuses_to_start_without_its_address_when_debug_is_off():
    result = run_check(DEBUG="0", SECRET_KEY="k" * 50)
    assert result.returncode != 0
    assert "SITE_URL is not set" in result.stderr
    assert "Traceback" not in result.stderr.splitlines()[-1]
    assert (
        run_check(DEBUG="0", SECRET_KEY="k" * 50, SITE_URL="https://maca.example.org").returncode
        == 0
    )
    no_scheme = run_check(DEBUG="0", SECRET_KEY="k" * 50, SITE_URL="maca.example.org")
    assert "SITE_URL must be the site's whole address" in no_scheme.stderr


def test_a_mistyped_boolean_is_reported_by_name():
    result = run_check(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_a_sign_in_limit_below_one_is_refused():
    for name in ("LOGIN_FAILURE_LIMIT", "LOGIN_FAILURE_LIMIT_PER_NAME"):
        result = run_check(DEBUG="1", **{name: "0"})
        assert result.returncode != 0
        assert "must be at least 1" in result.stderr, name


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 50,
    "SITE_URL": "https://maca.example.org",
    "SECURE_SSL_REDIRECT": "1",
}


@pytest.mark.parametrize(
    "name, value, said",
    [
        ("UPLOAD_MAX_MB", "-5", "UPLOAD_MAX_MB must be from 1 to 1024; got '-5'."),
        ("UPLOAD_MAX_MB", "0", "UPLOAD_MAX_MB must be from 1 to 1024"),
        ("RETENTION_YEARS", "0", "RETENTION_YEARS must be from 1 to 100"),
        ("SESSION_IDLE_MINUTES", "0", "SESSION_IDLE_MINUTES must be from 5 to 1440"),
        ("LOGIN_LOCKOUT_MINUTES", "0", "LOGIN_LOCKOUT_MINUTES must be from 1 to 10080"),
        ("INVITATION_DAYS", "0", "INVITATION_DAYS must be from 1 to 365"),
        ("EMAIL_PORT", "70000", "EMAIL_PORT must be from 1 to 65535"),
        ("RAG_AMBER_DAYS", "-1", "RAG_AMBER_DAYS must be from 0 to 3650"),
        ("REMINDER_DAYS_BEFORE", "99999999999", "REMINDER_DAYS_BEFORE must be from 0 to 365"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL."),
        ("DATABASE_URL", "postgress://maca@db/maca", "DATABASE_URL must look like postgres://"),
        ("SITE_URL", "http://maca.example.org", "SITE_URL must start https:// while"),
        ("SITE_URL", "https://maca.example.org/maca", "with no path"),
    ],
)
def test_a_setting_out_of_its_range_stops_the_start_by_name(name, value, said):
    result = run_check(**{**PRODUCTION, name: value})
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert said in last, result.stderr
    assert last.startswith("django.core.exceptions.ImproperlyConfigured")


def setting_shown(expression: str, environment: dict) -> str:
    """`expression` (of `settings`) as the settings module makes it under `environment`, in a
    process of its own."""
    shown = f"from django.conf import settings; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {shown}"],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "maca.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_production_answers_to_the_name_in_its_address_unless_told_others():
    def hosts(**env):
        environment = {k: v for k, v in os.environ.items() if k != "ALLOWED_HOSTS"}
        return setting_shown("settings.ALLOWED_HOSTS", {**environment, **PRODUCTION, **env})

    assert hosts() == "['maca.example.org']"
    assert (
        hosts(ALLOWED_HOSTS="a.example.org,b.example.org") == "['a.example.org', 'b.example.org']"
    )
    # Plain http for a server on this computer, where nothing sends requests on to https.
    assert hosts(SITE_URL="http://127.0.0.1:8000", SECURE_SSL_REDIRECT="0") == "['127.0.0.1']"


def test_an_email_backend_that_does_not_load_is_named_by_the_check():
    result = run_check(DEBUG="1", EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackned")
    assert result.returncode != 0
    assert "EMAIL_BACKEND 'django.core.mail.backends.smtp.EmailBackned' could not be loaded" in (
        result.stderr
    )


def test_the_deployment_check_warns_when_two_step_sign_in_is_not_required():
    environment = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    environment.update(PRODUCTION, MFA_ENFORCED="0")
    result = check_with(environment, "--deploy", "--fail-level", "WARNING")
    assert "maca.W001" in result.stderr and "MFA_ENFORCED is off" in result.stderr
    assert result.returncode != 0


@pytest.mark.django_db
def test_an_earlier_secret_key_keeps_its_sessions_valid(settings):
    """A new SECRET_KEY, with the old one in SECRET_KEY_FALLBACKS, signs nobody out; without
    it, everyone signed in under the old key is signed out."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_user("rotating", password="x-Long-enough-9")
    kept, dropped = Client(), Client()
    for client in (kept, dropped):
        client.force_login(user)
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-" + "n" * 40
    settings.SECRET_KEY_FALLBACKS = [old]
    assert kept.get("/").status_code == 200  # still signed in, and now under the new key
    settings.SECRET_KEY_FALLBACKS = []
    assert kept.get("/").status_code == 200
    assert dropped.get("/").status_code == 302


def test_debug_mode_starts_without_a_secret_key():
    assert run_check(DEBUG="1").returncode == 0


def test_uk_language_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "en-gb"
    assert settings.TIME_ZONE == "Europe/London"


def test_a_server_starts_even_when_the_pdf_renderer_cannot_load(monkeypatch, caplog):
    import weasyprint

    from maca.pdf import load_renderer

    def missing_library(*args, **kwargs):
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(weasyprint, "HTML", missing_library)
    load_renderer()
    assert "The PDF renderer could not be loaded: cannot load library" in caplog.text


def test_the_wsgi_application_loads_with_the_renderer():
    import maca.wsgi

    assert callable(maca.wsgi.application)


def test_a_cache_url_that_is_not_redis_is_refused():
    result = run_check(DEBUG="1", CACHE_URL="memcached://127.0.0.1:11211")
    assert result.returncode != 0
    assert "CACHE_URL must be a redis://, rediss:// or unix:// URL." in result.stderr


def test_a_cache_key_prefix_that_could_not_be_a_key_is_refused():
    result = run_check(DEBUG="1", CACHE_KEY_PREFIX="north shire")
    assert result.returncode != 0
    assert "CACHE_KEY_PREFIX must be 1 to 50 letters" in result.stderr


def test_a_redis_cache_url_selects_the_redis_backend():
    result = run_check(DEBUG="1", CACHE_URL="redis://127.0.0.1:6379/1")
    assert result.returncode == 0, result.stderr


def test_json_log_format_writes_one_json_object_a_line():
    import json

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, logging; django.setup(); logging.getLogger('maca').warning('hello')",
        ],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "maca.settings", "LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        check=True,
    )
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "hello"
    assert record["level"] == "WARNING" and record["logger"] == "maca"


def test_an_unknown_log_format_is_refused():
    result = run_check(DEBUG="1", LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json." in result.stderr


SIMULTANEOUS_WRITERS = """
import threading
import django
from django.db import connection, transaction

django.setup()
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE counter (n integer)")
    cursor.execute("INSERT INTO counter VALUES (0)")
    cursor.execute("PRAGMA journal_mode")
    print(cursor.fetchone()[0])
    cursor.execute("PRAGMA synchronous")
    print(cursor.fetchone()[0])
failures = []


def writer():
    try:
        for _ in range(40):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT n FROM counter")  # read, then write what was read
                (n,) = cursor.fetchone()
                cursor.execute("UPDATE counter SET n = %s", [n + 1])
    except Exception as error:
        failures.append(repr(error))
    finally:
        connection.close()


threads = [threading.Thread(target=writer) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT n FROM counter")
    print(cursor.fetchone()[0], failures)
"""


def test_on_sqlite_simultaneous_saves_wait_their_turn_and_none_is_lost(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'shared.sqlite3'}",
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="maca.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", SIMULTANEOUS_WRITERS],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    journal, synchronous, outcome = result.stdout.split("\n", 2)
    assert journal == "wal" and synchronous == "2"  # 2: FULL, each commit on the disk
    assert outcome.strip() == "160 []"
