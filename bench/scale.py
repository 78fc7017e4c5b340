"""A large installation, as years of use leave it: many partnerships, audits, briefing items,
actions with their updates, access-log entries and users. Every name and text is invented.

    scripts/with-postgres python bench/scale.py            # the full size, on PostgreSQL
    python bench/scale.py --quick                          # a small one, on a new SQLite file

From Python (Django set up and migrated; `bench/` on the path):

    import scale
    installation = scale.build(scale.FULL)      # or scale.QUICK, or scale.Size(audits=...)
    installation.chair_username                 # a chair of the first partnership
    scale.list_pages(installation)              # {page name: path} of every list page

Rows are written with bulk_create in batches, so the full size takes a minute or two on
PostgreSQL. History (django-simple-history) is not written for generated rows.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BATCH = 2000
PASSWORD = "scale"  # noqa: S105 (generated, local-only accounts)
TEXT = (
    "Agencies shared information promptly and the plan was reviewed with the family; "
    "the child's voice was recorded at each visit."
)


def _audit_id(item) -> int:
    """The audit of a briefing item: its case's, or its own."""
    return item.case.audit_id if hasattr(item, "case_id") else item.audit_id


@dataclass(frozen=True)
class Size:
    """How much to generate. Briefing items, actions, updates, access-log entries and users are
    totals, spread evenly over the audits and partnerships."""

    partnerships: int = 10
    audits: int = 1_000
    cases_per_audit: int = 6
    items: int = 60_000  # strengths, findings, good practice and recommendations
    actions: int = 5_000
    updates: int = 20_000
    access_log: int = 30_000
    users: int = 2_000
    agencies: int = 12  # in each partnership
    agencies_per_audit: int = 4
    chronology_rows_per_case: int = 8


FULL = Size()
QUICK = Size(
    partnerships=2,
    audits=20,
    items=1_200,
    actions=100,
    updates=400,
    access_log=600,
    users=40,
)


@dataclass
class Installation:
    """What was generated, and whom to sign in as to read it."""

    size: Size
    partnership_ids: list[int]
    chair_username: str  # chair of the first partnership
    qa_username: str  # QA member of the first partnership
    coordinator_username: str  # co-ordinator for an agency of the first partnership
    viewer_username: str
    audit_id: int  # a closed audit of the first partnership that the co-ordinator sees too
    case_id: int  # its first case
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)


@contextlib.contextmanager
def _dates_as_given(*fields):
    """Lets bulk_create keep the dates given for `auto_now`/`auto_now_add` fields, so that
    generated rows spread over years rather than all being made now."""
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _spread(total: int, parts: int) -> list[int]:
    """`total` split into `parts` counts that differ by one at most."""
    base, extra = divmod(total, parts)
    return [base + (1 if n < extra else 0) for n in range(parts)]


