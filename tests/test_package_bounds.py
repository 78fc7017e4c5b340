"""An audit package is bounded: how much it may hold, how many problems are listed, and what a
hostile file of a few megabytes may cost the server."""

import copy
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from actions import package
from actions.package import CAPS, MAX_CONTAINERS, PackageError, package_parse
from cases.models import Audit

from .bounds import MIB, cost
from .test_package import VALID, bad, counts, write

pytestmark = pytest.mark.django_db

# 4.8 MB, under the 5 MB an upload may be: millions of entries where cases belong.
FLOOD = (
    b'{"format":"maca-audit/1","theme":{"name":"x"},"cases":['
    + b",".join([b"1"] * 2_400_000)
    + b"]}"
)


def test_the_flood_package_is_refused_quickly_through_the_page_and_the_command(
    client, audit, chair, tmp_path
):
    assert 4_700_000 < len(FLOOD) < 5 * MIB
    client.force_login(chair)
    url = reverse("audit_import")
    responses = []

    # The request's body is made once, before measuring: the server's work is what is measured.
    upload = SimpleUploadedFile("flood.json", FLOOD, content_type="application/json")
    body = encode_multipart(BOUNDARY, {"package": upload, "partnership": audit.partnership.pk})

    def through_the_page():
        sent = client.generic("POST", url, body, content_type=MULTIPART_CONTENT)
        responses.append(client.get(sent["Location"]))  # the import's progress page

    seconds, peak = cost(through_the_page)
    page = responses[-1].content.decode()
    assert responses[-1].status_code == 200 and "The package was not imported" in page
    assert "a package may hold at most 200" in page and "2,400,000 cases" in page
    assert len(page) < 100_000
    print(f"{seconds:.2f} s, {peak / MIB:.1f} MiB")
    assert seconds < 2 and peak < 100 * MIB, (seconds, peak / MIB)

    path = tmp_path / "flood.json"
    path.write_bytes(FLOOD)
    messages = []

    def through_the_command():
        with pytest.raises(CommandError) as raised:
            call_command("import_audit", str(path), stdout=io.StringIO())
        messages.append(str(raised.value))

    seconds, peak = cost(through_the_command)
    assert "$.cases: the package holds 2,400,000 cases" in messages[-1]
    assert len(messages[-1].splitlines()) == 2
    print(f"{seconds:.2f} s, {peak / MIB:.1f} MiB")
    assert seconds < 2 and peak < 100 * MIB, (seconds, peak / MIB)
    assert Audit.objects.count() == 1


def _item(n=0, tags=()):
    return {"text": f"Item {n}.", "tags": list(tags)}


def _holding(key: str, count: int) -> dict:
    """A valid package holding `count` of what the cap `key` counts."""
    data = copy.deepcopy(VALID)
    if key == "cases":
        data["cases"] = [{"label": f"Case {n}"} for n in range(count)]
    elif key == "agencies":
        data["agencies"] = [{"name": f"Agency {n}"} for n in range(count)]
    elif key == "items":
        data["good_practice"] = [_item(n) for n in range(count - 4)]  # VALID has 4 items
    elif key == "tags":
        data["good_practice"] = [_item(0, [f"t{n}" for n in range(count - 2)])]  # VALID has 2
    elif key == "actions":
        data["actions"] = [{"text": f"Action {n}."} for n in range(count)]
    elif key == "updates":
        data["actions"][0]["updates"] = [
            {"date": "2026-04-01", "text": f"Update {n}."} for n in range(count)
        ]
    elif key == "paragraphs":
        data["briefing"]["process"] = [f"Point {n}." for n in range(count - 1)]  # VALID has 1
    elif key == "references":
        data["recommendations"][0]["cases"] = ["Case 1"] * count
    elif key == "usage":
        data["usage"] = [
            {"agency": "Police", "date": "2026-04-01", "team": f"Team {n}", "staff": 3}
            for n in range(count)
        ]
    return data


