"""`make run`: the links in its emails point where it serves."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def runserver_line(*args, **env) -> str:
    environment = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", *args],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return next(line for line in result.stdout.splitlines() if "runserver" in line)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_passes_its_port_into_site_url():
    assert "SITE_URL=http://127.0.0.1:8123 " in runserver_line("PORT=8123")
    assert "runserver 127.0.0.1:8123" in runserver_line("PORT=8123")
    # A SITE_URL given by the user wins.
    assert "SITE_URL=https://maca.example.org " in runserver_line(
        "PORT=8123", SITE_URL="https://maca.example.org"
    )
