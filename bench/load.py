"""MACA load test: simulated users reading and writing at once against gunicorn on PostgreSQL.

    scripts/with-postgres python bench/load.py                 # make load: 50 users, 60 seconds
    scripts/with-postgres python bench/load.py --users 10 --seconds 10
    scripts/with-postgres python bench/load.py --large   # beside years of data (bench/scale.py)

Each simulated user is signed in (a chair having passed two-step sign-in) and, until the time is
up or the request cap is reached, mixes the pages of their role with writes through the real
forms: QA members add findings, co-ordinators post progress updates on their agency's actions.
At the end, what the server acknowledged is counted against what the database holds. Prints one
line per figure and, last, one JSON line; exits non-zero on any error or lost write.
Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

MARK = "Load test"
MAX_REQUESTS = 100_000
REQUEST_TIMEOUT = 30


class FormReader(HTMLParser):
    """The fields of the first POST form sent to `action` (a form without an action attribute
    is sent to its own page, `page`), as a browser sends them."""

    def __init__(self, action: str, page: str):
        super().__init__()
        self.action, self.page, self.inside, self.found = action, page, False, False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.found and (attrs.get("action") or self.page) == self.action:
            self.inside = self.found = (attrs.get("method") or "").lower() == "post"
        elif self.inside and tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind != "file":
                self.fields[attrs["name"]] = attrs.get("value") or ""
        elif self.inside and tag == "textarea":
            self._textarea = attrs.get("name")
            self.fields[self._textarea] = ""
        elif self.inside and tag == "select":
            self._select = attrs.get("name")
        elif (
            self.inside
            and tag == "option"
            and self._select
            and ("selected" in attrs or self._select not in self.fields)
        ):
            self.fields[self._select] = attrs.get("value") or ""

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self.inside:
            self.inside = False


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    latencies: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    writes_sent: int = 0
    writes_acknowledged: int = 0

    def take_request(self) -> bool:
        with self.lock:
            if self.requests >= MAX_REQUESTS:
                return False
            self.requests += 1
            return True


class Browser:
    """One simulated user: a connection, their cookies, and a record of every answer."""

    def __init__(self, port: int, cookies: dict[str, str], tally: Tally):
        self.port, self.cookies, self.tally = port, dict(cookies), tally

    def request(self, method, path, body=None, expect=(200,)) -> tuple[int, str, dict]:
        if not self.tally.take_request():
            raise TimeoutError("request cap reached")
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        started = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            status = response.status
            for cookie in response.msg.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            location = response.getheader("Location") or ""
            connection.close()
        except OSError as error:
            with self.tally.lock:
                self.tally.errors.append(f"{method} {path}: {error!r}")
            return 0, "", {}
        elapsed = time.perf_counter() - started
        with self.tally.lock:
            self.tally.latencies.append(elapsed)
            if status not in expect:
                self.tally.errors.append(f"{method} {path}: {status}")
        return status, text, {"Location": location}

    def get(self, path):
        return self.request("GET", path)

    def submit(self, page_path, action, changes) -> bool:
        """Load the page, fill in its form as a person would and send it; True when accepted."""
        status, html, _ = self.get(page_path)
        if status != 200:
            return False
        reader = FormReader(action, page_path)
        reader.feed(html)
        if not reader.found:
            with self.tally.lock:
                self.tally.errors.append(f"no form for {action} on {page_path}")
            return False
        with self.tally.lock:
            self.tally.writes_sent += 1
        status, _, _ = self.request(
            "POST", action, urlencode({**reader.fields, **changes}), expect=(302, 303)
        )
        if status in (302, 303):
            with self.tally.lock:
                self.tally.writes_acknowledged += 1
            return True
        return False


@dataclass
class Plan:
    """What one simulated user reads and writes."""

    role: str
    reads: list[str]
    write: callable


def build_people(count: int) -> tuple[list[tuple[dict, Plan]], dict]:
    """Users of every role on the demo data, each signed in, with their reads and one write."""
    import datetime

    from django.core.management import call_command
    from django.urls import reverse
    from server import _session_cookie  # noqa: PLC0415

    from actions.models import Action
    from cases.models import Audit
    from maca.models import Agency, Membership, User

    call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
    reporting = Audit.objects.get(theme__name="Child exploitation")
    published = Audit.objects.get(theme__name="Neglect and housing", reaudit_of__isnull=True)
    housing = Agency.objects.get(partnership=reporting.partnership, name="Housing")
    reporting.agencies.add(housing)
    cases = list(reporting.cases.order_by("order"))
    common = [reverse("home"), reverse("audit_detail", args=[reporting.pk])]
    people = []
    for n in range(count):
        kind = ("qa", "coordinator", "qa", "coordinator", "viewer", "chair")[n % 6]
        user = User.objects.create(username=f"load-{kind}-{n}")
        role = {
            "qa": Membership.Role.QA_MEMBER,
            "coordinator": Membership.Role.COORDINATOR,
            "viewer": Membership.Role.VIEWER,
            "chair": Membership.Role.CHAIR,
        }[kind]
        Membership.objects.create(
            user=user,
            partnership=reporting.partnership,
            role=role,
            agency=housing if kind == "coordinator" else None,
        )
        cookies = dict(part.split("=", 1) for part in [_session_cookie(user.username)])
        if kind in ("qa", "chair"):
            case = cases[n % len(cases)]
            add = reverse("item_add", args=[reporting.pk, "finding"]) + f"?case={case.pk}"
            number = iter(range(1, 10**6))

            def write(browser, add=add, user=user, number=number):
                text = f"{MARK}: finding {next(number)} by {user.username}."
                return browser.submit(add, add, {"new-finding-text": text})

            reads = common + [
                reverse("authoring", args=[reporting.pk]),
                reverse("briefing_html", args=[reporting.pk]),
                reverse("action_plan"),
            ]
        elif kind == "coordinator":
            # Each co-ordinator follows an action of their own, as an owner agency's lead would.
            action = Action.objects.create(
                audit=reporting,
                text=f"{MARK}: action followed by {user.username}.",
                owner_agency=housing,
                due_date=datetime.date.today() + datetime.timedelta(days=60),
            )
            page = reverse("action_detail", args=[action.pk])
            number = iter(range(1, 10**6))

            def write(browser, page=page, user=user, number=number):
                text = f"{MARK}: update {next(number)} by {user.username}."
                return browser.submit(page, page, {"text": text, "status": "in_progress"})

            reads = common + [page, reverse("my_actions")]
        else:
            write = None
            reads = [
                reverse("home"),
                reverse("audit_detail", args=[published.pk]),
                reverse("briefing_versions", args=[published.pk]),
                reverse("briefing_version", args=[published.pk, 1]),
            ]
        people.append((cookies, Plan(kind, reads, write)))
    return people, {"audit": reporting}


def simulate(port, cookies, plan: Plan, tally: Tally, until: float, seed: int) -> None:
    browser = Browser(port, cookies, tally)
    chance = random.Random(seed)  # noqa: S311 (a repeatable mix of pages, not a secret)
    try:
        while time.monotonic() < until:
            if plan.write and chance.random() < 0.25:
                plan.write(browser)
            else:
                browser.get(chance.choice(plan.reads))
    except TimeoutError:
        return


def stored_writes() -> int:
    from actions.models import ActionUpdate
    from findings.models import Finding

    return (
        Finding.objects.filter(text__startswith=MARK).count()
        + ActionUpdate.objects.filter(text__startswith=MARK).count()
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--large", action="store_true", help="first generate 1,000 audits of other partnerships"
    )
    options = parser.parse_args()

    from run import setup_django  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "load.sqlite3")
        from server import _free_port, _start_gunicorn  # noqa: PLC0415

        if options.large:
            import scale  # noqa: PLC0415

            installation = scale.build(scale.FULL)
            print(f"large installation built in {installation.seconds:.0f} s")
        people, _ = build_people(options.users)
        before = stored_writes()
        port = _free_port()
        server = _start_gunicorn(port, Path(folder) / "media")
        tally = Tally()
        try:
            started = time.monotonic()
            until = started + options.seconds
            threads = [
                threading.Thread(target=simulate, args=(port, cookies, plan, tally, until, n))
                for n, (cookies, plan) in enumerate(people)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=options.seconds + 2 * REQUEST_TIMEOUT)
            elapsed = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(timeout=30)
        stored = stored_writes() - before

    latencies = sorted(tally.latencies) or [0.0]
    centiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    figures = {
        "users": options.users,
        "seconds": round(elapsed, 1),
        "requests": tally.requests,
        "rps": round(tally.requests / elapsed, 1),
        "errors": len(tally.errors),
        "writes_sent": tally.writes_sent,
        "writes_acknowledged": tally.writes_acknowledged,
        "writes_stored": stored,
        "lost_writes": tally.writes_acknowledged - stored,
        "p50_ms": round(centiles[49] * 1000, 1),
        "p95_ms": round(centiles[94] * 1000, 1),
        "p99_ms": round(centiles[98] * 1000, 1),
    }
    for error in tally.errors[:10]:
        print(f"error: {error}")
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(json.dumps(figures))
    return 0 if figures["errors"] == 0 and figures["lost_writes"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
