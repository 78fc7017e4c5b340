import base64
import io
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.core.servers.basehttp import WSGIServer
from django.template.backends import jinja2 as jinja2_backend
from django.test.signals import template_rendered
from django.test.testcases import LiveServerThread
from hypothesis import settings as hypothesis_settings
from playwright.sync_api import expect

from cases.models import Audit
from maca.models import Membership

from .factories import AuditFactory, MembershipFactory, UserFactory


# Debian's browser itself, not its /usr/bin/chromium wrapper script, which adds desktop options
# (GPU rasterisation, extensions) that a test run has no use for.
class OneRequestAtATimeServer(WSGIServer):
    """The browser tests' server answers one request at a time. Its threads would share the one
    in-memory SQLite connection of the test database, and two requests at once (a page's
    charts) have deadlocked on it. Django closes each connection of a server without threads,
    so the browser's next request is never kept waiting behind an idle one."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.connections_override = connections_override


LiveServerThread.server_class = OneRequestAtATimeServer


def _render_and_tell(self, context=None, request=None):
    """A Jinja2 page tells the test client what it was drawn from (`response.context`), as
    Django's own templates do under test."""
    template_rendered.send(sender=self, template=self, context=dict(context or {}))
    return _render_jinja2(self, context, request)


_render_jinja2 = jinja2_backend.Template.render
jinja2_backend.Template.render = _render_and_tell

# A page's answer waits behind the other tests' work on a shared 2-core machine: what a browser
# test expects to see is waited for up to 15 s (not Playwright's 5), and is still checked at once
# when it is already there.
expect.set_options(timeout=15_000)

# Only browser tests need it (`make apt-test` installs it); the rest run without.
CHROMIUM = next(
    (
        path
        for path in ("/usr/lib/chromium/chromium", shutil.which("chromium"), "/usr/bin/chromium")
        if path and os.path.exists(path)
    ),
    None,
)

# Property-based tests try the same examples on every run and keep no example database, so CI
# is deterministic; HYPOTHESIS_PROFILE=hunt draws new examples each run, to look further.
hypothesis_settings.register_profile("maca", derandomize=True, database=None, deadline=None)
hypothesis_settings.register_profile("hunt", derandomize=False, database=None, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "maca"))


if os.environ.get("MACA_TEST_DATABASE_TEMPLATE"):
    # Made once by mutmut's fork server, which collects the tests, not by every mutant.
    import factory

    import maca.urls  # noqa: F401

    factory.Faker._get_faker()

    @pytest.fixture(scope="session")
    def django_db_setup(django_test_environment, django_db_blocker):
        """The runs of `make test` and mutation runs (scripts/mutation) start each test session
        (each pytest-xdist worker, each mutant) from a copy of a database migrated once, instead
        of applying every migration again: about ten seconds each, most of a mutant's time.
        A SQLite template is a file; a PostgreSQL one a database on the same server."""
        from django.db import connections

        template = os.environ["MACA_TEST_DATABASE_TEMPLATE"]
        connection = connections["default"]
        if connection.vendor == "postgresql":
            yield from _postgresql_copy(connection, template, django_db_blocker)
        else:
            yield from _sqlite_copy(connection, Path(template), django_db_blocker)

    def _sqlite_copy(connection, template: Path, django_db_blocker):
        from django.db import connections

        # A name never used before: a copy named after a process id could meet the write-ahead
        # log an earlier process of that id left behind, and read its rows.
        copy = template.with_name(f"{template.stem}-{uuid.uuid4().hex}{template.suffix}")
        shutil.copyfile(template, copy)
        with django_db_blocker.unblock():
            connection.close()
        connection.settings_dict["NAME"] = str(copy)
        yield
        with django_db_blocker.unblock():
            connections.close_all()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)

    def _postgresql_copy(connection, template: str, django_db_blocker):
        from django.db import connections

        server_database = connection.settings_dict["NAME"]
        copy = f"test_{template}_{uuid.uuid4().hex[:12]}"
        with django_db_blocker.unblock():
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{template}"')
            connection.close()
        connection.settings_dict["NAME"] = copy
        yield
        with django_db_blocker.unblock():
            connections.close_all()
            connection.settings_dict["NAME"] = server_database
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{copy}"')
            connection.close()


def pytest_configure(config):
    """Each mutant's test session keeps its temporary files in a folder of its own, which the
    mutation run deletes at its end, instead of tidying up older sessions' folders each time
    (a quarter of a mutant's time)."""
    if folder := os.environ.get("MACA_MUTATION_TEMP"):
        from _pytest.tmpdir import TempPathFactory

        os.makedirs(folder, exist_ok=True)
        config.option.basetemp = os.path.join(folder, str(os.getpid()))
        # Made before this conftest was read: made again with the folder.
        config._tmp_path_factory = TempPathFactory.from_config(config, _ispytest=True)