@pytest.mark.parametrize("key", sorted(CAPS))
def test_each_cap_takes_what_it_allows_and_names_itself_when_passed(key):
    assert package._shape_problems(_holding(key, CAPS[key])) == []
    problems = package._shape_problems(_holding(key, CAPS[key] + 1))
    where = f"$.{key}" if key in ("cases", "agencies", "actions", "usage") else "$"
    assert [str(p) for p in problems] == [
        f"{where}: the package holds {CAPS[key] + 1:,} {package.CAP_NOUNS[key]}; "
        f"a package may hold at most {CAPS[key]:,}"
    ]


def test_the_shape_is_checked_before_the_entries(monkeypatch):
    """A list where a list belongs, before anything walks the entries."""
    walked = []
    monkeypatch.setattr(package, "_text_problems", lambda data: walked.append(data) or ([], 0))
    with pytest.raises(PackageError) as raised:
        package_parse(json.dumps(bad(cases__0={"label": "Case 1", "findings": "text"})))
    assert [str(p) for p in raised.value.problems] == [
        "$.cases[0].findings: should be a list ([…])"
    ]
    with pytest.raises(PackageError) as raised:
        package_parse("[1, 2]")
    assert "a package is a JSON object" in str(raised.value)
    assert walked == []


def test_a_file_of_too_many_lists_and_objects_is_refused_before_it_is_parsed(monkeypatch):
    raw = '{"format":"maca-audit/1","extra":[' + ",".join(["[]"] * MAX_CONTAINERS) + "]}"
    monkeypatch.setattr(package.json, "loads", lambda raw: pytest.fail("parsed"))
    with pytest.raises(PackageError) as raised:
        package_parse(raw.encode())
    assert f"holds {MAX_CONTAINERS + 2:,} lists and objects" in str(raised.value)


def test_fifty_problems_are_listed_and_the_others_counted(client, audit, chair, tmp_path):
    package_data = bad(cases=[{"label": n} for n in range(120)])
    with pytest.raises(PackageError) as raised:
        package_parse(json.dumps(package_data))
    assert len(raised.value.problems) == 50
    assert raised.value.more == 70
    assert raised.value.problems[0].location == "$.cases[0].label"

    path = write(tmp_path, package_data)
    with pytest.raises(CommandError) as command:
        call_command("import_audit", str(path), stdout=io.StringIO())
    assert str(command.value).splitlines()[-1] == f"{path}: … and 70 more problems"

    client.force_login(chair)
    upload = SimpleUploadedFile("many.json", json.dumps(package_data).encode())
    page = client.post(
        reverse("audit_import"),
        {"package": upload, "partnership": audit.partnership.pk},
        follow=True,
    ).content.decode()
    assert page.count("is not of type") == 50
    assert "… and 70 more problems" in page


def test_text_problems_stop_listing_at_fifty():
    data = bad(extra=["bad\x00"] * 60)
    with pytest.raises(PackageError) as raised:
        package_parse(json.dumps(data))
    assert len(raised.value.problems) == 50
    assert raised.value.more == 10
    assert raised.value.problems[-1].location == "$.extra[49]"


