"""The rules of an audit package's import, checked on the import itself (no pages, no command):
which partnership it joins, which agencies and learning tags it links (this partnership's alone,
never another's), how its briefing is published, and what the importer is told."""

from __future__ import annotations

import copy
import datetime
import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actions import imports
from actions.models import Action, ActionUpdate, PackageImport
from actions.package import (
    MAX_SUMMARY_CHARS,
    PackageError,
    PackageProblem,
    UnknownPartnership,
    _Lookups,
    looks_identifying_after_import,
    package_import,
    package_parse,
    package_validate,
    partnership_chosen,
    partnership_for_import,
)
from cases.models import Audit, BriefingParagraph
from findings import publishing
from findings.models import (
    BriefingVersion,
    Finding,
    Recommendation,
    SevenMinuteBriefing,
    Strength,
    Tag,
    UsageRecord,
)
from findings.services import tag_create
from maca.models import Agency, Partnership

from .factories import UserFactory
from .test_package import VALID

pytestmark = pytest.mark.django_db

DEFAULT = "Safeguarding Children Partnership"


def package(**changes):
    data = copy.deepcopy(VALID)
    data.update(changes)
    return data


@pytest.fixture
def mine():
    return Partnership.objects.create(name="Westshire Partnership")


@pytest.fixture
def other():
    """Another partnership holding an agency and a learning tag named as the package's are."""
    other = Partnership.objects.create(name="Eastshire Partnership")
    Agency.objects.create(partnership=other, name="Police", sector=Agency.Sector.HEALTH)
    Agency.objects.create(partnership=other, name="Early Help", sector=Agency.Sector.HEALTH)
    tag_create(name="Missed health visits", partnership=other)
    return other


def rows_of(partnership):
    return (
        sorted(Agency.objects.filter(partnership=partnership).values_list("pk", "name", "sector")),
        sorted(Tag.objects.filter(partnership=partnership).values_list("pk", "name")),
    )


def limit(model, field):
    return model._meta.get_field(field).max_length