# The run on PostgreSQL (make test-postgres) is there for what the database does: a test that
# asks for no database (no django_db mark, no db, transactional_db or live_server fixture) cannot
# reach it, proves the same on SQLite, and is left out of that run; so are most cases of the long
# walks marked `same_on_every_database`.
ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


def uses_the_database(item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def proves_something_of_the_database(item) -> bool:
    """Not a case of a long walk whose answers come from the access rules alone, beyond the
    few it keeps to see each kind of page still run on PostgreSQL."""
    walk = item.get_closest_marker("same_on_every_database")
    if walk is None:
        return True
    case = item.callspec.id if hasattr(item, "callspec") else ""
    return case in walk.kwargs.get("kept", ())


def leave_out_tests_without_a_database(config, items):
    kept, left_out = [], []
    for item in items:
        wanted = uses_the_database(item) and proves_something_of_the_database(item)
        (kept if wanted else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
    config.maca_left_out = len(left_out)
    if hasattr(config, "workeroutput"):  # a pytest-xdist worker tells the main process
        config.workeroutput["maca_left_out"] = len(left_out)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist: every worker collects the same tests, so one worker's count is the run's."""
    count = getattr(node, "workeroutput", {}).get("maca_left_out")
    if count is not None:
        node.config.maca_left_out = count


def pytest_terminal_summary(terminalreporter, config):
    count = getattr(config, "maca_left_out", None)
    if ON_POSTGRESQL and count:
        terminalreporter.write_line(
            f"{count} tests that use no database, or walk what the access rules answer, were "
            "left out on PostgreSQL: the run on SQLite has them."
        )


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, only the tests that use the database run (above).

    Mutation runs name their test files, the direct tests of a module first: a mutant's tests
    run in that order, so the fast test that kills it runs before the slow page tests."""
    if ON_POSTGRESQL:
        leave_out_tests_without_a_database(config, items)
    order = os.environ.get("MACA_MUTATION_TEST_ORDER")
    if not order:
        return
    files = [name.split("::")[0] for name in order.split(",")]

    def place(item):
        path = item.nodeid.split("::")[0]
        return files.index(path) if path in files else len(files)

    items.sort(key=place)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing is deliberately slow; tests only need passwords to check."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Cached query results belong to one test's database."""
    caches["default"].clear()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test stores its files apart: in its own folder, or under its own prefix of the
    object store when the run has one (scripts/with-s3)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if settings.STORAGE_URL:
        default = settings.STORAGES["default"]
        prefix = f"{default['OPTIONS']['location']}/{uuid.uuid4().hex}"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {**default, "OPTIONS": {**default["OPTIONS"], "location": prefix}},
        }
    return settings.MEDIA_ROOT


def stored_files(media_root=None) -> list[str]:
    """Every file in the store this test uses: its own folder, or its own object-store prefix."""
    from maca.management.commands.inventory import stored_names

    return stored_names()


@pytest.fixture
def run_worker(monkeypatch):
    """What `manage.py db_worker --batch` does in its own process: run every queued task, then
    stop. Here it shares the test's connection, inside the test's transaction, which the worker's
    check for stale connections would close. The command itself is not called: it would take
    over this process's signals, and on a locked database it waits for ever."""
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run(limit=200):
        worker = db_worker.Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=limit,
            worker_id="test-worker",
            excluded_queue_names=[],
        )
        worker.run()

    return run


@pytest.fixture
def audit():
    return AuditFactory(title="Multi Agency Case Audit", theme__name="Neglect and housing")


def member(audit, role=Membership.Role.QA_MEMBER, agency=None, **user_fields):
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, partnership=audit.partnership, role=role, agency=agency)
    return user


@pytest.fixture
def chair(audit):
    return member(audit, Membership.Role.CHAIR)


@pytest.fixture
def outsider():
    """A member of another partnership, who must learn nothing about this one's audits."""
    user = UserFactory()
    MembershipFactory(user=user, role=Membership.Role.CHAIR)
    return user


DEMO_PDFS: dict[tuple, tuple[bytes, int]] = {}


