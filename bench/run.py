"""MACA benchmark: speed and scale figures measured in one run.

    scripts/with-postgres python bench/run.py   # make bench: the full run, on PostgreSQL
    python bench/run.py --quick                 # smoke check (make test): tiny sizes, no goals

Prints one line per figure and, last, one JSON line with every figure. Figures are compared with
their goals in the output but never asserted: speed is not a test.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from learning_bench import GOALS as LEARNING_GOALS  # noqa: E402

GOALS = {
    "built_page_over_signed_in_bare_rps": (">=", 0.35),
    "open_loop_p95_ms": ("<", 100.0),
    "open_loop_p99_ms": ("<", 250.0),
    "scale_list_p95_ms": ("<", 150.0),
    "scale_max_queries": ("<=", 20),
    "upload_rss_growth_mib": ("<", 30.0),
    "pdf_over_raw": ("<=", 1.3),
    "pdf_60_cases_s": ("<=", 5.0),
    "pdf_60_cases_peak_mib": ("<=", 300.0),
    "max_queries": ("<=", 20),
    "queries_flat": ("==", True),
    **LEARNING_GOALS,
}


BENCH_SECRET_KEY = "bench-secret-key-shared-by-the-bench-and-its-gunicorn-0123456789"


def setup_django(database_path: Path, *, migrate: bool = True) -> None:
    """Django in this process, on DATABASE_URL when given (PostgreSQL), else a new SQLite file."""
    os.environ.setdefault("DEBUG", "1")
    os.environ["SECRET_KEY"] = BENCH_SECRET_KEY
    os.environ.setdefault("SITE_URL", "http://127.0.0.1")
    os.environ["DATABASE_URL"] = os.environ.get("DATABASE_URL") or f"sqlite:///{database_path}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "maca.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, locmem email
    if migrate:
        call_command("migrate", verbosity=0)


def seconds_of(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def pdf_over_raw(runs: int) -> float:
    """The app's briefing PDF against plain WeasyPrint rendering the same HTML string."""
    from django.core.management import call_command
    from django.template.loader import render_to_string
    from weasyprint import CSS, HTML

    from cases.models import Audit
    from findings import briefing
    from findings.selectors import briefing_context
    from maca.pdf import static_path

    call_command("load_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    audit = Audit.objects.select_related("theme", "partnership").get(
        theme__name="Neglect and housing", reaudit_of__isnull=True
    )
    html = render_to_string(briefing.PDF_TEMPLATE, briefing_context(audit))
    stylesheets = [str(static_path(name)) for name in briefing.PDF_STYLESHEETS]

    def raw():
        css = [CSS(filename=name) for name in stylesheets]
        HTML(string=html).write_pdf(stylesheets=css, pdf_variant="pdf/ua-1")

    def app():
        fresh = Audit.objects.select_related("theme", "partnership").get(pk=audit.pk)
        briefing.render_pdf_bytes(fresh)

    raw()  # warm caches (fonts) for both sides
    app()
    # Interleaved, so that a slow spell of a shared machine weighs on both sides alike, each
    # side first in turn (whichever runs first in a pair is measured slower), and each run
    # starting with no garbage left by the one before.
    times = {app: [], raw: []}
    for run in range(runs):
        for function in (app, raw) if run % 2 == 0 else (raw, app):
            gc.collect()
            times[function].append(seconds_of(function))
    return statistics.median(times[app]) / statistics.median(times[raw])


