"""MACA load test: simulated users reading and writing at once against gunicorn on PostgreSQL.

    scripts/with-postgres python bench/load.py                 # make load: 50 users, 60 seconds
    scripts/with-postgres python bench/load.py --users 10 --seconds 10
    scripts/with-postgres python bench/load.py --large   # beside years of data (bench/scale.py)

Each simulated user is signed in (a chair having passed two-step sign-in) and, until the time is
up or the request cap is reached, mixes the pages of their role with writes through the real
forms: QA members add findings, co-ordinators post progress updates on their agency's actions.
At the end, what the server acknowledged is counted against what the database holds.

Then every create form is sent twice at the same moment, as a double click or a retry sends it
(the same page, the same one-time token): both presses must get the same answer, and the
record must be stored once. `--twice-only` runs this phase alone.

Prints one line per figure and, last, one JSON line; exits non-zero on any error, lost write or
duplicate. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
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
URLENCODED = "application/x-www-form-urlencoded"


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

    def request(
        self, method, path, body=None, expect=(200,), content_type=URLENCODED
    ) -> tuple[int, str, dict]:
        if not self.tally.take_request():
            raise TimeoutError("request cap reached")
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = content_type
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


# Every create, pressed twice at once ---------------------------------------------------------


@dataclass
class Create:
    """A create form: where it is, what is typed, and how many records one press stores."""

    name: str
    username: str
    page: str
    changes: dict
    stored: callable
    action: str | None = None  # the form's address, when not the page's own
    files: dict = field(default_factory=dict)  # name -> (file name, content, type)
    adds: int = 1


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = "----maca-twice"
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    body = "".join(parts).encode()
    for name, (filename, content, kind) in files.items():
        body += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _cookies_of(username: str) -> dict:
    from server import _session_cookie  # noqa: PLC0415

    return dict(part.strip().split("=", 1) for part in _session_cookie(username).split(";"))


def press_twice(port, create: Create, tally: Tally) -> tuple[list[str], int]:
    """Load the form once and send it twice at the same moment, from two connections with the
    same cookies. The problems seen, and how many records were stored beyond one press's."""
    cookies = _cookies_of(create.username)
    first, second = Browser(port, cookies, tally), Browser(port, cookies, tally)
    action = create.action or create.page
    status, html, _ = first.get(create.page)
    reader = FormReader(action, create.page)
    reader.feed(html)
    if status != 200 or not reader.found:
        return [f"{create.name}: no form on {create.page} ({status})"], 0
    fields = {**reader.fields, **create.changes}
    if create.files:
        body, content_type = _multipart(fields, create.files)
    else:
        body, content_type = urlencode(fields).encode(), URLENCODED
    before = create.stored()
    start, answers = threading.Barrier(2), [None, None]

    def press(number, browser):
        start.wait()
        answers[number] = browser.request(
            "POST", action, body, expect=(302, 303), content_type=content_type
        )

    threads = [threading.Thread(target=press, args=pair) for pair in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=4 * REQUEST_TIMEOUT)
    problems = []
    statuses = [answer[0] if answer else 0 for answer in answers]
    if any(code not in (302, 303) for code in statuses):
        said = next((_summary(a[1]) for a in answers if a and a[0] not in (302, 303)), "")
        problems.append(f"{create.name}: answered {statuses} {said}".rstrip())
    elif answers[0][2]["Location"] != answers[1][2]["Location"]:
        problems.append(f"{create.name}: answered with two pages {[a[2] for a in answers]}")
    added = create.stored() - before
    if added < create.adds:
        problems.append(f"{create.name}: {added} stored, not {create.adds}")
    return problems, max(0, added - create.adds)


def _summary(html: str) -> str:
    """The words of a page's error summary, to say why a press was refused."""
    start = html.find('id="error-summary"')
    if start < 0:
        return ""
    text = re.sub(r"<[^>]+>", " ", html[start : html.find("</div>", start)])
    return "(" + " ".join(text.split()[1:40]) + ")"


