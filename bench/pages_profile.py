"""Where the time of a built page goes: each heavy page timed in this process, with its query
count, and a pyinstrument profile of the slowest.

    python bench/pages_profile.py                    # demo data on a new SQLite file
    scripts/with-postgres python bench/pages_profile.py --scale   # on the large installation
    python bench/pages_profile.py --page audit_detail --runs 50    # profile one page

Every request passes the whole middleware (sign-in, two-step sign-in, the access gate, the access
log), as in production, and with the bench server's settings: DEBUG off (no query log) and
nothing cached.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


DUMMY_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


def demo_pages() -> dict[str, str]:
    """The heaviest pages of the demo, on its closed audit."""
    from django.urls import reverse

    from cases.models import Audit

    audit = Audit.objects.get(theme__name="Neglect and housing", reaudit_of__isnull=True)
    case = audit.cases.order_by("order").first()
    return {
        "home": reverse("home"),
        "audit_detail": reverse("audit_detail", args=[audit.pk]),
        "briefing_html": reverse("briefing_html", args=[audit.pk]),
        "action_plan": reverse("action_plan"),
        "audit_actions": reverse("audit_actions", args=[audit.pk]),
        "progress": reverse("progress", args=[audit.pk]),
        "integrated_chronology": reverse("integrated_chronology", args=[audit.pk, case.pk]),
    }


def time_pages(client, pages: dict[str, str], runs: int) -> dict[str, tuple[float, int]]:
    """Median milliseconds of this process's CPU time (steadier than the clock on a shared
    machine; the database's own time is left out) and queries of each page, in turns."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times: dict[str, list[float]] = {name: [] for name in pages}
    queries = {}
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as captured:
            status = client.get(url).status_code
        assert status == 200, (name, url, status)
        queries[name] = len(captured)
    for _ in range(runs):
        for name, url in pages.items():
            started = time.process_time()
            client.get(url)
            times[name].append((time.process_time() - started) * 1000)
    return {name: (statistics.median(times[name]), queries[name]) for name in pages}


def profile(client, url: str, runs: int) -> str:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(runs):
        client.get(url)
    profiler.stop()
    return profiler.output_text(unicode=True, color=False, short_mode=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--page", help="profile this page (default: the slowest)")
    parser.add_argument("--user", default="chair")
    parser.add_argument("--scale", action="store_true", help="on the large installation")
    parser.add_argument(
        "--installation", help="the JSON that bench/scale.py printed: read it, build nothing"
    )
    parser.add_argument("--coordinator", action="store_true", help="as its co-ordinator")
    options = parser.parse_args()

    # As bench/server.py runs its server, less what only a real server needs.
    os.environ.update(DEBUG="0", STATIC_FROM_FINDERS="1", SECURE_SSL_REDIRECT="0")
    os.environ.update(SECURE_COOKIES="0", LOG_LEVEL="WARNING")
    from run import setup_django
    from server import signed_in_client

    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "profile.sqlite3")
        from django.core.management import call_command
        from django.test.utils import override_settings

        override_settings(CACHES=DUMMY_CACHE).enable()

        if options.scale or options.installation:
            import scale

            if options.installation:
                saved = json.loads(Path(options.installation).read_text().splitlines()[-1])
                installation = scale.Installation(size=scale.FULL, **saved)
            else:
                installation = scale.build(scale.FULL)
            username = (
                installation.coordinator_username
                if options.coordinator
                else installation.chair_username
            )
            client = signed_in_client(username)
            pages = scale.list_pages(installation, coordinator=options.coordinator)
        else:
            call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115
            client = signed_in_client(options.user)
            pages = {"signed_in_bare": "/healthz", **demo_pages()}
        figures = time_pages(client, pages, options.runs)
        for name, (ms, queries) in figures.items():
            print(f"{name:24} {ms:7.1f} ms CPU {queries:3} queries")
        slowest = options.page or max(figures, key=lambda name: figures[name][0])
        print(f"\nprofile of {slowest} ({options.runs} requests)")
        print(profile(client, pages[slowest], options.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