def changed(path: str, value):
    """VALID with the value at `path` ("cases.0.label") set."""
    data = package(
        usage=[{"agency": "Police", "date": "2026-01-02", "team": "Team north", "staff": 3}],
        good_practice=[{"text": "Joint visits."}],
        seven_minute_briefing={"questions": "What would you do?"},
    )
    data["recommendations"][0]["cases"] = ["Case 1"]
    target = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key) if key.isdigit() else key]
    target[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
    return data


def problems_of(data) -> list[str]:
    try:
        package_validate(data)
    except PackageError as error:
        return error.lines()
    return []


# Where a package is checked: shape, lengths, blanks, unstorable text, references -------------

LIMITS = [
    ("partnership", 200),
    ("title", 200),
    ("theme.name", 200),
    ("protective_marking", 100),
    ("briefing.headings.strengths", 200),
    ("briefing.theme_and_cases.0", limit(BriefingParagraph, "text")),
    ("briefing.process.0", limit(BriefingParagraph, "text")),
    ("agencies.1.name", 200),
    ("cases.1.label", 50),
    ("cases.0.strengths.0.text", limit(Strength, "text")),
    ("cases.0.strengths.0.agency", 200),
    ("cases.0.strengths.0.tags.0", 100),
    ("cases.0.findings.0.text", limit(Strength, "text")),
    ("cases.1.findings.0.agency", 200),
    ("cases.0.findings.0.tags.0", 100),
    ("good_practice.0.text", limit(Strength, "text")),
    ("recommendations.0.text", limit(Strength, "text")),
    ("recommendations.0.impact_measure", limit(Recommendation, "impact_measure")),
    ("usage.0.agency", 200),
    ("usage.0.team", 200),
    ("usage.0.reflection", limit(UsageRecord, "reflection")),
    ("seven_minute_briefing.questions", limit(SevenMinuteBriefing, "questions")),
    ("actions.0.owner_agency", 200),
    ("actions.0.lead", 200),
    ("actions.0.text", limit(Action, "text")),
    ("actions.0.intended_outcome", limit(Action, "intended_outcome")),
    ("actions.0.impact_measure", limit(Action, "impact_measure")),
    ("actions.0.outcome_statement", limit(Action, "outcome_statement")),
    ("actions.0.cancel_reason", limit(Action, "cancel_reason")),
    ("actions.0.updates.0.text", limit(ActionUpdate, "text")),
]


def location(path: str) -> str:
    return "$" + "".join(f"[{k}]" if k.isdigit() else f".{k}" for k in path.split("."))


@pytest.mark.parametrize("path, most", LIMITS, ids=[path for path, _ in LIMITS])
def test_each_text_may_be_as_long_as_its_field_holds_and_no_longer(path, most):
    assert problems_of(changed(path, "x" * most)) == []
    assert problems_of(changed(path, "x" * (most + 1))) == [
        f"{location(path)}: is {most + 1} characters long; at most {most} fit"
    ]


TAG_PLACES = [
    "cases.0.strengths.0.tags.0",
    "cases.1.findings.0.tags",
    "good_practice.0.tags",
    "recommendations.0.tags",
]


@pytest.mark.parametrize("path", TAG_PLACES)
def test_a_learning_tag_holding_a_persons_details_is_refused_where_it_is(path, mine):
    """As the tag form refuses it: an imported tag joins the partnership's list of tags."""
    tag = "Mrs Smith"
    data = changed(path, tag if path.endswith(".0") else [tag])
    where = location(path if path.endswith(".0") else f"{path}.0")
    assert problems_of(data) == [
        f"{where}: looks like it holds a person's name after their title: a learning "
        "tag names the learning (“housing”, “voice of the child”), never a person"
    ]
    assert (
        problems_of(
            changed(
                path,
                "Voice of the child 2015" if path.endswith(".0") else ["Voice of the child 2015"],
            )
        )
        == []
    )


BLANKS = [
    ("theme.name", "cannot be blank"),
    ("agencies.0.name", "cannot be blank"),
    ("cases.0.strengths.0.text", "cannot be blank"),
    ("cases.1.findings.0.text", "cannot be blank"),
    ("good_practice.0.text", "cannot be blank"),
    ("recommendations.0.text", "cannot be blank"),
    ("actions.0.text", "cannot be blank"),
    ("actions.0.updates.0.text", "cannot be blank"),
    ("usage.0.team", "cannot be blank"),
    ("cases.1.label", "a case label cannot be blank"),
]


@pytest.mark.parametrize("path, message", BLANKS, ids=[path for path, _ in BLANKS])
def test_required_text_of_spaces_alone_is_refused(path, message):
    assert problems_of(changed(path, "   ")) == [f"{location(path)}: {message}"]


@pytest.mark.parametrize(
    "data, lines",
    [
        ([], ["$: a package is a JSON object ({…}) holding an audit"]),
        ("text", ["$: a package is a JSON object ({…}) holding an audit"]),
        (
            changed("cases", {"Case 1": {}}),
            ["$.cases: should be a list ([…])"],
        ),
        (
            changed("agencies", "Police"),
            ["$.agencies: should be a list ([…])"],
        ),
        (
            changed("briefing.process", "Agencies sent chronologies."),
            ["$.briefing.process: should be a list ([…])"],
        ),
        (
            changed("good_practice", "Joint visits."),
            ["$.good_practice: should be a list ([…])"],
        ),
        (
            changed("cases.1.findings", {"text": "Drift."}),
            ["$.cases[1].findings: should be a list ([…])"],
        ),
        (
            changed("cases.0.findings.0.text", "No plan\x00."),
            ["$.cases[0].findings[0].text: contains a NUL character (\\u0000)"],
        ),
        (
            changed("theme.name", "Neglect \ud800"),
            ["$.theme.name: contains half of a surrogate pair, not a character"],
        ),
        (
            changed("cases.1.label", " Case 1 "),
            [
                "$.cases[1].label: two cases are labelled 'Case 1' (the other is $.cases[0])",
            ],
        ),
        (changed("recommendations.0.cases", [" Case 2 ", "Case 1"]), []),
        (
            changed("recommendations.0.cases", ["Case 1", "Case 9"]),
            ["$.recommendations[0].cases[1]: no case in this package is labelled 'Case 9'"],
        ),
        (
            changed("actions.0.recommendation", 1),
            [
                "$.actions[0].recommendation: there is no recommendation 1 (the package has 1, "
                "counted from 0)"
            ],
        ),
        (
            changed("usage.0.date", "2099-01-01"),
            ["$.usage[0].date: is in the future: record uses once held"],
        ),
        (changed("meeting_date", "2026-02-30"), ["$.meeting_date: '2026-02-30' is not a 'date'"]),
        (changed("meeting_date", "9999-12-31"), ["$.meeting_date: is not between 1900 and 2100"]),
        (
            changed("actions.0.due_date", "0001-01-01"),
            ["$.actions[0].due_date: is not between 1900 and 2100"],
        ),
        (
            changed("actions.0.updates.0.date", "2101-01-01"),
            ["$.actions[0].updates[0].date: is not between 1900 and 2100"],
        ),
        (changed("learning_summary", 5), ["$.learning_summary: must be text"]),
        (changed("learning_summary", "x" * MAX_SUMMARY_CHARS), []),
        (
            changed("learning_summary", "x" * (MAX_SUMMARY_CHARS + 1)),
            [
                f"$.learning_summary: is {MAX_SUMMARY_CHARS + 1} characters long; at most "
                f"{MAX_SUMMARY_CHARS} fit"
            ],
        ),
        (
            changed("format", "maca-audit/2"),
            ["$.format: the format must be 'maca-audit/1', not 'maca-audit/2'"],
        ),
    ],
)
def test_what_is_wrong_with_a_package_is_said_where_it_is(data, lines):
    assert problems_of(data) == lines


def without_recommendations():
    data = package()
    del data["recommendations"]
    del data["actions"][0]["recommendation"]
    return data


def action_without_updates():
    data = package()
    del data["actions"][0]["updates"]
    return data


def recommendation_naming_no_case():
    data = package()
    del data["recommendations"][0]["cases"]
    return data


SMALLEST = {"format": "maca-audit/1", "theme": {"name": "Neglect"}, "cases": [{"label": "Case 1"}]}


@pytest.mark.parametrize(
    "data",
    [
        without_recommendations(),
        recommendation_naming_no_case(),
        action_without_updates(),
        SMALLEST,
        {**SMALLEST, "briefing": {}},
        {**SMALLEST, "briefing": {"headings": {"strengths": "What went well"}}},
        {**SMALLEST, "briefing": {"process": ["Agencies sent chronologies."]}},
    ],
    ids=[
        "no-recommendations",
        "recommendation-no-cases",
        "no-updates",
        "smallest",
        "empty-briefing",
        "headings-only",
        "process-only",
    ],
)
def test_every_part_but_the_format_theme_and_cases_may_be_left_out(data):
    assert problems_of(data) == []


def test_the_smallest_package_imports(mine):
    audit = package_import(copy.deepcopy(SMALLEST), into=mine)
    assert [c.label for c in audit.cases.all()] == ["Case 1"]


def test_a_use_s_team_is_imported_without_invisible_characters_as_the_usage_page_keeps_it(mine):
    """Two teams that look alike are one team in the list and the board's report, whether
    recorded on the page or imported; a team of invisible characters alone is no team."""
    assert problems_of(changed("usage.0.team", "\u200b\u2060 \u200b")) == [
        "$.usage[0].team: cannot be blank"
    ]
    audit = package_import(changed("usage.0.team", "Team\u200b north\u2060"), into=mine)
    assert list(UsageRecord.objects.filter(audit=audit).values_list("team", flat=True)) == [
        "Team north"
    ]


def test_a_use_of_the_briefing_recorded_today_is_not_in_the_future():
    assert problems_of(changed("usage.0.date", timezone.localdate().isoformat())) == []


@pytest.mark.parametrize("as_bytes", [False, True])
def test_a_file_of_more_lists_and_objects_than_allowed_is_refused_unread(monkeypatch, as_bytes):
    from actions import package as package_module

    monkeypatch.setattr(package_module, "MAX_CONTAINERS", 3)
    raw = '{"a": [{}], "b": []}'  # two objects and two lists
    raw = raw.encode() if as_bytes else raw
    with pytest.raises(PackageError) as refused:
        package_parse(raw)
    assert refused.value.lines() == [
        "$: the file holds 4 lists and objects; a package may hold at most 3"
    ]
    monkeypatch.setattr(package_module, "MAX_CONTAINERS", 4)
    with pytest.raises(PackageError) as refused:
        package_parse(raw)
    assert refused.value.lines()[0] == "$: 'format' is required"  # read, then found wanting


def test_a_number_too_long_to_read_is_not_valid_json():
    with pytest.raises(PackageError) as refused:
        package_parse('{"format": ' + "1" * 5000 + "}")
    [line] = refused.value.lines()
    assert line.startswith("$: not valid JSON: Exceeds the limit (4300 digits)")


def test_a_package_is_read_from_its_bytes_or_its_text():
    import json

    raw = json.dumps(VALID)
    assert package_parse(raw) == VALID
    assert package_parse(raw.encode()) == VALID
    with pytest.raises(PackageError) as refused:
        package_parse(b"\xff\xfe{")
    assert refused.value.lines() == ["$: not a text file: an audit package is JSON text (.json)"]
    with pytest.raises(PackageError) as refused:
        package_parse('{"format": ')
    assert refused.value.lines() == ["$: not valid JSON (line 1, column 12): Expecting value"]
    with pytest.raises(PackageError) as refused:
        package_parse("[" * 100_000 + "]" * 100_000)
    assert refused.value.lines() == ["$: not valid JSON: nested too deeply"]


def _nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


def test_lists_nested_as_deep_as_json_reads_under_a_key_of_its_own_are_read():
    """The schema allows keys of its own: nested hundreds of lists deep there, the package is
    read (the JSON reader takes it), rather than the check of its dates running out of room
    for calls and the import failing with no reason given."""
    import json

    raw = json.dumps(VALID)[:-1] + f', "notes": {_nested(700)}}}'
    assert package_parse(raw)["notes"] == json.loads(raw)["notes"]


def test_a_date_nested_deep_under_a_key_of_its_own_is_still_checked():
    import json

    deep = _nested(700, '{"due_date": "1800-01-01"}')
    with pytest.raises(PackageError) as refused:
        package_parse(json.dumps(VALID)[:-1] + f', "notes": {deep}}}')
    [problem] = refused.value.problems
    assert problem.location == "$.notes" + "[0]" * 700 + ".due_date"
    assert problem.message == "is not between 1900 and 2100"


def test_a_value_nested_as_deep_as_json_reads_where_the_schema_looks_is_refused_with_a_reason():
    """Where the schema expects text, lists nested as deep as the JSON reader goes are
    refused as a problem of the package, never as an error with no reason."""
    import json
    import sys

    depth = sys.getrecursionlimit()
    while True:  # the deepest the reader takes from here
        raw = json.dumps(VALID)
        raw = raw.replace('"escalation"', _nested(depth), 1)
        try:
            json.loads(raw)
        except RecursionError:
            depth -= 5
            continue
        break
    assert '"escalation"' not in raw
    with pytest.raises(PackageError) as refused:
        package_parse(raw)
    assert refused.value.problems


# Agencies and tags: this partnership's alone ---------------------------------------------------


def test_an_import_links_only_its_own_partnerships_agencies_and_tags(mine, other):
    police = Agency.objects.create(partnership=mine, name="POLICE", sector=Agency.Sector.POLICE)
    escalation = tag_create(name="Escalation", partnership=mine)
    others_before = rows_of(other)

    data = package()
    data["cases"][0]["strengths"][0]["tags"] = ["ESCALATION", "missed health visits"]
    audit = package_import(data, into=mine)

    assert rows_of(other) == others_before  # nothing of the other partnership's changed
    strength = Strength.objects.get()
    assert strength.agency == police  # its own, matched ignoring case, not a second one
    missed = Tag.objects.get(partnership=mine, name="missed health visits")
    assert set(strength.tags.all()) == {escalation, missed}
    linked_agencies = set(audit.agencies.all()) | {f.agency for f in Finding.objects.all()}
    linked_tags = set(Tag.objects.filter(strength__isnull=False)) | set(
        Tag.objects.filter(finding__isnull=False)
    )
    assert {a.partnership for a in linked_agencies if a} == {mine}
    assert {t.partnership for t in linked_tags} == {mine}
    assert Agency.objects.filter(partnership=mine, name__iexact="police").count() == 1
    assert Agency.objects.get(partnership=mine, name="Early Help").sector == "other"
    assert Agency.objects.get(partnership=mine, name="Housing").sector == "housing"
    assert Tag.objects.get(partnership=mine, name="contingency planning")


@pytest.mark.parametrize(
    "declared, asked, sector",
    [
        ([{"name": "Police", "sector": "police"}], "Police", "police"),
        ([{"name": " Police ", "sector": " POLICE "}], "police ", "police"),
        (
            [{"name": "Youth Offending", "sector": "youth justice"}],
            "YOUTH OFFENDING",
            "youth justice",
        ),
        ([{"name": "Police"}], "Police", "other"),
        ([{"name": "Police", "sector": ""}], "Police", "other"),
        ([{"name": "Police", "sector": "astrology"}], "Police", "other"),
        ([{"name": "Housing", "sector": "housing"}], "Early Help", "other"),
        ([], "Early Help", "other"),
    ],
)
def test_a_new_agency_takes_the_sector_the_package_declares_for_it(
    mine, other, declared, asked, sector
):
    lookups = _Lookups(declared, mine)
    agency = lookups.agency(asked)
    assert (agency.partnership, agency.name, agency.sector) == (mine, asked.strip(), sector)
    assert Agency.objects.get(pk=agency.pk).sector == sector
    assert lookups.agency(asked.upper()) == agency  # the same one, made once
    assert Agency.objects.filter(partnership=mine).count() == 1


@pytest.mark.parametrize("name", [None, "", "   "])
def test_no_agency_named_is_none(mine, name):
    assert _Lookups([], mine).agency(name) is None
    assert not Agency.objects.filter(partnership=mine).exists()


def test_tags_are_the_partnerships_own_made_once_and_blank_names_skipped(mine, other):
    drift = tag_create(name="Drift", partnership=mine)
    others_before = rows_of(other)
    lookups = _Lookups([], mine)
    with CaptureQueriesContext(connection) as queries:
        assert lookups.tag_list(["drift", " DRIFT "]) == [drift, drift]  # fetched once, at start
    assert not queries.captured_queries

    tags = lookups.tag_list([" ", "Missed Health Visits", "", "missed health visits", "escalation"])

    assert [t.name for t in tags] == ["Missed Health Visits", "Missed Health Visits", "escalation"]
    assert tags[0] == tags[1]
    assert {t.partnership for t in tags} == {mine}
    assert Tag.objects.filter(partnership=mine, name__iexact="missed health visits").count() == 1
    assert rows_of(other) == others_before


# Which partnership an operator's import joins --------------------------------------------------


@pytest.fixture
def partnerships(mine):
    return {
        "mine": mine,
        "shouting": Partnership.objects.create(name="WESTSHIRE PARTNERSHIP"),
        "default": Partnership.objects.create(name=DEFAULT),
    }


@pytest.mark.parametrize(
    "data, name, expected, chosen",
    [
        ({"partnership": "Westshire Partnership"}, None, "mine", "Westshire Partnership"),
        ({"partnership": "WESTSHIRE PARTNERSHIP"}, None, "shouting", "WESTSHIRE PARTNERSHIP"),
        ({"partnership": "westshire  partnership "}, None, "mine", "westshire partnership"),
        ({"partnership": "Westshire Partnership"}, f"  {DEFAULT} ", "default", DEFAULT),
        ({"partnership": "Westshire Partnership"}, "", "default", DEFAULT),
        ({}, None, "default", DEFAULT),
        ({"partnership": "   "}, None, "default", DEFAULT),
        ({"partnership": 7}, None, "default", DEFAULT),
        ({"partnership": None}, None, "default", DEFAULT),
        ({"partnership": "Nowhere  Partnership"}, None, None, "Nowhere Partnership"),
        ({}, "Nowhere", None, "Nowhere"),
    ],
)
def test_the_partnership_chosen_is_the_name_given_else_the_packages_else_the_default(
    partnerships, data, name, expected, chosen
):
    found, said = partnership_chosen(data=data, name=name)
    assert (found, said) == (partnerships.get(expected), chosen)


def test_an_import_joins_an_existing_partnership_without_making_one(partnerships):
    before = Partnership.objects.count()
    data = {"partnership": "westshire partnership"}
    assert partnership_for_import(data=data, name=None, create=False) == (
        partnerships["mine"],
        False,
    )
    assert partnership_for_import(data=data, name=None, create=True) == (
        partnerships["mine"],
        False,
    )
    assert partnership_for_import(data={}, name=DEFAULT, create=True) == (
        partnerships["default"],
        False,
    )
    assert Partnership.objects.count() == before


def test_a_name_no_partnership_has_is_refused_unless_it_is_to_be_created(partnerships):
    before = Partnership.objects.count()
    with pytest.raises(UnknownPartnership) as refused:
        partnership_for_import(
            data={"partnership": "Nowhere  Partnership"}, name=None, create=False
        )
    assert str(refused.value) == (
        "No partnership is named 'Nowhere Partnership'. Check the name, or give "
        f"--create-partnership to create it. The partnerships are: '{DEFAULT}', "
        "'WESTSHIRE PARTNERSHIP', 'Westshire Partnership'."
    )
    assert Partnership.objects.count() == before

    made, created = partnership_for_import(
        data={"partnership": "Nowhere  Partnership"}, name=None, create=True
    )
    assert created is True
    assert Partnership.objects.get(pk=made.pk).name == "Nowhere Partnership"


# Publishing on import and what the importer is told ---------------------------------------------


def test_a_published_import_is_dated_noon_on_its_meeting_day_by_the_importer(mine):
    user = UserFactory()
    audit = package_import(package(), into=mine, publish=True, user=user)
    noon = timezone.make_aware(datetime.datetime(2026, 3, 4, 12))
    version = BriefingVersion.objects.get(audit=audit)
    assert (version.number, version.published_at, version.published_by) == (1, noon, user)
    assert audit.briefing_published_at == noon
    assert audit.plan_published_at is not None  # its actions go out with it
    assert looks_identifying_after_import(audit) == ""


def test_a_package_without_actions_publishes_its_briefing_without_a_plan(mine):
    audit = package_import(package(actions=[]), into=mine, publish=True)
    assert audit.briefing_published_at is not None
    assert Audit.objects.get(pk=audit.pk).plan_published_at is None


def test_a_publication_refused_for_identifiers_says_where_and_imports_nothing(mine, monkeypatch):
    places = [
        "Findings › Case 1, point 1 contains part of a name.",
        "Case 2 holds a date of birth.",
    ]
    monkeypatch.setattr(publishing, "places_holding_identifiers", lambda audit, texts: places)
    with pytest.raises(PackageError) as refused:
        package_import(package(), into=mine, publish=True)
    assert refused.value.problems == [
        PackageProblem("$", f"the briefing was not published: {place}") for place in places
    ]
    assert not Audit.objects.exists()


def test_a_7_minute_briefing_past_one_page_is_not_published_and_nothing_is_imported(
    mine, monkeypatch
):
    from findings import sevenminute

    monkeypatch.setattr(sevenminute, "render_pdf", lambda *args, **kwargs: (b"%PDF-", 2))
    seven = {"background": "Why this audit.", "what_we_found": "Supervision was missed."}
    with pytest.raises(PackageError) as refused:
        package_import(package(seven_minute_briefing=seven), into=mine, publish=True)
    (problem,) = refused.value.problems
    assert problem.location == "$.seven_minute_briefing"
    assert problem.message.startswith(
        "the briefing was not published: The 7-minute briefing runs to 2 pages: shorten part"
    )
    assert not Audit.objects.exists()


def test_a_briefing_changed_while_it_was_being_published_imports_nothing_and_says_so(
    mine, monkeypatch
):
    """As when the partnership's theme is renamed while the import publishes its briefing."""

    def changed_meanwhile(audit_pk, checked, *, with_plan):
        raise publishing.BriefingChangedWhilePublishing()

    monkeypatch.setattr(publishing, "_refuse_if_changed", changed_meanwhile)
    with pytest.raises(PackageError) as refused:
        package_import(package(), into=mine, publish=True)
    assert refused.value.problems == [
        PackageProblem(
            "$",
            "the briefing was not published: Something in the briefing changed while it was "
            "being published; check it and publish again.",
        )
    ]
    assert not Audit.objects.exists()


def looking_identifying():
    data = package()
    data["cases"][0]["label"] = "Jayden Smith"
    data["recommendations"][0]["cases"] = ["Jayden Smith", "Case 2"]
    return data


def test_an_import_that_looks_identifying_is_not_published_and_says_so(mine):
    audit = package_import(looking_identifying(), into=mine, publish=True)
    assert audit.briefing_published_at is None
    assert not BriefingVersion.objects.exists()
    assert looks_identifying_after_import(audit) == (
        "Its briefing was not published: 1 of its texts look as if they hold someone's "
        "identifying details (the publishing page lists them). Take each out, or confirm that it "
        "is not what it looks like, before the briefing is published."
    )
    audit.briefing_published_at = timezone.now()  # published once the chair confirmed it
    assert looks_identifying_after_import(audit) == (
        "1 of its texts look as if they hold someone's identifying details (the publishing page "
        "lists them). Take each out, or confirm that it is not what it looks like, before the "
        "briefing is published."
    )


def test_texts_of_the_plan_that_look_identifying_are_counted_too(mine):
    data = package()
    data["actions"][0]["text"] = "Visit the family at 12 High Street, NN1 2AB."
    audit = package_import(data, into=mine)
    assert looks_identifying_after_import(audit).startswith(
        "Its briefing was not published: 1 of its texts look as if they hold"
    )


# The background import's housekeeping ------------------------------------------------------------


class BrokenStorage:
    def delete(self, name):
        raise OSError("the file store is not answering")


def test_a_file_that_cannot_be_deleted_is_logged_by_name(caplog):
    with caplog.at_level(logging.ERROR, logger="actions.imports"):
        imports._delete_file(BrokenStorage(), "imports/package.json")
    [record] = caplog.records
    assert record.getMessage() == (
        "An audit package's file imports/package.json could not be deleted"
    )
    assert record.exc_info is not None


def test_a_kept_file_is_deleted(tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=tmp_path)
    name = storage.save("package.json", ContentFile(b"{}"))
    imports._delete_file(storage, name)
    assert not storage.exists(name)


def test_an_import_that_cannot_be_queued_again_is_logged_by_its_number(monkeypatch, caplog):
    from actions.models import PackageImport

    job = PackageImport.objects.create(status=PackageImport.Status.WAITING)

    def refuse(import_id):
        raise ConnectionError("no queue")

    monkeypatch.setattr(imports, "_enqueue", refuse)
    with caplog.at_level(logging.ERROR, logger="actions.imports"):
        assert imports.unfinished_imports_retry(older_than=datetime.timedelta(0)) == 1
    assert [r.getMessage() for r in caplog.records] == [f"Could not queue import {job.pk} again"]


# The background import's run: once, by whom it may be, and what it says ---------------------------


@pytest.fixture
def queued(settings):
    """Imports wait in the database queue; each test runs the job itself."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


def run(content, **fields):
    """Queue a package's import and run it as the worker would; the job as it ended."""
    import json

    from actions.models import PackageImport

    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    job = imports.package_import_queue(content=raw, original_name="past.json", **fields)
    assert job.status == PackageImport.Status.WAITING
    imports.package_import_run(import_id=job.pk)
    return PackageImport.objects.get(pk=job.pk)


def test_a_chairs_import_runs_once_into_their_partnership_and_its_file_is_deleted(
    queued, audit, chair, django_capture_on_commit_callbacks
):
    from .conftest import stored_files

    with django_capture_on_commit_callbacks(execute=True):
        job = run(VALID, user=chair, partnership=audit.partnership)
    assert (job.status, job.problems, job.partnership_created) == ("done", [], False)
    assert job.audit.partnership == audit.partnership
    assert job.partnership == audit.partnership
    assert not job.file and stored_files() == []
    imports.package_import_run(import_id=job.pk)  # run again: nothing more is imported
    assert Audit.objects.filter(theme__name="Domestic abuse").count() == 1


def test_an_operators_import_joins_the_partnership_named_or_one_made_only_when_asked(queued, mine):
    job = run(VALID, partnership_name="Westshire Partnership")
    assert (job.status, job.partnership, job.partnership_created) == ("done", mine, False)
    refused = run(VALID, partnership_name="Nowhere")
    assert refused.status == "failed" and refused.audit is None
    assert refused.problems == [
        [
            "$",
            "No partnership is named 'Nowhere'. Check the name, or give --create-partnership "
            "to create it. The partnerships are: 'Westshire Partnership'.",
        ]
    ]
    made = run(VALID, partnership_name="Nowhere", create_partnership=True)
    assert (made.status, made.partnership.name, made.partnership_created) == (
        "done",
        "Nowhere",
        True,
    )
    assert made.audit.partnership == made.partnership
    with pytest.raises(ValidationError) as raised:  # refused before it is kept or queued
        run(VALID, partnership_name="x" * 201, create_partnership=True)
    assert raised.value.messages == [
        "A partnership's name may be at most 200 characters (this one has 201), so nothing "
        "was imported."
    ]
    assert not Partnership.objects.filter(name__startswith="xxx").exists()
    assert not PackageImport.objects.filter(partnership_name__startswith="xxx").exists()


def test_a_package_with_problems_fails_the_job_saying_where(queued, mine):
    job = run(changed("format", "maca-audit/2"), partnership=mine)
    assert (job.status, job.audit) == ("failed", None)
    assert job.problems == [["$.format", "the format must be 'maca-audit/1', not 'maca-audit/2'"]]
    assert job.more_problems == 0
    assert not Audit.objects.exists()


def test_a_chair_who_no_longer_chairs_imports_nothing(queued, audit, chair, caplog):
    from maca.models import Membership

    job = imports.package_import_queue(
        content=b"{}", original_name="past.json", user=chair, partnership=audit.partnership
    )
    chair.memberships.update(role=Membership.Role.QA_MEMBER)
    with caplog.at_level(logging.INFO, logger="actions.imports"):
        imports.package_import_run(import_id=job.pk)
    assert [r.getMessage() for r in caplog.records] == [
        f"Import {job.pk} not made: its chair no longer chairs the partnership"
    ]
    job.refresh_from_db()
    assert (job.status, job.problems) == (
        "failed",
        [["$", "you no longer chair the partnership this audit was to join"]],
    )
    assert not job.file


def test_an_unexpected_failure_fails_the_job_logged_with_nothing_written(
    queued, mine, monkeypatch, caplog
):
    from actions import package as package_module

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(package_module, "_create_actions", explode)
    with caplog.at_level(logging.ERROR, logger="actions.imports"):
        job = run(VALID, partnership=mine)
    assert (job.status, job.problems, job.audit) == ("failed", [], None)
    assert [r.getMessage() for r in caplog.records] == [
        f"The audit package of import {job.pk} could not be imported"
    ]
    assert not Audit.objects.exists()


def test_a_queued_import_keeps_the_file_who_asked_and_its_name(queued, audit, chair, mine):
    from actions.models import PackageImport

    from .conftest import stored_files

    name = "a very long name " * 20 + ".json"
    job = imports.package_import_queue(
        content=b"{}", original_name=name, user=chair, partnership=audit.partnership, publish=True
    )
    job = PackageImport.objects.get(pk=job.pk)
    assert (job.status, job.original_name, job.requested_by, job.partnership, job.publish) == (
        "waiting",
        name[:255],
        chair,
        audit.partnership,
        True,
    )
    assert len(stored_files()) == 1
    assert job.file.name.endswith(".json")  # kept as what it is, under a name of its own
    with job.file.open("rb") as kept:
        assert kept.read() == b"{}"
    from django_tasks_db.models import DBTaskResult

    assert [task.args_kwargs["args"] for task in DBTaskResult.objects.all()] == [[job.pk]]
    plain = imports.package_import_queue(content=b"{}", original_name="b.json", partnership=mine)
    assert (plain.publish, plain.partnership_name, plain.create_partnership) == (False, "", False)
    nameless = imports.package_import_queue(
        content=b"{}", original_name=None, partnership_name="Eastshire", create_partnership=True
    )
    assert (nameless.original_name, nameless.partnership_name, nameless.create_partnership) == (
        "",
        "Eastshire",
        True,
    )


def test_queuing_an_import_forgets_outcomes_over_a_day_old(queued, mine):
    from actions.models import PackageImport

    old = PackageImport.objects.create(status=PackageImport.Status.DONE)
    PackageImport.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - imports.KEEP_FOR - datetime.timedelta(minutes=1)
    )
    new = imports.package_import_queue(content=b"{}", original_name="past.json", partnership=mine)
    assert list(PackageImport.objects.values_list("pk", flat=True)) == [new.pk]


