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
OPEN_LOOP_RATE = 40.0  # requests per second, sent on time whatever the answers' pace
OPEN_LOOP_SECONDS = 30
OPEN_LOOP_SENDERS = 64
SCALE_RUNS = 20  # requests per list page and person on the large installation
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
        "SITE_URL": "http://127.0.0.1",
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


def signed_in_client(username: str):
    """A test client signed in as `username`, past two-step sign-in as a chair's must be in
    production, holding the CSRF cookie a browser's sign-in form gives it."""
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
    client.get("/")
    return client


def _session_cookie(username: str) -> str:
    """The cookies of a browser signed in as `username` (see `signed_in_client`)."""
    client = signed_in_client(username)
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


def _heaviest_page(port, cookie, pages, *, quick: bool) -> str:
    """Of `pages`, the one that serves the fewest requests per second."""
    rates = {page: [] for page in pages}
    for page in pages:
        _load(port, page, cookie, 2 if quick else CONCURRENCY)  # warm up
    for _ in range(1 if quick else 3):  # in turns, so that a slow spell weighs on all alike
        for page in pages:
            rates[page].append(_load(port, page, cookie, 10 if quick else 60)[0])
    rates = {page: statistics.median(values) for page, values in rates.items()}
    print("requests/s per page: " + ", ".join(f"{p} {r:.0f}" for p, r in rates.items()))
    return min(rates, key=rates.get)


def _in_turns(port, cookie, page, requests, turns=5) -> list[tuple[float, float]]:
    """A minimal signed-in page (the health check, through the same middleware: session,
    sign-in, two-step sign-in) and `page`, `requests` each, in turns: a shared machine's slow
    spells weigh on both alike, and each turn gives one (bare, page) pair of requests/s."""
    each = requests // turns
    rounds = []
    for _ in range(turns):
        bare_rps, _ = _load(port, "/healthz", cookie, each)
        page_rps, _ = _load(port, page, cookie, each)
        rounds.append((bare_rps, page_rps))
    return rounds


