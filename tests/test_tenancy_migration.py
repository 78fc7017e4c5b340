"""Upgrading an installation where partnerships shared agencies and learning tags: each
partnership ends with its own, every row still says what it said, and nothing is lost."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("maca", "0006_partnership_seven_minute_text"),
    ("cases", "0010_outgoing_emails"),
    ("findings", "0011_seven_minute_usage_impact"),
    ("actions", "0003_text_limits"),
    ("learning", "0001_library_of_published_items"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def build_shared_world(apps) -> dict:
    """Two partnerships using one Police and one shared learning tag, as before tenancy."""
    get = apps.get_model
    Partnership, Agency = get("maca", "Partnership"), get("maca", "Agency")
    Tag = get("findings", "Tag")
    north = Partnership.objects.create(name="Northshire Partnership")
    south = Partnership.objects.create(name="Southshire Partnership")
    police = Agency.objects.create(name="Police", sector="police")
    housing = Agency.objects.create(name="Housing", sector="housing")
    unused = Agency.objects.create(name="Fire and Rescue", sector="other")
    # Shared, as MACA's first migrations seeded it (a test database made since has none).
    neglect = Tag.objects.get_or_create(name="neglect", slug="neglect", partnership=None)[0]
    Tag.objects.get_or_create(name="voice of the child", slug="voice-of-the-child")
    own = Tag.objects.create(name="rough sleeping", slug="rough-sleeping", partnership=north)
    user = get("maca", "User").objects.create(username="coordinator")
    get("maca", "Membership").objects.create(
        user=user, partnership=north, role="coordinator", agency=police
    )
    world = {"police": police.pk, "housing": housing.pk, "unused": unused.pk}
    for key, partnership in (("north", north), ("south", south)):
        theme = get("cases", "Theme").objects.create(partnership=partnership, name="Neglect")
        audit = get("cases", "Audit").objects.create(
            partnership=partnership, theme=theme, title="MACA"
        )
        audit.agencies.add(police, housing) if key == "north" else audit.agencies.add(police)
        case = get("cases", "Case").objects.create(audit=audit, label="Case 1")
        case.agencies.add(police)
        entry = get("cases", "ChronologyEntry").objects.create(
            case=case, agency=police, date=datetime.date(2025, 1, 2), event="Visit."
        )
        finding = get("findings", "Finding").objects.create(case=case, text="Drift.", agency=police)
        finding.tags.add(neglect)
        if key == "north":
            finding.tags.add(own)
        action = get("actions", "Action").objects.create(
            audit=audit, text="Train staff.", owner_agency=police
        )
        version = get("findings", "BriefingVersion").objects.create(
            audit=audit,
            number=1,
            published_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
            html="",
            pdf=b"",
            sha256="0" * 64,
        )
        library = get("learning", "LibraryEntry").objects.create(
            version=version,
            audit=audit,
            partnership=partnership,
            theme=theme,
            held_on=datetime.date(2026, 1, 1),
            section="findings",
            agency=police,
            text="Drift.",
        )
        library.tags.add(neglect)
        get("maca", "SentReminder").objects.create(key=f"usage:{audit.pk}:{police.pk}", user=user)
        world[key] = {
            "partnership": partnership.pk,
            "audit": audit.pk,
            "case": case.pk,
            "entry": entry.pk,
            "finding": finding.pk,
            "action": action.pk,
            "library": library.pk,
        }
    return world


def test_each_partnership_gets_its_own_agencies_and_tags_and_every_row_follows():
    world = build_shared_world(migrate(BEFORE))
    migrate(latest())

    from actions.models import Action
    from cases.models import Audit, Case, ChronologyEntry
    from findings.models import Finding, Tag
    from learning.models import LibraryEntry
    from maca.models import Agency, Membership, SentReminder

    north, south = world["north"], world["south"]
    # The first partnership to use Police keeps it; the other has a Police of its own.
    police = Agency.objects.get(pk=world["police"])
    assert police.partnership_id == north["partnership"]
    south_police = Agency.objects.get(partnership_id=south["partnership"], name="Police")
    assert south_police.pk != police.pk and south_police.sector == "police"
    assert Membership.objects.get().agency_id == police.pk

    audit = Audit.objects.get(pk=south["audit"])
    assert list(audit.agencies.all()) == [south_police]
    assert list(Case.objects.get(pk=south["case"]).agencies.all()) == [south_police]
    assert ChronologyEntry.objects.get(pk=south["entry"]).agency == south_police
    assert Finding.objects.get(pk=south["finding"]).agency == south_police
    assert Action.objects.get(pk=south["action"]).owner_agency == south_police
    assert LibraryEntry.objects.get(pk=south["library"]).agency == south_police
    assert Finding.objects.get(pk=north["finding"]).agency == police
    assert SentReminder.objects.filter(key=f"usage:{audit.pk}:{south_police.pk}").exists()

    # Housing was Northshire's alone; the agency nobody used is now every partnership's.
    assert Agency.objects.get(pk=world["housing"]).partnership_id == north["partnership"]
    assert Agency.objects.filter(name="Housing").count() == 1
    unused = Agency.objects.filter(name="Fire and Rescue")
    assert {a.partnership_id for a in unused} == {north["partnership"], south["partnership"]}

    # The shared learning tag: one per partnership, same name and slug, each item on its own.
    south_neglect = Tag.objects.get(partnership_id=south["partnership"], name="neglect")
    north_neglect = Tag.objects.get(partnership_id=north["partnership"], name="neglect")
    assert south_neglect.slug == north_neglect.slug == "neglect"
    assert set(Finding.objects.get(pk=south["finding"]).tags.all()) == {south_neglect}
    assert {t.name for t in Finding.objects.get(pk=north["finding"]).tags.all()} == {
        "neglect",
        "rough sleeping",
    }
    assert list(LibraryEntry.objects.get(pk=south["library"]).tags.all()) == [south_neglect]
    # A learning theme no item used is now each partnership's own.
    voice = Tag.objects.filter(name="voice of the child")
    assert {t.partnership_id for t in voice} == {north["partnership"], south["partnership"]}
    assert not Tag.objects.filter(partnership__isnull=True).exists()