def load_demo() -> None:
    """What `manage.py load_demo` makes, for a test that starts from the demo.

    Loading the demo publishes its finished audits, and most of that time is laying out their
    PDFs, which come out the same test after test. A PDF already rendered in this process from
    the same template, HTML and stylesheets is used again: WeasyPrint makes the same bytes from
    the same input. Anything else differs in its HTML and is rendered afresh, and the tests' own
    PDFs are never taken from here."""
    from django.template.loader import render_to_string

    import findings.sevenminute
    import maca.pdf

    render = maca.pdf.render_pdf_and_count_pages

    def render_once(template_name, context, *, stylesheets):
        key = (template_name, render_to_string(template_name, context), tuple(stylesheets))
        if key not in DEMO_PDFS:
            DEMO_PDFS[key] = render(template_name, context, stylesheets=stylesheets)
        return DEMO_PDFS[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(maca.pdf, "render_pdf_and_count_pages", render_once)
        patch.setattr(findings.sevenminute, "render_pdf_and_count_pages", render_once)
        call_command("load_demo", stdout=io.StringIO())


@pytest.fixture
def demo_audit(db):
    load_demo()
    return Audit.objects.select_related("theme", "partnership").get(
        theme__name="Neglect and housing", reaudit_of__isnull=True
    )


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return result.stdout


# Playwright drives Debian's Chromium: it cannot download a browser build of its own here.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if CHROMIUM is None:
        pytest.fail("Browser tests need Debian's Chromium: make apt-test installs it.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def browser(browser_type, browser_type_launch_args):
    """A browser of its own for each test. One Chromium driven through many journeys in a row
    has stopped drawing frames part-way through a run, and every wait on its page then hung."""
    browser = browser_type.launch(**browser_type_launch_args)
    yield browser
    browser.close()


def console_errors(page) -> list[str]:
    """Collect the page's console errors (a blocked inline script or style shows up here)."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[str]:
    """WCAG 2.2 A/AA violations on the page as axe-core finds them, one line each."""
    # Evaluated through the browser's debugging protocol, which the page's Content Security
    # Policy does not govern; a <script> tag would rightly be refused.
    # Colours are measured once they have settled: a button that has just taken the focus is
    # still fading between its two states for a moment.
    page.wait_for_load_state()
    page.evaluate(
        """Promise.race([
             Promise.all(document.getAnimations()
               .filter(a => a.effect && a.effect.getComputedTiming().iterations !== Infinity)
               .map(a => a.finished.catch(() => null))),
             new Promise(done => setTimeout(done, 1000))])"""
    )
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    # Only the violations are wanted: axe then keeps one example of each pass, not every node,
    # and only they cross back from the browser (a large page has thousands of passes). Nothing
    # is preloaded: only an experimental rule, not run here, reads the style sheets' text.
    violations = page.evaluate(
        """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                      resultTypes: ['violations'], preload: false})
                  .then(result => result.violations)""",
        WCAG_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']} — {v['help']}" for v in violations
    ]


# A failing browser journey leaves its page behind: the HTML and a screenshot are written to
# test-artifacts/ and printed into the test report, so CI's log alone shows what the user saw.
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LOGGED_HTML_CHARS = 20_000


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when != "call" or not report.failed or page is None:
        return
    try:
        html = page.content()
        png = page.screenshot(full_page=True)
    except Exception as error:  # the browser may be what failed
        report.sections.append(("failing page", f"could not capture the page: {error}"))
        return
    ARTIFACTS.mkdir(exist_ok=True)
    stem = ARTIFACTS / item.nodeid.replace(".py", "").replace("/", "_").replace("::", "__")
    Path(f"{stem}.html").write_text(html, encoding="utf-8")
    Path(f"{stem}.png").write_bytes(png)
    report.sections.append(
        (
            "failing page",
            f"URL: {page.url}\nSaved: {stem}.html and {stem}.png\n"
            f"HTML (first {LOGGED_HTML_CHARS} characters):\n{html[:LOGGED_HTML_CHARS]}\n"
            f"Screenshot (PNG, base64):\n{base64.b64encode(png).decode()}",
        )
    )


MM = 72 / 25.4  # PDF points in a millimetre


PAGE_TAG = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
WORD_TAG = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def pdf_words(pdf: bytes, tmp_path: Path) -> list[dict]:
    """Every word of the PDF with its page's size and its box, in points (pdftotext -bbox)."""
    path = tmp_path / "words.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, check=True, text=True
    )
    words = []
    for number, page in enumerate(result.stdout.split("<page ")[1:], start=1):
        width, height = map(float, PAGE_TAG.match("<page " + page).groups())
        for x_min, y_min, x_max, y_max, text in WORD_TAG.findall(page):
            box = {"xMin": float(x_min), "yMin": float(y_min), "xMax": float(x_max)}
            box["yMax"] = float(y_max)
            words.append({"page": number, "width": width, "height": height, **box, "text": text})
    return words


def words_outside(words: list[dict], *, left_mm: float, right_mm: float, edge_mm: float = 5):
    """The words that cross the left or right margin, or come within `edge_mm` of the top or
    bottom edge of their page (the marking and page numbers sit in the top and bottom margins)."""
    slack = 0.5
    return [
        f"page {w['page']}: {w['text']!r} at x {w['xMin']:.0f}–{w['xMax']:.0f} of {w['width']:.0f}"
        for w in words
        if w["xMin"] < left_mm * MM - slack
        or w["xMax"] > w["width"] - right_mm * MM + slack
        or w["yMin"] < edge_mm * MM
        or w["yMax"] > w["height"] - edge_mm * MM
    ]


# What a browser sends with a form of the site's own page: the words of a refused form are given
# back only to such a form (maca.text.typed_texts).
FROM_HERE = {"HTTP_ORIGIN": "http://testserver"}