@pytest.mark.parametrize(
    "changes, location, words",
    [
        ({"status": "finished"}, "$.status", "is not one of"),
        ({"status": 3}, "$.status", "is not of type 'string'"),
        ({"include_good_practice": "no"}, "$.include_good_practice", "is not of type 'boolean'"),
        ({"actions__0__intended_outcome": {"a": 1}}, "$.actions[0].intended_outcome", "type"),
        ({"actions__0__impact_measure": ["x"]}, "$.actions[0].impact_measure", "type"),
        ({"actions__0__outcome_statement": 5}, "$.actions[0].outcome_statement", "type"),
        ({"actions__0__cancel_reason": True}, "$.actions[0].cancel_reason", "type"),
        ({"actions__0__at_risk": "yes"}, "$.actions[0].at_risk", "type 'boolean'"),
        ({"actions__0__text": "   "}, "$.actions[0].text", "cannot be blank"),
        ({"cases__0__findings__0__text": " \n "}, "$.cases[0].findings[0].text", "blank"),
        ({"cases__0__strengths__0__text": "\t"}, "$.cases[0].strengths[0].text", "blank"),
        ({"recommendations__0__text": "  "}, "$.recommendations[0].text", "cannot be blank"),
        ({"actions__0__updates__0__text": " "}, "$.actions[0].updates[0].text", "blank"),
        ({"cases__0__findings__0__text": "x" * 5001}, "$.cases[0].findings[0].text", "5000"),
        ({"actions__0__text": "x" * 2001}, "$.actions[0].text", "at most 2000 fit"),
        ({"actions__0__impact_measure": "x" * 2001}, "$.actions[0].impact_measure", "2000"),
        ({"actions__0__updates__0__text": "x" * 5001}, "$.actions[0].updates[0].text", "5000"),
        ({"briefing__process__0": "x" * 2001}, "$.briefing.process[0]", "at most 2000 fit"),
    ],
)
def test_wrong_types_and_blank_or_long_text_are_refused_not_converted(
    tmp_path, changes, location, words
):
    before = counts()
    with pytest.raises(CommandError) as raised:
        call_command("import_audit", str(write(tmp_path, bad(**changes))), stdout=io.StringIO())
    assert f": {location}: " in str(raised.value)
    assert words in str(raised.value)
    assert counts() == before


def test_the_schema_knows_every_audit_status():
    statuses = package.schema()["properties"]["status"]["enum"]
    assert statuses == list(Audit.Status.values)


def test_the_cases_named_by_recommendations_are_counted_across_them_all():
    data = copy.deepcopy(VALID)
    half = CAPS["references"] // 2
    first = {**data["recommendations"][0], "cases": ["Case 1"] * half}
    data["recommendations"] = [first, {**first, "cases": ["Case 1"] * (half + 1)}]
    assert [str(p) for p in package._shape_problems(data)] == [
        f"$: the package holds {CAPS['references'] + 1:,} cases named by recommendations; "
        f"a package may hold at most {CAPS['references']:,}"
    ]


def test_recommendations_that_are_not_a_list_are_named_before_anything_is_walked():
    assert [str(p) for p in package._shape_problems(bad(recommendations="Share more."))] == [
        "$.recommendations: should be a list ([…])"
    ]


def test_only_the_first_50_schema_problems_are_listed_and_the_rest_counted():
    data = copy.deepcopy(VALID)
    data["agencies"] = [{"name": n} for n in range(60)]  # a number where a name belongs
    with pytest.raises(PackageError) as raised:
        package.package_validate(data)
    assert len(raised.value.problems) == package.MAX_PROBLEMS == 50
    assert all(".name" in str(p) for p in raised.value.problems)
    assert raised.value.lines()[-1] == "… and 10 more problems"


def test_the_updates_of_actions_are_counted_across_them_all():
    data = copy.deepcopy(VALID)
    half = CAPS["updates"] // 2
    update = {"date": "2026-04-01", "text": "Update."}
    data["actions"] = [
        {**data["actions"][0], "updates": [update] * half},
        {"text": "Another action.", "updates": [update] * (half + 1)},
    ]
    assert [str(p) for p in package._shape_problems(data)] == [
        f"$: the package holds {CAPS['updates'] + 1:,} action updates; "
        f"a package may hold at most {CAPS['updates']:,}"
    ]


def test_too_many_cases_are_refused_for_their_number_before_any_case_is_read():
    data = _holding("cases", CAPS["cases"] + 1)
    data["cases"][-1]["findings"] = "not a list"
    assert [str(p) for p in package._shape_problems(data)] == [
        f"$.cases: the package holds {CAPS['cases'] + 1:,} cases; "
        f"a package may hold at most {CAPS['cases']:,}"
    ]