def refused_as_unavailable(caplog, partnership) -> list[str]:
    """Queue an import that is refused as not handled now, keeping nothing; what was logged."""
    from .conftest import stored_files

    with (
        caplog.at_level(logging.ERROR, logger="actions.imports"),
        pytest.raises(ValidationError) as refused,
    ):
        imports.package_import_queue(
            content=b"{}", original_name="past.json", partnership=partnership
        )
    assert (refused.value.code, refused.value.messages) == (
        "unavailable",
        [imports.NOT_HANDLED_NOW],
    )
    assert not PackageImport.objects.exists() and stored_files() == []
    return [record.getMessage() for record in caplog.records]


def test_a_file_store_outage_refuses_the_import_keeping_nothing(monkeypatch, caplog, mine):
    from django.core.files.storage import FileSystemStorage

    def unavailable(self, name, content):
        raise OSError("the file store is not answering")

    monkeypatch.setattr(FileSystemStorage, "_save", unavailable)
    assert refused_as_unavailable(caplog, mine) == ["Storing an audit package failed"]


def test_a_queue_outage_refuses_the_import_keeping_nothing(queued, monkeypatch, caplog, mine):
    def unavailable(import_id):
        raise ConnectionError("the queue is not answering")

    monkeypatch.setattr(imports, "_enqueue", unavailable)
    assert refused_as_unavailable(caplog, mine) == ["Queuing an audit package's import failed"]


