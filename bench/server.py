"""Figures measured against a real server: gunicorn with 2 workers on this machine only.

Traffic goes to 127.0.0.1 only, in a fixed number of requests, and the server is stopped after.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 20
UPLOAD_BYTES = 50 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_gunicorn(port: int, media: Path, **settings: str) -> subprocess.Popen:
    from run import BENCH_SECRET_KEY

    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_FROM_FINDERS": "1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "MEDIA_ROOT": str(media),
        "UPLOAD_MAX_MB": "64",
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "maca.wsgi",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timeout",
        "120",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _, _ = _get(port, "/healthz")
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def _get(port, path, cookie=""):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    headers = {"Set-Cookie": "; ".join(response.msg.get_all("Set-Cookie") or [])}
    connection.close()
    return response.status, elapsed, (body, headers)


def _load(port, path, cookie, total) -> tuple[float, list[float]]:
    """`total` GETs from CONCURRENCY threads: requests per second and each latency."""
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [total]
    failures = []

    def worker():
        while True:
            with lock:
                if remaining[0] == 0:
                    return
                remaining[0] -= 1
            status, elapsed, _ = _get(port, path, cookie)
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    failures.append(status)

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} requests to {path} failed: {failures[:5]}")
    return total / elapsed, latencies


def _session_cookie(username: str) -> str:
    """A signed-in session that has passed two-step sign-in, as a chair's must in production."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from maca.models import User

    user = User.objects.get(username=username)
    device, _ = TOTPDevice.objects.get_or_create(
        user=user, name="Authenticator app", defaults={"confirmed": True}
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    # A browser signed in also holds the CSRF cookie its sign-in form gave it.
    client.get("/")
    return (
        f"sessionid={client.cookies['sessionid'].value}; "
        f"csrftoken={client.cookies['csrftoken'].value}"
    )


def _worker_peaks(server) -> dict[int, int]:
    """Peak resident memory (kB) of each gunicorn worker."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    peaks = {}
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks[int(pid)] = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    return peaks


def _upload(port, cookie, audit, case, agency, size) -> int:
    from django.urls import reverse

    page = reverse("agency_chronology", args=[audit.pk, case.pk, agency.pk])
    status, _, (body, headers) = _get(port, page, cookie)
    assert status == 200, status
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    boundary = "----macabench"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f'{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    row = b"2026-01-01,A home visit was made and the family was seen together,Housing\n"
    rows = size // len(row)

    def body_chunks():
        yield head
        yield b"Date,Event,Source agency\n"
        for _ in range(rows // 1000):
            yield row * 1000
        yield tail

    length = len(head) + len(b"Date,Event,Source agency\n") + (rows // 1000) * 1000 * len(row)
    length += len(tail)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request(
        "POST",
        reverse("chronology_file_upload", args=[audit.pk, case.pk, agency.pk]),
        body=body_chunks(),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length),
            "Cookie": cookie,
            "Referer": f"http://127.0.0.1:{port}{page}",
        },
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def _heaviest_page(port, cookie, audit) -> str:
    """Of the pages a chair uses most, the one that serves the fewest requests per second."""
    pages = [
        "/",
        f"/audits/{audit.pk}/",
        f"/audits/{audit.pk}/briefing/",
        "/actions/",
        f"/audits/{audit.pk}/actions/",
    ]
    rates = {page: [] for page in pages}
    for page in pages:
        _load(port, page, cookie, CONCURRENCY)  # warm up
    for _ in range(3):  # in turns, so that a slow spell weighs on every page alike
        for page in pages:
            rates[page].append(_load(port, page, cookie, 3 * CONCURRENCY)[0])
    rates = {page: statistics.median(values) for page, values in rates.items()}
    print("requests/s per page: " + ", ".join(f"{p} {r:.0f}" for p, r in rates.items()))
    return min(rates, key=rates.get)


def _in_turns(port, cookie, page, requests, turns=5) -> dict:
    """The bare view (anonymous, then signed in) and the page, `requests` each, in turns: a
    shared machine's slow spells weigh on all three alike, and each turn gives one ratio."""
    each = requests // turns
    rounds = {"rps": [], "latencies": []}
    for _ in range(turns):
        bare_rps, _ = _load(port, "/healthz", "", each)
        signed_in_rps, _ = _load(port, "/healthz", cookie, each)
        page_rps, latencies = _load(port, page, cookie, each)
        rounds["rps"].append((bare_rps, signed_in_rps, page_rps))
        rounds["latencies"].extend(latencies)
    return rounds


def server_figures(folder: Path, *, quick: bool) -> dict:
    """Pages as the product serves them: every page is built for its request."""
    from cases.models import Audit
    from maca.models import Agency

    requests = 100 if quick else 1000
    audit = Audit.objects.get(theme__name="Neglect and housing", reaudit_of__isnull=True)
    cookie = _session_cookie("chair")
    port = _free_port()
    server = _start_gunicorn(port, folder / "media")
    try:
        _load(port, "/healthz", "", CONCURRENCY)  # warm both workers up
        page = _heaviest_page(port, cookie, audit)
        rounds = _in_turns(port, cookie, page, requests)
        bare_rps, signed_in_bare_rps, page_rps = (
            statistics.median(figures) for figures in zip(*rounds["rps"], strict=True)
        )
        page_over_bare = statistics.median(page / bare for bare, _, page in rounds["rps"])
        page_over_signed_in = statistics.median(page / signed for _, signed, page in rounds["rps"])
        p99 = statistics.quantiles(rounds["latencies"], n=100)[98] * 1000

        in_progress = Audit.objects.get(theme__name="Domestic abuse and young parents")
        case = in_progress.cases.order_by("order").first()
        housing = Agency.objects.get(name="Housing")
        before = _worker_peaks(server)
        size = UPLOAD_BYTES // 10 if quick else UPLOAD_BYTES
        status = _upload(port, _session_cookie("housing"), in_progress, case, housing, size)
        after = _worker_peaks(server)
        growth = max(after[pid] - before.get(pid, after[pid]) for pid in after) / 1024
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"bare view: {bare_rps:.0f} requests/s ({signed_in_bare_rps:.0f} signed in); "
        f"heaviest page {page}: {page_rps:.0f} requests/s"
    )
    print(f"upload of {size // (1024 * 1024)} MB answered {status}")

    return {
        "page_over_bare_rps": round(page_over_bare, 3),
        "page_over_signed_in_bare_rps": round(page_over_signed_in, 3),
        "p99_ms": round(p99, 1),
        "upload_rss_growth_mib": round(growth, 1),
    }
