"""Two application servers and one background worker as one installation (`make multi-host`).

Run by scripts/multi-host, which provides a throwaway PostgreSQL (DATABASE_URL), Redis
(CACHE_URL) and S3-compatible store (STORAGE_URL). This starts two gunicorn servers on different
loopback ports and one `manage.py db_worker`, then checks that a session made on one server is
valid on the other, a file uploaded through one downloads byte-identical through the other, an
email queued by one is sent by the worker, and an edit on one is seen on the other at once.
Every process it starts is stopped, whatever happens.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PORTS = [int(port) for port in os.environ.get("MULTIHOST_PORTS", "24361,24362").split(",")]
PASSWORD = "correct-horse-battery-staple"  # tests.factories.PASSWORD

SEED = """
import json
from django.urls import reverse
from cases.models import Audit
from maca.models import Membership
from tests.factories import AgencyFactory, AuditFactory, CaseFactory, MembershipFactory, UserFactory

audit = AuditFactory(status=Audit.Status.SUBMISSIONS, title="Two servers")
agency = AgencyFactory(name="Housing Trust")
audit.agencies.add(agency)
case = CaseFactory(audit=audit, label="Case 1")
case.agencies.add(agency)
chair = UserFactory(username="chair", first_name="Cleo", last_name="Chair")
MembershipFactory(user=chair, partnership=audit.partnership, role=Membership.Role.CHAIR)
scope = [audit.pk, case.pk, agency.pk]
print(json.dumps({
    "login": reverse("login"),
    "home": reverse("home"),
    "members": reverse("audit_members", args=[audit.pk]),
    "chronology": reverse("agency_chronology", args=scope),
    "upload": reverse("chronology_file_upload", args=scope),
    "download": reverse("chronology_file_download", args=[audit.pk, 0]).replace("/0/", "/"),
}))
"""


def minimal_pdf(text: str) -> bytes:
    """A small, valid one-page PDF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def environment(folder: Path) -> dict[str, str]:
    for name in ("DATABASE_URL", "CACHE_URL", "STORAGE_URL"):
        if not os.environ.get(name):
            sys.exit(f"{name} is not set: run this through scripts/multi-host.")
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "multi-host-" + "k" * 50,  # the same on every server, as in production
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "MFA_ENFORCED": "0",
        "STATIC_FROM_FINDERS": "1",
        "MEDIA_ROOT": str(folder / "media"),
        "UPLOAD_TEMP_DIR": str(folder / "upload-tmp"),
        "TASKS_BACKEND": "database",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(folder / "sent-emails"),
        "SITE_URL": f"http://127.0.0.1:{PORTS[0]}",
        "LOG_LEVEL": "WARNING",
    }


def step(message: str) -> None:
    print(f"multi-host: {message}", flush=True)


def wait_until(condition, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = condition()
        except requests.RequestException:
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}")


def csrf_post(session: requests.Session, url: str, data: dict, **kwargs) -> requests.Response:
    data = {**data, "csrfmiddlewaretoken": session.cookies.get("csrftoken", "")}
    return session.post(url, data=data, allow_redirects=False, **kwargs)


def check(servers: list[str], urls: dict, sent_emails: Path) -> None:
    first, second = servers
    browser = requests.Session()  # cookies for 127.0.0.1 go to either port, as behind nginx

    browser.get(first + urls["login"])
    signed_in = csrf_post(
        browser, first + urls["login"], {"username": "chair", "password": PASSWORD}
    )
    assert signed_in.status_code == 302, f"sign-in on the first server: {signed_in.status_code}"
    page = browser.get(second + urls["home"], allow_redirects=False)
    assert page.status_code == 200 and "Cleo" in page.text, "the session is not valid on the second"
    step("a session made on one server is valid on the other")

    browser.get(first + urls["chronology"])  # the upload form, and its CSRF cookie
    content = minimal_pdf("Made on two servers")
    uploaded = csrf_post(
        browser,
        first + urls["upload"],
        {},
        files={"document": ("chronology.pdf", content, "application/pdf")},
    )
    assert uploaded.status_code == 302, f"upload through the first server: {uploaded.status_code}"
    listing = browser.get(second + urls["chronology"]).text
    file_id = re.search(re.escape(urls["download"]) + r"(\d+)/", listing).group(1)
    download = browser.get(f"{second}{urls['download']}{file_id}/")
    assert download.status_code == 200, f"download through the second: {download.status_code}"
    assert hashlib.sha256(download.content).digest() == hashlib.sha256(content).digest()
    step("a file uploaded through one server downloads byte-identical through the other")

    browser.get(second + urls["members"])
    added = csrf_post(
        browser,
        second + urls["members"],
        {"email": "new.person@example.org", "name": "Nia Person", "role": "qa_member"},
    )
    assert added.status_code == 302, f"adding a member on the second server: {added.status_code}"
    assert "new.person@example.org" in browser.get(first + urls["members"]).text
    step("an edit on one server is seen on the other at once")

    def invitation_sent():
        for path in sent_emails.glob("*"):
            text = path.read_text()
            if "To: new.person@example.org" in text and "X-MACA-Idempotency-Key" in text:
                return True
        return False

    wait_until(invitation_sent, "the worker to send the invitation", seconds=30)
    step("an email queued by a server is sent by the worker")

    for server in servers:
        ready = requests.get(server + "/readyz", timeout=10).json()
        assert ready == {
            "status": "ok",
            "database": "ok",
            "cache": "ok",
            "storage": "ok",
            "tasks": "ok",
        }, ready
    step("both servers are ready: database, Redis cache, object store and task queue")


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(143))
    started = time.monotonic()
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="maca-multihost.") as folder:
        env = environment(Path(folder))
        logs = Path(folder) / "logs"
        logs.mkdir()

        def start(name: str, command: list[str]) -> None:
            log = open(logs / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
            processes.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            )

        try:
            manage = [PYTHON, "manage.py"]
            subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)  # fmt: skip
            seeded = subprocess.run([*manage, "shell", "-c", SEED], cwd=ROOT, env=env,
                                    check=True, capture_output=True, text=True)  # fmt: skip
            urls = json.loads(seeded.stdout.strip().splitlines()[-1])
            gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")
            for port in PORTS:
                start(f"gunicorn-{port}", [gunicorn, "maca.wsgi", "--bind", f"127.0.0.1:{port}",
                                           "--workers", "1", "--timeout", "60"])  # fmt: skip
            start("worker", [*manage, "db_worker", "--interval", "0.2", "--no-startup-delay"])
            servers = [f"http://127.0.0.1:{port}" for port in PORTS]
            for server in servers:
                wait_until(
                    lambda s=server: requests.get(s + "/healthz", timeout=5).ok,
                    f"{server} to start",
                    seconds=90,
                )
            step(f"two servers on ports {PORTS[0]} and {PORTS[1]} and one worker started")
            check(servers, urls, Path(env["EMAIL_FILE_PATH"]))
        except Exception as failure:
            print(f"multi-host: FAILED: {failure}", file=sys.stderr)
            if isinstance(failure, subprocess.CalledProcessError):
                print(failure.stderr or "", file=sys.stderr)
            for log in sorted(logs.glob("*.log")):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
            return 1
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    step(f"passed in {time.monotonic() - started:.0f} s; everything it started is stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