def test_by_default_an_import_is_done_as_soon_as_it_is_queued(mine):
    job = imports.package_import_queue(
        content=json_bytes(VALID), original_name="past.json", partnership=mine
    )
    assert job.status == "done" and job.audit.partnership == mine


def json_bytes(data) -> bytes:
    import json

    return json.dumps(data).encode()


def test_a_job_that_is_not_there_is_not_run():
    from actions.models import PackageImport

    imports.package_import_run(import_id=987_654)
    assert not PackageImport.objects.exists()


def test_a_chairs_import_published_on_import_is_published_by_them(queued, audit, chair):
    job = run(VALID, user=chair, partnership=audit.partnership, publish=True)
    assert job.status == "done" and job.audit.briefing_published_at is not None
    assert BriefingVersion.objects.get(audit=job.audit).published_by == chair
    another = package(title="Another past audit")
    unpublished = run(another, user=chair, partnership=audit.partnership)
    assert unpublished.audit.briefing_published_at is None


def test_an_operators_import_without_a_name_joins_the_packages_partnership(queued):
    named = Partnership.objects.create(name=VALID["partnership"])
    job = run(VALID)
    assert (job.status, job.partnership, job.partnership_created) == ("done", named, False)


def test_every_reason_a_record_was_refused_is_said(queued, mine, monkeypatch):
    from django.core.exceptions import ValidationError

    from actions.models import PackageImport

    def refuse(*args, **kwargs):
        raise ValidationError(["The theme is closed.", "The partnership is archived."])

    monkeypatch.setattr(imports, "package_import", refuse)
    job = run(VALID, partnership=mine)
    assert job.problems == [["$", "The theme is closed.; The partnership is archived."]]
    assert PackageImport.objects.filter(pk=job.pk, file="").exists()