def build(size: Size = FULL, *, seed: int = 7) -> Installation:  # noqa: PLR0915 (one recipe)
    """Generate an installation of `size` in the current database, beside what is there."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from actions.models import Action, ActionUpdate
    from cases.models import AgencySubmission, Audit, Case, ChronologyEntry, Theme
    from findings.models import (
        BriefingVersion,
        Finding,
        GoodPractice,
        Recommendation,
        Strength,
        Tag,
    )
    from findings.services import learning_tags_seed
    from maca.models import AccessLogEntry, Agency, Membership, Partnership, User

    started = time.perf_counter()
    chance = random.Random(seed)  # noqa: S311 (repeatable invented data, not a secret)
    now = timezone.now()
    today = timezone.localdate()
    run = f"{int(time.time() * 1000) % 10**9:09d}"  # names stay unique when built again

    with transaction.atomic():
        partnerships = Partnership.objects.bulk_create(
            Partnership(name=f"Scale partnership {run}-{n + 1:02d}")
            for n in range(size.partnerships)
        )
        # Each partnership has its own agencies and learning tags.
        made = Agency.objects.bulk_create(
            Agency(
                partnership=partnership,
                name=f"Scale agency {run}-{n + 1:02d}",
                sector=Agency.Sector.OTHER,
            )
            for partnership in partnerships
            for n in range(size.agencies)
        )
        agencies_of = {
            p.pk: made[i * size.agencies : (i + 1) * size.agencies]
            for i, p in enumerate(partnerships)
        }
        for partnership in partnerships:
            learning_tags_seed(partnership=partnership)
        tags_of = {
            p.pk: list(Tag.objects.filter(partnership=p).order_by("pk")[:12]) for p in partnerships
        }

        # Users: per partnership one chair, a few QA members, co-ordinators for every agency,
        # and viewers.
        password = make_password(PASSWORD)
        per_partnership = _spread(size.users, size.partnerships)
        users, roles = [], []
        for p, count in enumerate(per_partnership):
            qa = max(1, count // 20)
            viewers = max(1, count // 5)
            coordinators = max(1, count - 1 - qa - viewers)
            own = agencies_of[partnerships[p].pk]
            plan = (
                [(Membership.Role.CHAIR, None)]
                + [(Membership.Role.QA_MEMBER, None)] * qa
                + [(Membership.Role.COORDINATOR, own[n % len(own)]) for n in range(coordinators)]
                + [(Membership.Role.VIEWER, None)] * viewers
            )[:count]
            for n, (role, agency) in enumerate(plan):
                users.append(
                    User(
                        username=f"scale-{run}-{p + 1:02d}-{role}-{n + 1:04d}",
                        first_name="Person",
                        last_name=f"{p + 1:02d}-{n + 1:04d}",
                        password=password,
                    )
                )
                roles.append((partnerships[p], role, agency))
        users = User.objects.bulk_create(users, batch_size=BATCH)
        Membership.objects.bulk_create(
            (
                Membership(user=user, partnership=partnership, role=role, agency=agency)
                for user, (partnership, role, agency) in zip(users, roles, strict=True)
            ),
            batch_size=BATCH,
        )
        people = {}  # (partnership id, role) -> users
        for user, (partnership, role, agency) in zip(users, roles, strict=True):
            people.setdefault((partnership.pk, role), []).append((user, agency))

        # Audits: mostly closed, years of them, a few at each working stage.
        themes = Theme.objects.bulk_create(
            (
                Theme(partnership=partnerships[n % size.partnerships], name=f"Theme {n + 1:04d}")
                for n in range(size.audits)
            ),
            batch_size=BATCH,
        )
        working = [s for s, _ in Audit.Status.choices if s != Audit.Status.CLOSED]
        audits = []
        for n, theme in enumerate(themes):
            age_days = int((size.audits - n) * 3650 / size.audits)
            status = Audit.Status.CLOSED if n < size.audits * 0.9 else working[n % len(working)]
            made = now - datetime.timedelta(days=age_days + 60)
            audits.append(
                Audit(
                    partnership=theme.partnership,
                    theme=theme,
                    status=status,
                    meeting_date=today - datetime.timedelta(days=age_days),
                    protective_marking="OFFICIAL-SENSITIVE",
                    closed_at=made + datetime.timedelta(days=90)
                    if status == Audit.Status.CLOSED
                    else None,
                    pack_released_at=made if status == Audit.Status.CLOSED else None,
                    plan_published_at=made if status == Audit.Status.CLOSED else None,
                    briefing_published_at=made + datetime.timedelta(days=90)
                    if status == Audit.Status.CLOSED
                    else None,
                    created_at=made,
                    updated_at=made,
                )
            )
        with _dates_as_given(*(Audit._meta.get_field(f) for f in ("created_at", "updated_at"))):
            audits = Audit.objects.bulk_create(audits, batch_size=BATCH)
        taking_part = {
            audit.pk: chance.sample(agencies_of[audit.partnership_id], size.agencies_per_audit)
            for audit in audits
        }
        Audit.agencies.through.objects.bulk_create(
            (
                Audit.agencies.through(audit_id=audit_id, agency_id=agency.pk)
                for audit_id, chosen in taking_part.items()
                for agency in chosen
            ),
            batch_size=BATCH,
        )
        BriefingVersion.objects.bulk_create(
            (
                BriefingVersion(
                    audit=audit,
                    number=1,
                    published_at=audit.briefing_published_at,
                    html="<p>A generated briefing.</p>",
                    pdf=b"%PDF-1.7 generated",
                    sha256="0" * 64,
                )
                for audit in audits
                if audit.status == Audit.Status.CLOSED
            ),
            batch_size=BATCH,
        )

        # Cases, the agencies involved in each, and what agencies gave for them.
        cases = Case.objects.bulk_create(
            (
                Case(audit=audit, label=f"Case {n + 1}", order=n)
                for audit in audits
                for n in range(size.cases_per_audit)
            ),
            batch_size=BATCH,
        )
        involved = {
            case.pk: taking_part[case.audit_id][: max(1, size.agencies_per_audit - 1)]
            for case in cases
        }
        Case.agencies.through.objects.bulk_create(
            (
                Case.agencies.through(case_id=case_id, agency_id=agency.pk)
                for case_id, chosen in involved.items()
                for agency in chosen
            ),
            batch_size=BATCH,
        )
        ChronologyEntry.objects.bulk_create(
            (
                ChronologyEntry(
                    case=case,
                    agency=involved[case.pk][n % len(involved[case.pk])],
                    date=datetime.date(2015, 1, 1)
                    + datetime.timedelta(days=(case.pk * 37 + n) % 3650),
                    event=f"Visit {n + 1}: {TEXT}",
                    impact=ChronologyEntry.Impact.values[n % 4],
                )
                for case in cases
                for n in range(size.chronology_rows_per_case)
            ),
            batch_size=BATCH,
        )
        AgencySubmission.objects.bulk_create(
            (
                AgencySubmission(
                    case=case,
                    agency=agency,
                    status=AgencySubmission.Status.SUBMITTED,
                    submitted_at=now,
                )
                for case in cases
                for agency in involved[case.pk]
            ),
            batch_size=BATCH,
        )

        # Briefing items: per case strengths and findings, per audit good practice and
        # recommendations (each drawing on two cases), one learning tag on each.
        per_audit = _spread(size.items, size.audits)
        cases_of: dict[int, list] = {}
        for case in cases:
            cases_of.setdefault(case.audit_id, []).append(case)
        strengths, findings, practice, recommendations = [], [], [], []
        for audit, count in zip(audits, per_audit, strict=True):
            own_cases = cases_of[audit.pk]
            chosen = taking_part[audit.pk]
            for n in range(count):
                kind = n % 6
                agency = chosen[n % len(chosen)]
                case = own_cases[(n // 6) % len(own_cases)]
                text = f"Item {n + 1}: {TEXT}"
                if kind in (0, 1):
                    strengths.append(Strength(case=case, agency=agency, text=text, order=n))
                elif kind in (2, 3):
                    findings.append(Finding(case=case, agency=agency, text=text, order=n))
                elif kind == 4:
                    practice.append(GoodPractice(audit=audit, agency=agency, text=text, order=n))
                else:
                    recommendations.append(Recommendation(audit=audit, text=text, order=n))
        partnership_of = {audit.pk: audit.partnership_id for audit in audits}
        for model, rows in (
            (Strength, strengths),
            (Finding, findings),
            (GoodPractice, practice),
            (Recommendation, recommendations),
        ):
            made = model.objects.bulk_create(rows, batch_size=BATCH)
            column = f"{model._meta.model_name}_id"
            if any(tags_of.values()):
                model.tags.through.objects.bulk_create(
                    (
                        model.tags.through(**{column: item.pk, "tag_id": tags[n % len(tags)].pk})
                        for n, item in enumerate(made)
                        if (tags := tags_of[partnership_of[_audit_id(item)]])
                    ),
                    batch_size=BATCH,
                )
        Recommendation.cases.through.objects.bulk_create(
            (
                Recommendation.cases.through(recommendation_id=item.pk, case_id=case.pk)
                for n, item in enumerate(recommendations)
                for case in (cases_of[item.audit_id][n % 3], cases_of[item.audit_id][n % 3 + 3])
                if size.cases_per_audit >= 6
            ),
            batch_size=BATCH,
        )
        recommendations_of: dict[int, list] = {}
        for item in recommendations:
            recommendations_of.setdefault(item.audit_id, []).append(item)

        # Actions in every state, with their updates by the owner agency's co-ordinators.
        states = [
            (Action.Status.COMPLETE, -400),
            (Action.Status.COMPLETE, -200),
            (Action.Status.IN_PROGRESS, 20),
            (Action.Status.IN_PROGRESS, -10),
            (Action.Status.NOT_STARTED, 120),
            (Action.Status.CANCELLED, -100),
        ]
        actions = []
        for audit, count in zip(audits, _spread(size.actions, size.audits), strict=True):
            own = recommendations_of.get(audit.pk, [])
            for n in range(count):
                status, due = states[(audit.pk + n) % len(states)]
                actions.append(
                    Action(
                        audit=audit,
                        recommendation=own[n % len(own)] if own else None,
                        text=f"Action {n + 1}: review the practice guidance and train staff.",
                        owner_agency=taking_part[audit.pk][n % size.agencies_per_audit],
                        lead=f"Lead officer {n + 1}",
                        due_date=today + datetime.timedelta(days=due),
                        status=status,
                        cancel_reason="Overtaken by a new policy."
                        if status == Action.Status.CANCELLED
                        else "",
                        outcome_statement="Done." if status == Action.Status.COMPLETE else "",
                        order=n,
                    )
                )
        actions = Action.objects.bulk_create(actions, batch_size=BATCH)
        coordinators_of = {}
        for (partnership_id, role), holders in people.items():
            if role == Membership.Role.COORDINATOR:
                for user, agency in holders:
                    coordinators_of.setdefault((partnership_id, agency.pk), user)
        audit_partnership = {audit.pk: audit.partnership_id for audit in audits}
        updates = []
        for action, count in zip(actions, _spread(size.updates, len(actions)), strict=True):
            author = coordinators_of.get(
                (audit_partnership[action.audit_id], action.owner_agency_id)
            )
            updates.extend(
                ActionUpdate(
                    action=action,
                    date=today - datetime.timedelta(days=30 * (count - n)),
                    text=f"Update {n + 1}: training delivered to a further team.",
                    author=author,
                )
                for n in range(count)
            )
        ActionUpdate.objects.bulk_create(updates, batch_size=BATCH)

        # The access log: looks at audit pages, briefings and plans over the years.
        members = [
            (user, partnership)
            for user, (partnership, role, _agency) in zip(users, roles, strict=True)
            if role != Membership.Role.VIEWER
        ]
        audits_of: dict[int, list] = {}
        for audit in audits:
            audits_of.setdefault(audit.partnership_id, []).append(audit)
        pages = ["audit_detail", "briefing_html", "audit_actions", "progress", "case_detail"]
        entries = []
        for n in range(size.access_log):
            user, partnership = members[n % len(members)]
            audit = audits_of[partnership.pk][(n * 7) % len(audits_of[partnership.pk])]
            entries.append(
                AccessLogEntry(
                    at=now - datetime.timedelta(minutes=n * 173),
                    user=user,
                    username=user.username,
                    ip_address="127.0.0.1",
                    action=AccessLogEntry.Action.VIEW,
                    what=pages[n % len(pages)],
                    path=f"/audits/{audit.pk}/",
                    audit_id=audit.pk,
                    partnership_id=partnership.pk,
                )
            )
        with _dates_as_given(AccessLogEntry._meta.get_field("at")):
            AccessLogEntry.objects.bulk_create(entries, batch_size=BATCH)

    first = partnerships[0].pk
    coordinator, coordinated = people[(first, Membership.Role.COORDINATOR)][0]
    followed = next(
        audit
        for audit in reversed(audits)
        if audit.partnership_id == first
        and audit.status == Audit.Status.CLOSED
        and coordinated in taking_part[audit.pk]
    )
    counts = {
        "partnerships": len(partnerships),
        "audits": len(audits),
        "cases": len(cases),
        "items": len(strengths) + len(findings) + len(practice) + len(recommendations),
        "actions": len(actions),
        "updates": len(updates),
        "access_log": len(entries),
        "users": len(users),
    }
    return Installation(
        size=size,
        partnership_ids=[p.pk for p in partnerships],
        chair_username=people[(first, Membership.Role.CHAIR)][0][0].username,
        qa_username=people[(first, Membership.Role.QA_MEMBER)][0][0].username,
        coordinator_username=coordinator.username,
        viewer_username=people[(first, Membership.Role.VIEWER)][0][0].username,
        audit_id=followed.pk,
        case_id=cases_of[followed.pk][0].pk,
        seconds=time.perf_counter() - started,
        counts=counts,
    )


def list_pages(installation: Installation, *, coordinator: bool = False) -> dict[str, str]:
    """Every list page, on the installation's sample audit: {name: path}. The access log is the
    chair's alone, so it is left out for a co-ordinator."""
    from django.urls import reverse

    audit, case = installation.audit_id, installation.case_id
    pages = {
        "home": reverse("home"),
        "action_plan": reverse("action_plan"),
        "my_actions": reverse("my_actions"),
        "access_log": reverse("access_log"),
        "audit_detail": reverse("audit_detail", args=[audit]),
        "audit_actions": reverse("audit_actions", args=[audit]),
        "progress": reverse("progress", args=[audit]),
        "integrated_chronology": reverse("integrated_chronology", args=[audit, case]),
        "briefing_html": reverse("briefing_html", args=[audit]),
    }
    if coordinator:
        del pages["access_log"]
    else:
        del pages["my_actions"]
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small installation")
    options = parser.parse_args()
    from run import setup_django  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "scale.sqlite3")
        installation = build(QUICK if options.quick else FULL)
    print(f"built in {installation.seconds:.1f} s: {json.dumps(installation.counts)}")
    print(json.dumps({k: v for k, v in asdict(installation).items() if k != "size"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