def twice_creates(audit) -> list[Create]:
    """Every create form of MACA, on the demo data, with what to type and how to count it."""
    import datetime

    from django.urls import reverse

    from actions.models import Action, ActionUpdate, Evidence
    from cases.models import Audit, ChronologyEntry, ChronologyFile, Nomination, ToolSection
    from cases.selectors.progress import asked_of
    from findings.models import BriefingVersion, Finding, Tag
    from maca.models import Agency, Invitation

    housing = Agency.objects.get(name="Housing")
    nominating = Audit.objects.create(
        partnership=audit.partnership,
        theme=audit.theme,
        status=Audit.Status.NOMINATING,
        title=f"{MARK}: nominations",
    )
    nominating.agencies.add(housing)
    working = Audit.objects.filter(
        partnership=audit.partnership, status=Audit.Status.SUBMISSIONS
    ).first()
    case = next(c for c in working.cases.order_by("-order") if asked_of(c, housing))
    chronology = [working.pk, case.pk, housing.pk]
    followed = Action.objects.create(
        audit=audit, text=f"{MARK}: action pressed twice.", owner_agency=housing
    )
    first_case = audit.cases.order_by("order").first()
    in_a_month = str(datetime.date.today() + datetime.timedelta(days=30))
    package = json.loads(
        (
            Path(__file__).resolve().parent.parent / "actions" / "demo" / "exploitation.json"
        ).read_text(encoding="utf-8")
    )
    package["theme"]["name"] = f"{MARK}: imported"
    package["agencies"].append({"name": f"{MARK}: imported agency", "sector": "other"})
    rows = f"Date,Event,Source agency,Impact,Action taken\r\n11/2026,{MARK}: row,,,\r\n"
    document = f"Date,Event\r\n11/2026,{MARK}: document\r\n"
    evidence = f"Date,Evidence\r\n20/11/2026,{MARK}: sign-in sheet\r\n"
    return [
        Create(
            "a new audit with a new theme",
            "chair",
            reverse("audit_create"),
            {
                "new_theme_name": f"{MARK}: theme",
                "new_agencies": f"{MARK}: agency",
                "submission_deadline": in_a_month,
            },
            lambda: Audit.objects.filter(theme__name=f"{MARK}: theme").count(),
        ),
        Create(
            "a nomination",
            "chair",
            reverse("nomination_create", args=[nominating.pk]),
            {"label": f"{MARK} case", "reason": "Pressed twice."},
            lambda: Nomination.objects.filter(audit=nominating).count(),
        ),
        Create(
            "an import adding an agency",
            "chair",
            reverse("audit_import"),
            {},
            lambda: (
                Audit.objects.filter(theme__name=f"{MARK}: imported").count()
                + Agency.objects.filter(name=f"{MARK}: imported agency").count()
            ),
            files={"package": ("past.json", json.dumps(package).encode(), "application/json")},
            adds=2,
        ),
        Create(
            "a chronology document",
            "housing",
            reverse("agency_chronology", args=chronology),
            {},
            lambda: ChronologyFile.objects.filter(case=case, agency=housing).count(),
            action=reverse("chronology_file_upload", args=chronology),
            files={"document": ("chronology.csv", document.encode(), "text/csv")},
        ),
        Create(
            "a file of chronology rows",
            "housing",
            reverse("agency_chronology", args=chronology),
            {},
            lambda: ChronologyEntry.objects.filter(case=case, event=f"{MARK}: row").count(),
            action=reverse("chronology_rows_import", args=chronology),
            files={"rows_file": ("rows.csv", rows.encode(), "text/csv")},
        ),
        Create(
            "a chronology row",
            "housing",
            reverse("agency_chronology", args=chronology),
            {"date": "12/2026", "event": f"{MARK}: typed row", "impact": "neutral"},
            lambda: ChronologyEntry.objects.filter(case=case, event=f"{MARK}: typed row").count(),
            action=reverse("chronology_entry_add", args=chronology),
        ),
        Create(
            "a tag",
            "chair",
            reverse("authoring", args=[audit.pk]),
            {"name": f"{MARK} tag"},
            lambda: Tag.objects.filter(name=f"{MARK} tag").count(),
            action=reverse("tag_add", args=[audit.pk]),
        ),
        Create(
            "a briefing finding",
            "chair",
            reverse("item_add", args=[audit.pk, "finding"]) + f"?case={first_case.pk}",
            {"new-finding-text": f"{MARK}: finding pressed twice."},
            lambda: Finding.objects.filter(text=f"{MARK}: finding pressed twice.").count(),
        ),
        Create(
            "an action",
            "chair",
            reverse("action_create", args=[audit.pk]),
            {
                "text": f"{MARK}: new action.",
                "owner_agency": str(housing.pk),
                "lead": "A. Lead",
                "due_date": in_a_month,
            },
            lambda: Action.objects.filter(text=f"{MARK}: new action.").count(),
        ),
        Create(
            "an action update",
            "housing",
            reverse("action_detail", args=[followed.pk]),
            {"text": f"{MARK}: update pressed twice.", "status": "in_progress"},
            lambda: ActionUpdate.objects.filter(text=f"{MARK}: update pressed twice.").count(),
        ),
        Create(
            "evidence",
            "housing",
            reverse("action_detail", args=[followed.pk]),
            {},
            lambda: Evidence.objects.filter(action=followed).count(),
            action=reverse("action_evidence_upload", args=[followed.pk]),
            files={"file": ("evidence.csv", evidence.encode(), "text/csv")},
        ),
        Create(
            "a section of the audit tool",
            "chair",
            reverse("tool_section_add", args=[nominating.pk]),
            {"title": f"{MARK}: section"},
            lambda: ToolSection.objects.filter(title=f"{MARK}: section").count(),
        ),
        Create(
            "a member's invitation",
            "chair",
            reverse("audit_members", args=[nominating.pk]),
            {"email": "load.twice@example.org", "role": "viewer"},
            lambda: Invitation.objects.filter(email="load.twice@example.org").count(),
        ),
        Create(
            "a briefing version",
            "chair",
            reverse("briefing_publish", args=[audit.pk]),
            {"before_meeting": "on"},
            lambda: BriefingVersion.objects.filter(audit=audit).count(),
        ),
    ]


