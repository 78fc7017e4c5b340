import copy
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from actions.models import Action, ActionUpdate
from actions.package import SCHEMA_PATH, package_export, package_validate
from cases.models import Audit, BriefingParagraph, Case, Theme
from findings.models import Finding, GoodPractice, Recommendation, Strength, Tag
from maca.models import Agency, Partnership

from .factories import AgencyFactory

pytestmark = pytest.mark.django_db

ALL_MODELS = [
    Partnership,
    Agency,
    Theme,
    Audit,
    BriefingParagraph,
    Case,
    Strength,
    Finding,
    GoodPractice,
    Recommendation,
    Tag,
    Action,
    ActionUpdate,
]

VALID = {
    "format": "maca-audit/1",
    "partnership": "Invented Safeguarding Partnership",
    "theme": {"name": "Domestic abuse"},
    "meeting_date": "2026-03-04",
    "protective_marking": "OFFICIAL-SENSITIVE",
    "briefing": {
        "theme_and_cases": ["Four cases were chosen."],
        "process": ["Agencies sent chronologies."],
        "headings": {"strengths": "What went well"},
    },
    "agencies": [{"name": "Police", "sector": "police"}, {"name": "Housing", "sector": "housing"}],
    "cases": [
        {
            "label": "Case 1",
            "strengths": [{"text": "Quick referral.", "agency": "Police", "tags": ["escalation"]}],
            "findings": [{"text": "No contingency plan.", "tags": ["contingency planning"]}],
        },
        {"label": "Case 2", "findings": [{"text": "Drift.", "agency": "Early Help"}]},
    ],
    "recommendations": [{"text": "Share plans.", "cases": ["Case 1", "Case 2"]}],
    "actions": [
        {
            "text": "Write a protocol.",
            "recommendation": 0,
            "owner_agency": "Housing",
            "lead": "Head of Housing",
            "due_date": "2026-06-30",
            "status": "in_progress",
            "updates": [{"date": "2026-04-01", "text": "Drafted."}],
        }
    ],
}


def counts():
    return {model.__name__: model.objects.count() for model in ALL_MODELS}


def write(tmp_path, content, name="package.json"):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def import_file(path):
    out = io.StringIO()
    call_command("import_audit", str(path), "--create-partnership", stdout=out)
    return out.getvalue()


def test_import_creates_the_audit_and_prints_its_address_last(tmp_path, settings):
    output = import_file(write(tmp_path, VALID))
    audit = Audit.objects.get()
    assert output.strip().splitlines()[-1] == f"{settings.SITE_URL}/audits/{audit.pk}/"
    assert audit.partnership.name == "Invented Safeguarding Partnership"
    assert audit.heading_strengths == "What went well"
    assert audit.heading_findings == "Findings identified per case"
    assert [c.label for c in audit.cases.all()] == ["Case 1", "Case 2"]
    strength = Strength.objects.get()
    assert strength.agency.name == "Police"
    assert [t.name for t in strength.tags.all()] == ["escalation"]
    assert Finding.objects.get(text="Drift.").agency.name == "Early Help"  # created by name
    recommendation = Recommendation.objects.get()
    assert [c.label for c in recommendation.cases.order_by("order")] == ["Case 1", "Case 2"]
    action = Action.objects.get()
    assert action.recommendation == recommendation
    assert action.owner_agency.name == "Housing"
    assert str(action.due_date) == "2026-06-30"
    assert action.updates.get().text == "Drafted."