def build_large_audit(case_count: int, items_per_case: int):
    from actions.models import Action
    from cases.models import Audit, Case, ChronologyEntry, Theme
    from findings.models import Finding, Recommendation, Strength
    from maca.models import Agency, Partnership

    partnership, _ = Partnership.objects.get_or_create(name="Benchmark Partnership")
    theme, _ = Theme.objects.get_or_create(partnership=partnership, name=f"Scale {case_count}")
    audit = Audit.objects.create(
        partnership=partnership, theme=theme, protective_marking="OFFICIAL"
    )
    agency, _ = Agency.objects.get_or_create(partnership=partnership, name="Benchmark Agency")
    cases = Case.objects.bulk_create(
        Case(audit=audit, label=f"Case {n + 1}", order=n) for n in range(case_count)
    )
    text = "Agencies shared information promptly and the plan was reviewed with the family. " * 2
    half = items_per_case // 2
    Strength.objects.bulk_create(
        Strength(case=case, agency=agency, text=text, order=i)
        for case in cases
        for i in range(half)
    )
    Finding.objects.bulk_create(
        Finding(case=case, text=text, order=i)
        for case in cases
        for i in range(items_per_case - half)
    )
    audit.agencies.add(agency)
    for case in cases:
        case.agencies.add(agency)
    ChronologyEntry.objects.bulk_create(
        ChronologyEntry(
            case=case, agency=agency, date=datetime.date(2025, 1, 1 + i % 28), event=text
        )
        for case in cases
        for i in range(items_per_case)
    )
    for n in range(max(1, case_count // 6)):
        recommendation = Recommendation.objects.create(audit=audit, text=text, order=n)
        recommendation.cases.set(cases[n * 6 : n * 6 + 3])
        Action.objects.bulk_create(
            Action(
                audit=audit,
                recommendation=recommendation,
                text=text,
                owner_agency=agency,
                due_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=30 * i),
                order=i,
            )
            for i in range(items_per_case)
        )
    return Audit.objects.select_related("theme", "partnership").get(pk=audit.pk)


def pdf_of_large_audit(case_count: int, items_per_case: int) -> tuple[float, float]:
    """Seconds and peak memory growth (MiB of resident memory) for a large briefing PDF, measured
    in a fresh process so that earlier work in this one does not hide the peak."""
    import subprocess

    audit = build_large_audit(case_count, items_per_case)
    output = subprocess.run(
        [sys.executable, __file__, "--pdf-of", str(audit.pk)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    return figures["seconds"], figures["peak_growth_mib"]


def _measure_pdf_of(audit_pk: int) -> None:
    """In the fresh process: render one briefing PDF and print its time and memory growth,
    above a process that has loaded the renderer as a server worker has."""
    import resource

    from cases.models import Audit
    from findings import briefing
    from maca.pdf import load_renderer

    load_renderer()  # as a server worker has when it starts (maca/wsgi.py)
    audit = Audit.objects.select_related("theme", "partnership").get(pk=audit_pk)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    pdf = briefing.render_pdf_bytes(audit)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert pdf.startswith(b"%PDF")
    print(json.dumps({"seconds": seconds, "peak_growth_mib": (after - before) / 1024}))


def page_queries(scales: tuple[int, int]) -> tuple[int, bool, dict]:
    """Queries per page at two data sizes: the most any page runs, and whether none grows."""
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from maca.models import Membership, User

    user, _ = User.objects.get_or_create(username="bench-chair")
    counts: dict[str, list[int]] = {}
    for scale in scales:
        audit = build_large_audit(scale, 10)
        Membership.objects.get_or_create(
            user=user, partnership=audit.partnership, role=Membership.Role.CHAIR
        )
        client = Client()
        client.force_login(user)
        case = audit.cases.order_by("order").first()
        pages = {
            "audit_detail": reverse("audit_detail", args=[audit.pk]),
            "briefing_html": reverse("briefing_html", args=[audit.pk]),
            "action_plan": reverse("action_plan"),
            "integrated_chronology": reverse("integrated_chronology", args=[audit.pk, case.pk]),
            "home": reverse("home"),
        }
        client.get(pages["home"])  # the session's first request refreshes its expiry
        for name, url in pages.items():
            caches["default"].clear()  # built from the database, nothing kept from before
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            assert response.status_code == 200, (name, response.status_code)
            counts.setdefault(name, []).append(len(captured))
    flat = all(len(set(values)) == 1 for values in counts.values())
    return max(max(values) for values in counts.values()), flat, counts


def verdict(key, value) -> str:
    if key not in GOALS:
        return ""
    operator, goal = GOALS[key]
    met = {
        "<=": value <= goal,
        "<": value < goal,
        ">=": value >= goal,
        "==": value == goal,
    }[operator]
    return f"(goal {operator} {goal}: {'met' if met else 'MISSED'})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke check")
    parser.add_argument("--pdf-of", type=int, help=argparse.SUPPRESS)  # the fresh PDF process
    options = parser.parse_args()
    if options.pdf_of:
        setup_django(Path("unused.sqlite3"), migrate=False)
        _measure_pdf_of(options.pdf_of)
        return 0
    runs, cases, scales = (1, 6, (1, 3)) if options.quick else (9, 60, (1, 10))

    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "bench.sqlite3")
        figures = {}
        started = time.perf_counter()
        # More runs than elsewhere: a shared machine's noise is larger than the app's overhead.
        figures["pdf_over_raw"] = round(pdf_over_raw(2 if options.quick else runs + 6), 3)
        seconds, peak = pdf_of_large_audit(cases, 10)
        figures["pdf_60_cases_s"] = round(seconds, 3)
        figures["pdf_60_cases_peak_mib"] = round(peak, 1)
        most, flat, per_page = page_queries(scales)
        figures["max_queries"] = most
        figures["queries_flat"] = flat
        from server import server_figures  # noqa: PLC0415 (needs Django set up first)

        print(f"({time.perf_counter() - started:.0f} s) PDFs and queries per page measured")
        figures.update(server_figures(Path(folder), quick=options.quick))
        print(f"({time.perf_counter() - started:.0f} s) pages measured through gunicorn")
        from learning_bench import learning_figures  # noqa: PLC0415

        figures.update(learning_figures(audits=80 if options.quick else 1000, quick=options.quick))
        print(
            f"({time.perf_counter() - started:.0f} s) learning library, trends and report measured"
        )

    for key, value in figures.items():
        print(f"{key}: {value} {verdict(key, value)}".rstrip())
    print(f"queries per page at {scales[0]}x and {scales[1]}x: {json.dumps(per_page)}")
    if options.quick:
        print("(quick run: sizes are too small for the goals to mean anything)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