def twice_phase(port, audit) -> dict:
    """Each create pressed twice at once, one create after another."""
    tally = Tally()
    problems, duplicates = [], 0
    for create in twice_creates(audit):
        found, extra = press_twice(port, create, tally)
        problems += found
        duplicates += extra
        for line in found or ["done once"]:
            print(f"twice: {create.name}: {line.removeprefix(create.name + ': ')}")
        if extra:
            print(f"twice: {create.name}: {extra} duplicate(s)")
    return {"twice_errors": len(problems), "twice_duplicates": duplicates}


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
    parser.add_argument(
        "--twice-only", action="store_true", help="only press every create twice at once"
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
        people, built = build_people(0 if options.twice_only else options.users)
        before = stored_writes()
        port = _free_port()
        server = _start_gunicorn(port, Path(folder) / "media")
        tally = Tally()
        try:
            started = time.monotonic()
            until = started + (0 if options.twice_only else options.seconds)
            threads = [
                threading.Thread(target=simulate, args=(port, cookies, plan, tally, until, n))
                for n, (cookies, plan) in enumerate(people)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=options.seconds + 2 * REQUEST_TIMEOUT)
            elapsed = max(time.monotonic() - started, 0.001)
            stored = stored_writes() - before
            twice = twice_phase(port, built["audit"])
        finally:
            server.terminate()
            server.wait(timeout=30)

    latencies = sorted(tally.latencies) or [0.0]
    centiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    figures = {
        "users": 0 if options.twice_only else options.users,
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
        **twice,
    }
    for error in tally.errors[:10]:
        print(f"error: {error}")
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(json.dumps(figures))
    failures = ("errors", "lost_writes", "twice_errors", "twice_duplicates")
    return 1 if any(figures[name] for name in failures) else 0


if __name__ == "__main__":
    sys.exit(main())
