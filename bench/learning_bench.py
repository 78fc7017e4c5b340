"""Learning across audits at scale: search and trends p95 and the board's report of a year.

    python bench/learning_bench.py [--audits 1000] [--quick]   # alone (SQLite or DATABASE_URL)
    from learning_bench import learning_figures                # from bench/run.py

`learning_figures()` measures on a partnership it filled before when it has enough published
audits (so a second run on the same DATABASE_URL skips the filling), else it adds its own: `audits`
published audits of one partnership, 40 a year, each with six cases, tagged findings and
strengths, a learning summary and a published plan.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

GOALS = {
    "search_p95_ms": ("<", 300.0),
    "trends_p95_ms": ("<", 300.0),
    "report_40_audits_s": ("<", 10.0),
}
AUDITS_A_YEAR = 40
WORDS = ["supervision", "drift", "voice of the child", "housing", "chronology", "escalat", "plan"]
SENTENCES = [
    "Supervision did not test whether the plan was working for {n} months.",
    "Drift and delay: the review was postponed {n} times.",
    "The voice of the child was not recorded at {n} visits.",
    "Housing and health shared information within {n} days.",
    "A chronology was not shared before the strategy discussion ({n}).",
    "Escalation to a manager happened after {n} weeks.",
]


def seed_published_history(audits: int) -> tuple[object, object]:
    """`audits` published audits of a new partnership, and a chair of it, written in bulk; the
    library is then filled by the same indexing that publishing runs."""
    from django.db import connection, transaction
    from django.utils import timezone

    from actions.models import Action
    from cases.models import Audit, Case, Theme
    from findings.models import BriefingVersion, Finding, MeetingRecord, Strength, Tag
    from learning.indexing import library_index_version
    from maca.models import Agency, Membership, Partnership, User

    stamp = time.time_ns()
    partnership = Partnership.objects.create(name=f"Bench partnership {stamp}")
    chair = User.objects.create(username=f"bench-learning-{stamp}")
    Membership.objects.create(user=chair, partnership=partnership, role=Membership.Role.CHAIR)
    agencies = [
        Agency.objects.create(partnership=partnership, name=f"Bench agency {i}") for i in range(6)
    ]
    tags = list(Tag.objects.filter(partnership=partnership)[:12])
    themes = [Theme.objects.create(partnership=partnership, name=f"Theme {i}") for i in range(8)]
    first_year = timezone.localdate().year - audits // AUDITS_A_YEAR
    now = timezone.now()
    with transaction.atomic():
        created = Audit.objects.bulk_create(
            Audit(
                partnership=partnership,
                theme=themes[number % len(themes)],
                status=Audit.Status.CLOSED,
                meeting_date=datetime.date(
                    first_year + number // AUDITS_A_YEAR, 1 + number % 12, 10
                ),
                plan_published_at=now,
                briefing_published_at=now,
            )
            for number in range(audits)
        )
        Audit.agencies.through.objects.bulk_create(
            Audit.agencies.through(audit_id=audit.pk, agency_id=agency.pk)
            for audit in created
            for agency in agencies
        )
        cases = Case.objects.bulk_create(
            Case(audit=audit, label=f"Case {i + 1}", order=i) for audit in created for i in range(6)
        )
        for model, offset in ((Finding, 0), (Strength, 3)):
            items = model.objects.bulk_create(
                model(
                    case=case,
                    text=SENTENCES[(n + i + offset) % len(SENTENCES)].format(n=n),
                    agency=agencies[i],
                    order=i,
                )
                for n, case in enumerate(cases)
                for i in range(2)
            )
            model.tags.through.objects.bulk_create(
                model.tags.through(**{f"{model._meta.model_name}_id": item.pk, "tag_id": tag.pk})
                for n, item in enumerate(items)
                for tag in [tags[n % len(tags)]]
            )
        MeetingRecord.objects.bulk_create(
            MeetingRecord(
                audit=audit, learning_summary=f"Audit {n}: supervision and drift recurred."
            )
            for n, audit in enumerate(created)
        )
        Action.objects.bulk_create(
            Action(
                audit=audit,
                text=f"Action {i} of audit {n}: review supervision.",
                owner_agency=agencies[i],
                due_date=audit.meeting_date + datetime.timedelta(days=90),
                status=[Action.Status.COMPLETE, Action.Status.IN_PROGRESS][i % 2],
            )
            for n, audit in enumerate(created)
            for i in range(4)
        )
        versions = BriefingVersion.objects.bulk_create(
            BriefingVersion(
                audit=audit, number=1, published_at=now, html="<p>bench</p>", pdf=b"%PDF", sha256=""
            )
            for audit in created
        )
    for version in versions:
        library_index_version(version=version)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a load this size
    return partnership, chair


def _already_seeded(audits: int):
    """A partnership this bench filled before with at least `audits` published audits."""
    from django.db.models import Count, Q

    from maca.models import Membership, Partnership

    found = (
        Partnership.objects.filter(name__startswith="Bench partnership")
        .annotate(published=Count("audits", filter=Q(audits__briefing_published_at__isnull=False)))
        .filter(published__gte=audits)
        .first()
    )
    if found is None:
        return None
    chair = Membership.objects.filter(partnership=found, role=Membership.Role.CHAIR).first()
    return found, chair.user


def _p95_ms(timings: list[float]) -> float:
    return round(statistics.quantiles(timings, n=20)[-1] * 1000, 1)


def learning_figures(*, audits: int = 1000, quick: bool = False) -> dict:
    """The bench keys of learning across audits (Django must be set up)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from learning import report

    partnership, chair = _already_seeded(audits) or seed_published_history(audits)
    client = Client()
    client.force_login(chair)
    client.get(reverse("home"))
    rounds = 20 if quick else 60
    search, trends, queries = [], [], {}
    for i in range(rounds):
        url = reverse("learning_library")
        params = {"q": WORDS[i % len(WORDS)], "page": str(1 + i % 3)}
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, params).status_code == 200
        search.append(time.perf_counter() - started)
        queries.setdefault("search", set()).add(len(captured))
    year = datetime.date(
        partnership.audits.order_by("meeting_date").first().meeting_date.year, 1, 1
    )
    periods = [{}, {"start": year.isoformat(), "end": year.replace(month=12, day=31).isoformat()}]
    for i in range(rounds // 2):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("learning_trends"), periods[i % 2])
            assert response.status_code == 200
        trends.append(time.perf_counter() - started)
        queries.setdefault(f"trends{i % 2}", set()).add(len(captured))
    started = time.perf_counter()
    context = report.assurance_context(
        chair, partnership=partnership, start=year, end=year.replace(month=12, day=31)
    )
    report.render_pdf_bytes(context)
    report_seconds = time.perf_counter() - started
    return {
        "search_p95_ms": _p95_ms(search),
        "trends_p95_ms": _p95_ms(trends),
        "report_40_audits_s": round(report_seconds, 2),
        "report_audits": len(context["audits"]),
        "learning_audits": audits,
        "search_max_queries": max(queries["search"]),
        "trends_max_queries": max(max(queries["trends0"]), max(queries["trends1"])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audits", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="80 audits, a smoke check")
    options = parser.parse_args()
    from run import setup_django

    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "bench.sqlite3")
        figures = learning_figures(
            audits=80 if options.quick else options.audits, quick=options.quick
        )
    for key, value in figures.items():
        goal = GOALS.get(key)
        note = ""
        if goal:
            met = value < goal[1] if goal[0] == "<" else value == goal[1]
            note = f"(goal {goal[0]} {goal[1]}: {'met' if met else 'MISSED'})"
        print(f"{key}: {value} {note}".rstrip())
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