def test_a_new_partnerships_name_may_be_200_characters_and_not_one_more(queued, mine):
    longest = run(VALID, partnership_name="y" * 200, create_partnership=True)
    assert (longest.status, longest.partnership.name) == ("done", "y" * 200)
    with pytest.raises(ValidationError) as raised:
        run(VALID, partnership_name="y" * 201, create_partnership=True)
    assert raised.value.code == "too_long"


# The same file imported once ------------------------------------------------------------------


def queue(content, partnership, **fields):
    return imports.package_import_queue(
        content=json_bytes(content), original_name="past.json", partnership=partnership, **fields
    )


def test_the_same_file_sent_again_while_it_waits_or_once_imported_is_refused(
    queued, audit, chair, mine
):
    from .conftest import stored_files

    first = queue(VALID, audit.partnership, user=chair)
    with pytest.raises(imports.AlreadyImported) as waiting:
        queue(VALID, audit.partnership, user=chair)
    assert waiting.value.earlier == first
    assert waiting.value.messages[0].startswith(
        f"This file is already being imported into {audit.partnership.name} (sent at "
    )
    assert len(stored_files()) == 1  # the second copy is not kept

    imports.package_import_run(import_id=first.pk)
    first.refresh_from_db()
    with pytest.raises(imports.AlreadyImported) as imported:
        queue(VALID, audit.partnership, user=chair)
    assert imported.value.messages == [
        f"This file was already imported into {audit.partnership.name} on "
        f"{first.finished_at.astimezone(timezone.get_current_timezone()):%-d %B %Y}, as the "
        f"audit “{first.audit}”, so it was not imported again."
    ]
    assert (
        Audit.objects.filter(partnership=audit.partnership, theme__name="Domestic abuse").count()
        == 1
    )
    # Another partnership, or another file, is another import.
    assert queue(VALID, mine).status == "waiting"
    assert queue(package(title="Another past audit"), audit.partnership).status == "waiting"


