import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "SITE_URL"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


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