def bad(**changes):
    package = copy.deepcopy(VALID)
    for path, value in changes.items():
        target = package
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key) if key.isdigit() else key]
        target[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
    return package


@pytest.mark.parametrize(
    "content, location, words",
    [
        ("{not json", "$", "not valid JSON"),
        (bad(format="maca-audit/2"), "$.format", "must be 'maca-audit/1'"),
        (bad(cases=[]), "$.cases", "should be non-empty"),
        (bad(cases__1__label=""), "$.cases[1].label", "should be non-empty"),
        (bad(meeting_date="14/10/2026"), "$.meeting_date", "is not a 'date'"),
        (bad(actions__0__status="done"), "$.actions[0].status", "is not one of"),
        (
            bad(recommendations__0__cases=["Case 1", "Case 9"]),
            "$.recommendations[0].cases[1]",
            "no case in this package is labelled 'Case 9'",
        ),
        (bad(cases__1__label="Case 1"), "$.cases[1].label", "two cases are labelled 'Case 1'"),
        (
            bad(actions__0__recommendation=3),
            "$.actions[0].recommendation",
            "there is no recommendation 3",
        ),
        (bad(cases__0__label="x" * 51), "$.cases[0].label", "at most 50 fit"),
        (
            bad(usage=[{"agency": "Police", "date": "2026-01-02", "team": "T", "staff": -1}]),
            "$.usage[0].staff",
            "is less than the minimum of 0",
        ),
        (
            bad(usage=[{"agency": "Police", "date": "2026-01-02", "team": "T", "staff": 10**30}]),
            "$.usage[0].staff",
            "is greater than the maximum of 100000",
        ),
        (
            bad(usage=[{"agency": "Police", "date": "2099-01-02", "team": "T", "staff": 3}]),
            "$.usage[0].date",
            "is in the future",
        ),
        (
            bad(
                usage=[
                    {
                        "agency": "Police",
                        "date": "2026-01-02",
                        "team": "T",
                        "staff": 3,
                        "briefing": "x",
                    }
                ]
            ),
            "$.usage[0].briefing",
            "is not one of",
        ),
        (
            bad(seven_minute_briefing={"questions": "x" * 5001}),
            "$.seven_minute_briefing.questions",
            "at most 5000 fit",
        ),
        (
            bad(seven_minute_briefing={"part_eight": "x"}),
            "$.seven_minute_briefing",
            "Additional properties are not allowed",
        ),
    ],
    ids=[
        "not-json",
        "format",
        "no-cases",
        "blank-label",
        "date",
        "status",
        "unknown-case",
        "duplicate-label",
        "bad-recommendation-index",
        "long-label",
        "negative-staff",
        "staff-past-any-column",
        "future-use",
        "unknown-briefing",
        "long-part",
        "unknown-part",
    ],
)
def test_bad_packages_are_refused_with_the_file_and_location_and_nothing_is_written(
    tmp_path, content, location, words
):
    path = write(tmp_path, content)
    before = counts()
    with pytest.raises(CommandError) as raised:
        import_file(path)
    message = str(raised.value)
    assert f"{path}: {location}: " in message
    assert words in message
    assert "Traceback" not in message
    assert counts() == before


def test_missing_required_keys_are_named(tmp_path):
    package = copy.deepcopy(VALID)
    del package["theme"]
    with pytest.raises(CommandError, match=r"\$: 'theme' is required"):
        import_file(write(tmp_path, package))


def test_a_missing_file_is_a_clear_message(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        import_file(tmp_path / "nowhere.json")


def test_the_partnership_named_on_the_command_line_wins_over_the_package_s(tmp_path):
    southshire = Partnership.objects.create(name="Southshire Partnership")
    AgencyFactory(name="Police", partnership=Partnership.objects.create(name="Northshire"))
    out = io.StringIO()
    path = write(tmp_path, VALID)
    call_command("import_audit", str(path), "--partnership", "southshire partnership", stdout=out)
    audit = Audit.objects.get()
    assert audit.partnership == southshire
    assert "Into the partnership 'Southshire Partnership'." in out.getvalue()
    assert not Partnership.objects.filter(name=VALID["partnership"]).exists()
    # The agencies it names are Southshire's own, beside Northshire's Police.
    assert {a.partnership for a in audit.agencies.all()} == {southshire}
    assert Agency.objects.filter(name="Police").count() == 2


def test_an_unknown_partnership_imports_nothing_unless_it_is_to_be_created(tmp_path):
    Partnership.objects.create(name="Southshire Partnership")
    before = counts()
    path = write(tmp_path, VALID)
    for name in (["--partnership", "Southshir Partnership"], []):  # mistyped; the package's
        with pytest.raises(CommandError) as refused:
            call_command("import_audit", str(path), *name, stdout=io.StringIO())
        assert "nothing was imported" in str(refused.value)
        assert "No partnership is named" in str(refused.value)
        assert "'Southshire Partnership'" in str(refused.value)  # the ones there are
        assert "--create-partnership" in str(refused.value)
        assert counts() == before
    out = io.StringIO()
    call_command(
        "import_audit",
        str(path),
        "--partnership",
        "Westshire Partnership",
        "--create-partnership",
        stdout=out,
    )
    assert Audit.objects.get().partnership.name == "Westshire Partnership"
    assert "Into the partnership 'Westshire Partnership' (created for this import)." in (
        out.getvalue()
    )


def test_the_import_command_exits_non_zero_without_a_traceback(tmp_path):
    import subprocess
    import sys

    path = write(tmp_path, bad(format="other"))
    result = subprocess.run(
        [sys.executable, "manage.py", "import_audit", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "$.format" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failure_half_way_rolls_everything_back(tmp_path, monkeypatch):
    from actions import package as package_module

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(package_module, "_create_actions", explode)
    before = counts()
    with pytest.raises(CommandError, match="the package could not be imported"):
        import_file(write(tmp_path, VALID))
    assert counts() == before


def test_export_validates_against_the_schema_and_round_trips(demo_audit, tmp_path):
    exported = package_export(demo_audit)
    package_validate(exported)  # raises on any problem
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$id"] == "maca-audit-1.schema.json"

    out = tmp_path / "export.json"
    call_command("export_audit", str(demo_audit.pk), "--output", str(out))
    reimported_path = import_file(out).strip().splitlines()[-1]
    reimported = Audit.objects.get(pk=int(reimported_path.strip("/").split("/")[-1]))
    assert reimported.pk != demo_audit.pk
    assert package_export(reimported) == exported


def test_export_to_standard_output_is_the_package(demo_audit):
    out = io.StringIO()
    call_command("export_audit", str(demo_audit.pk), stdout=out)
    package = json.loads(out.getvalue())
    assert package["format"] == "maca-audit/1"
    assert [c["label"] for c in package["cases"]] == [f"Case {n}" for n in range(1, 7)]
    assert len(package["recommendations"]) == 8
    assert package["recommendations"][0]["cases"] == ["Case 2", "Case 5", "Case 6"]


def test_export_of_a_missing_audit_is_a_clear_message(db):
    with pytest.raises(CommandError, match="There is no audit 999"):
        call_command("export_audit", "999", stdout=io.StringIO())


def test_a_cancelled_action_without_a_reason_still_imports(tmp_path):
    package = bad(actions__0__status="cancelled")
    import_file(write(tmp_path, package))
    assert Action.objects.get().cancel_reason.startswith("Cancelled before this audit was imported")


def test_a_reaudit_with_its_7_minute_briefing_and_uses_round_trips_losslessly(demo_audit):
    """The demo's re-audit links to its original; the original carries its 7-minute briefing,
    its uses and its impact measures: each exports, imports and exports again the same."""
    from findings.models import SevenMinuteBriefing, UsageRecord

    reaudit = Audit.objects.get(reaudit_of=demo_audit)
    for audit in (demo_audit, reaudit):
        exported = package_export(audit)
        package_validate(exported)
        again = package_export(import_package_copy(exported))
        assert again == exported
    original = package_export(demo_audit)
    assert set(original["seven_minute_briefing"]) == {
        "background",
        "why_it_matters",
        "what_we_found",
        "what_went_well",
        "what_needs_to_change",
        "questions",
        "find_out_more",
    }
    assert original["seven_minute_briefing"]["what_we_found"] == (
        SevenMinuteBriefing.objects.get(audit=demo_audit).what_we_found
    )
    assert {use["agency"] for use in original["usage"]} == {"Housing", "Early Help"}
    assert len(original["usage"]) == UsageRecord.objects.filter(audit=demo_audit).count()
    # Which briefing each team used goes with it, and comes back on import.
    assert {use["briefing"] for use in original["usage"]} == {"seven_minute", "six_step"}
    assert any(r["impact_measure"] for r in original["recommendations"])
    linked = package_export(reaudit)["reaudit_of"]
    assert linked == {"title": demo_audit.title, "meeting_date": "2026-10-14"}


def import_package_copy(package):
    from actions.package import package_import

    return package_import(copy.deepcopy(package))


def test_an_older_package_without_the_new_parts_still_imports(tmp_path):
    import_file(write(tmp_path, VALID))
    audit = Audit.objects.get()
    assert audit.reaudit_of is None
    assert not hasattr(audit, "seven_minute_briefing") or audit.seven_minute_briefing is None
    exported = package_export(audit)
    assert exported["usage"] == [] and "seven_minute_briefing" not in exported


@pytest.mark.parametrize(
    "changes, location",
    [
        ({"agencies__0__name": "\u200b"}, "$.agencies[0].name"),
        ({"actions__0__owner_agency": "\u3164"}, "$.actions[0].owner_agency"),
        ({"cases__0__strengths__0__agency": "\u2060"}, "$.cases[0].strengths[0].agency"),
        (
            {"usage": [{"agency": "\u200b", "date": "2026-01-02", "team": "T", "staff": 3}]},
            "$.usage[0].agency",
        ),
    ],
)
def test_an_agency_named_by_invisible_characters_is_refused_where_it_is(
    tmp_path, changes, location
):
    before = counts()
    with pytest.raises(CommandError) as raised:
        import_file(write(tmp_path, bad(**changes)))
    assert location in str(raised.value)
    assert counts() == before


def test_invisible_characters_in_an_agencys_name_make_no_second_agency(tmp_path):
    """ "Pol\u200bice" is the package's Police, not an agency that looks the same."""
    package = bad(
        cases__0__strengths__0__agency="Pol\u200bice",
        actions__0__owner_agency="\u2060Housing\u3164",
    )
    import_file(write(tmp_path, package))
    names = sorted(Agency.objects.values_list("name", flat=True))
    assert names == ["Early Help", "Housing", "Police"]