def test_two_imports_of_the_same_file_at_the_same_instant_make_one_audit(
    queued, audit, chair, monkeypatch
):
    """Both are checked before either is saved: the database refuses the second."""
    real_check = imports._refuse_if_imported
    checks = []

    def checked_before_the_other_was_saved(*args, **kwargs):
        checks.append(args)
        if len(checks) > 1:
            real_check(*args, **kwargs)

    first = queue(VALID, audit.partnership, user=chair)
    monkeypatch.setattr(imports, "_refuse_if_imported", checked_before_the_other_was_saved)
    with pytest.raises(imports.AlreadyImported) as refused:
        queue(VALID, audit.partnership, user=chair)
    assert refused.value.earlier == first
    assert PackageImport.objects.count() == 1


def test_the_same_file_may_be_imported_again_once_its_audit_is_deleted_or_its_import_failed(
    queued, audit, chair, monkeypatch
):
    first = run(VALID, user=chair, partnership=audit.partnership)
    first.audit.delete()
    again = run(VALID, user=chair, partnership=audit.partnership)
    assert again.status == "done"
    again.audit.delete()

    monkeypatch.setattr(imports, "package_import", lambda *a, **k: 1 / 0)
    failed = run(VALID, user=chair, partnership=audit.partnership)
    assert failed.status == "failed"
    monkeypatch.undo()
    assert run(VALID, user=chair, partnership=audit.partnership).status == "done"