def _open_loop(port, targets, rate: float, seconds: float) -> list[float]:
    """Requests sent at a fixed `rate` for `seconds`, whatever the pace of the answers, over
    `targets` ((path, cookie) pairs) in turn. Each latency counts from the moment its request
    was due, so a slow answer is not hidden by sending the next one later."""
    total = int(rate * seconds)
    latencies: list[float] = []
    failures: list[tuple[str, int]] = []
    lock = threading.Lock()
    taken = [0]
    start = time.perf_counter() + 0.5

    def sender():
        while True:
            with lock:
                index = taken[0]
                if index >= total:
                    return
                taken[0] += 1
            due = start + index / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            path, cookie = targets[index % len(targets)]
            status, _, _ = _get(port, path, cookie)
            finished = time.perf_counter()
            with lock:
                latencies.append(finished - due)
                if status != 200:
                    failures.append((path, status))

    threads = [threading.Thread(target=sender) for _ in range(OPEN_LOOP_SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} requests failed: {failures[:5]}")
    return latencies


def _centile(values, n: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[n - 1] * 1000


def heavy_pages(audit) -> list[str]:
    """The six heaviest pages, on the closed demo audit."""
    from django.urls import reverse

    case = audit.cases.order_by("order").first()
    return [
        reverse("home"),
        reverse("audit_detail", args=[audit.pk]),
        reverse("briefing_html", args=[audit.pk]),
        reverse("action_plan"),
        reverse("progress", args=[audit.pk]),
        reverse("integrated_chronology", args=[audit.pk, case.pk]),
    ]


def server_figures(folder: Path, *, quick: bool) -> dict:
    """Pages as the product serves them: every page is built for its request."""
    from cases.models import Audit
    from maca.models import Agency

    requests = 40 if quick else 1000
    audit = Audit.objects.get(theme__name="Neglect and housing", reaudit_of__isnull=True)
    pages = heavy_pages(audit)
    cookies = {username: _session_cookie(username) for username in ("chair", "qa", "housing")}
    figures = {}

    # Building, with nothing kept: Django's dummy cache.
    port = _free_port()
    server = _start_gunicorn(
        port,
        folder / "media",
        DJANGO_SETTINGS_MODULE="dummy_cache_settings",
        PYTHONPATH=str(Path(__file__).resolve().parent),
    )
    try:
        _load(port, "/healthz", "", CONCURRENCY)  # warm both workers up
        candidates = pages + [f"/audits/{audit.pk}/actions/"]
        page = _heaviest_page(port, cookies["chair"], candidates, quick=quick)
        rounds = _in_turns(port, cookies["chair"], page, requests)
    finally:
        server.terminate()
        server.wait(timeout=30)
    bare_rps, page_rps = (statistics.median(column) for column in zip(*rounds, strict=True))
    figures["built_page_over_signed_in_bare_rps"] = round(
        statistics.median(page / bare for bare, page in rounds), 3
    )
    print(
        f"minimal signed-in page: {bare_rps:.0f} requests/s; "
        f"heaviest page {page}: {page_rps:.0f} requests/s (dummy cache)"
    )

    # The settings as shipped: requests at a fixed rate, then a large upload.
    port = _free_port()
    server = _start_gunicorn(port, folder / "media")
    try:
        # Each page its reader may open (the closed demo audit's meeting pack, and so its
        # integrated chronology, is the chair's alone), each asked for once before timing.
        targets = [
            (path, cookie)
            for path in pages
            for cookie in cookies.values()
            if _get(port, path, cookie)[0] == 200
        ]
        seconds = 2 if quick else OPEN_LOOP_SECONDS
        latencies = _open_loop(port, targets, OPEN_LOOP_RATE, seconds)
        figures["open_loop_p95_ms"] = round(_centile(latencies, 95), 1)
        figures["open_loop_p99_ms"] = round(_centile(latencies, 99), 1)
        print(
            f"open loop: {len(latencies)} requests at {OPEN_LOOP_RATE:.0f}/s over "
            f"{len(targets)} pages of {len(pages)} kinds as chair, QA member and co-ordinator; "
            f"median {_centile(latencies, 50):.0f} ms"
        )

        in_progress = Audit.objects.get(theme__name="Domestic abuse and young parents")
        case = in_progress.cases.order_by("order").first()
        housing = Agency.objects.get(partnership=in_progress.partnership, name="Housing")
        before = _worker_peaks(server)
        size = UPLOAD_BYTES // 10 if quick else UPLOAD_BYTES
        status = _upload(port, cookies["housing"], in_progress, case, housing, size)
        after = _worker_peaks(server)
        growth = max(after[pid] - before.get(pid, after[pid]) for pid in after) / 1024
        print(f"upload of {size // (1024 * 1024)} MB answered {status}")
        figures["upload_rss_growth_mib"] = round(growth, 1)
        figures.update(_scale_figures(port, quick=quick))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return figures


def _scale_figures(port: int, *, quick: bool) -> dict:
    """List pages on a large installation (bench/scale.py) built beside the demo, as its chair
    and a co-ordinator, from the server on `port`: the most queries any runs, and the slowest
    one's 95th centile, one request at a time after each has been asked for once."""
    import scale
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    installation = scale.build(scale.QUICK if quick else scale.FULL)
    print(f"large installation built in {installation.seconds:.0f} s: {installation.counts}")
    people = {
        "chair": (installation.chair_username, scale.list_pages(installation)),
        "co-ordinator": (
            installation.coordinator_username,
            scale.list_pages(installation, coordinator=True),
        ),
    }
    queries = {}
    for role, (username, pages) in people.items():
        client = signed_in_client(username)
        for name, path in pages.items():
            with CaptureQueriesContext(connection) as captured:
                status = client.get(path).status_code
            assert status == 200, (role, name, status)
            queries[f"{name} ({role})"] = len(captured)

    runs = 2 if quick else SCALE_RUNS
    cookies = {role: _session_cookie(username) for role, (username, _) in people.items()}
    latencies: dict[str, list[float]] = {}
    for run in range(runs + 1):  # in turns, so that a slow spell weighs on every page alike
        for role, (_, pages) in people.items():
            for name, path in pages.items():
                status, elapsed, _ = _get(port, path, cookies[role])
                assert status == 200, (role, name, status)
                if run:  # the first turn warms the workers up
                    latencies.setdefault(f"{name} ({role})", []).append(elapsed)
    p95 = {page: _centile(values, 95) for page, values in latencies.items()}
    print("on the large installation, p95 ms and queries per page:")
    for page in p95:
        print(f"  {page:40} {p95[page]:6.0f} ms {queries[page]:3} queries")
    return {
        "scale_list_p95_ms": round(max(p95.values()), 1),
        "scale_max_queries": max(queries.values()),
    }