def test_an_operators_second_import_of_the_file_into_a_partnership_it_made_is_refused(queued):
    from actions.models import PackageImport

    into_westshire = {"partnership_name": "Westshire", "create_partnership": True}
    first = queue(VALID, None, **into_westshire)
    second = queue(VALID, None, **into_westshire)  # queued before the first made Westshire
    imports.package_import_run(import_id=first.pk)
    imports.package_import_run(import_id=second.pk)
    second = PackageImport.objects.get(pk=second.pk)
    assert second.status == "failed"
    assert second.problems[0][1].startswith("This file was already imported into Westshire on ")
    assert Audit.objects.filter(partnership__name="Westshire").count() == 1


def test_the_outcome_of_an_import_whose_audit_is_there_is_kept_past_a_day(queued, audit, chair):
    job = run(VALID, user=chair, partnership=audit.partnership)
    a_day_ago = timezone.now() - imports.KEEP_FOR - datetime.timedelta(minutes=1)
    PackageImport.objects.filter(pk=job.pk).update(finished_at=a_day_ago)
    assert imports.finished_imports_forget() == 0
    with pytest.raises(imports.AlreadyImported):
        queue(VALID, audit.partnership, user=chair)
    job.audit.delete()
    assert imports.finished_imports_forget() == 1


def test_the_chair_is_told_when_the_same_file_was_sent_and_when_it_was_imported(
    queued, audit, chair, monkeypatch
):
    """At the partnership's own time: sent at quarter past eleven at night on 30 June and
    imported a quarter of an hour later, after midnight in London."""
    from django.core.files.storage import FileSystemStorage

    into = audit.partnership.name
    first = queue(VALID, audit.partnership, user=chair)
    sent = datetime.datetime(2026, 6, 30, 22, 15, tzinfo=datetime.UTC)
    PackageImport.objects.filter(pk=first.pk).update(created_at=sent)
    with pytest.raises(imports.AlreadyImported) as waiting:
        queue(VALID, audit.partnership, user=chair)
    assert waiting.value.messages == [
        f"This file is already being imported into {into} (sent at 23:15 on 30 June 2026), so "
        "it was not imported again."
    ]

    def unavailable(self, name, content):
        raise OSError("the file store is not answering")

    # Refused before it is stored: the chair is not asked to try again later.
    monkeypatch.setattr(FileSystemStorage, "_save", unavailable)
    with pytest.raises(imports.AlreadyImported):
        queue(VALID, audit.partnership, user=chair)
    monkeypatch.undo()

    imports.package_import_run(import_id=first.pk)
    imported = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)
    PackageImport.objects.filter(pk=first.pk).update(finished_at=imported)
    with pytest.raises(imports.AlreadyImported) as done:
        queue(VALID, audit.partnership, user=chair)
    made = PackageImport.objects.get(pk=first.pk).audit
    assert done.value.messages == [
        f"This file was already imported into {into} on 1 July 2026, as the audit “{made}”, so "
        "it was not imported again."
    ]
