"""The portable audit package, format maca-audit/1 (schemas/maca-audit-1.schema.json).

It lives in `actions` because a package spans every app — audit, cases, findings and the actions
that answer them — and `actions` is the app that may depend on all the others.

A package never holds a child's identifying details: cases are named by their label alone.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from functools import cache
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.models import DEFAULT_HEADINGS, DEFAULT_TITLE, Audit, BriefingParagraph, Case, Theme
from cases.selectors.identifiers import listed
from findings.models import (
    Finding,
    GoodPractice,
    MeetingRecord,
    Recommendation,
    SevenMinuteBriefing,
    Strength,
    Tag,
    UsageRecord,
)
from findings.publishing import (
    BriefingChangedWhilePublishing,
    BriefingHasIdentifiers,
    BriefingLooksIdentifying,
    SevenMinuteTooLong,
    briefing_publish,
    unconfirmed_in_briefing,
)
from findings.services import tag_create
from findings.sevenminute import PART_FIELDS
from maca.identifiers import identifying_shapes
from maca.models import Agency, Partnership
from maca.text import shown_name

from .models import Action, ActionUpdate, more_problems_line

FORMAT = "maca-audit/1"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "maca-audit-1.schema.json"
DEFAULT_IMPORT_STATUS = Audit.Status.CLOSED


@dataclass
class PackageProblem:
    location: str  # a JSON path such as $.cases[2].label
    message: str

    def __str__(self):
        return f"{self.location}: {self.message}"


class PackageError(Exception):
    """A package that cannot be imported; `problems` say where and why, the first
    MAX_PROBLEMS of them, and `more` how many others were found."""

    def __init__(self, problems: list[PackageProblem], more: int = 0):
        self.problems = problems[:MAX_PROBLEMS]
        self.more = more + max(0, len(problems) - MAX_PROBLEMS)
        super().__init__("\n".join(self.lines()))

    def more_line(self) -> str:
        """ "… and 1,234 more problems", or nothing when every problem is listed."""
        return more_problems_line(self.more)

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems] + ([self.more_line()] if self.more else [])


# A package is a record of one audit: far smaller than these. They bound the work and memory an
# import may take, checked before the package is walked, so that a file of a few megabytes holding
# millions of entries is refused at once instead of being checked entry by entry.
MAX_PROBLEMS = 50
MAX_CONTAINERS = 100_000  # lists and objects anywhere in the file, counted before it is parsed
CAPS = {
    "cases": 200,
    "agencies": 200,
    "items": 5_000,  # strengths, findings, good practice and recommendations together
    "tags": 20_000,  # tags named by those items, together
    "actions": 2_000,
    "updates": 20_000,  # action updates, together
    "paragraphs": 1_000,  # the briefing's opening paragraphs, together
    "references": 20_000,  # cases named by recommendations, together
    "usage": 10_000,  # records of where the briefing was used
}
CAP_NOUNS = {
    "cases": "cases",
    "agencies": "agencies",
    "items": "strengths, findings, good practice and recommendations",
    "tags": "tags on items",
    "actions": "actions",
    "updates": "action updates",
    "paragraphs": "briefing paragraphs",
    "references": "cases named by recommendations",
    "usage": "records of where the briefing was used",
}


@cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def package_parse(raw: bytes | str) -> dict:
    """Decode and validate a package; raises PackageError naming each problem's JSON location."""
    marks = (b"{", b"[") if isinstance(raw, bytes) else ("{", "[")
    containers = raw.count(marks[0]) + raw.count(marks[1])
    if containers > MAX_CONTAINERS:
        raise PackageError(
            [
                PackageProblem(
                    "$",
                    f"the file holds {containers:,} lists and objects; a package may hold at "
                    f"most {MAX_CONTAINERS:,}",
                )
            ]
        )
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise PackageError(
            [PackageProblem("$", "not a text file: an audit package is JSON text (.json)")]
        ) from None
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}" if hasattr(error, "lineno") else "$"
        raise PackageError(
            [PackageProblem("$", f"not valid JSON ({where}): {_reason(error)}")]
        ) from None
    except RecursionError:
        raise PackageError([PackageProblem("$", NESTED_TOO_DEEPLY)]) from None
    except ValueError as error:  # e.g. a number of thousands of digits
        raise PackageError([PackageProblem("$", f"not valid JSON: {error}")]) from None
    try:
        package_validate(data)
    except RecursionError:  # read, but too deep for the schema's checker to describe a problem
        raise PackageError([PackageProblem("$", NESTED_TOO_DEEPLY)]) from None
    return data


NESTED_TOO_DEEPLY = "not valid JSON: nested too deeply"


def _reason(error) -> str:
    return getattr(error, "msg", None) or str(error)


def package_validate(data) -> None:
    from jsonschema import Draft202012Validator, FormatChecker

    shape = _shape_problems(data)
    if shape:
        raise PackageError(shape)
    validator = Draft202012Validator(schema(), format_checker=FormatChecker())
    errors = validator.iter_errors(data)
    first = list(islice(errors, MAX_PROBLEMS))
    more = sum(1 for _ in errors)
    problems = [
        PackageProblem(error.json_path, _schema_message(error))
        for error in sorted(first, key=lambda e: list(map(str, e.absolute_path)))
    ]
    if not problems:
        problems, more = _text_problems(data)
    if not problems:
        problems = _consistency_problems(data)
    if problems:
        raise PackageError(problems, more=more)


def _list_at(container, key, location, problems) -> list:
    """`container[key]` when it is a list (or absent: empty); a problem when it is not."""
    value = container.get(key, []) if isinstance(container, dict) else []
    if isinstance(value, list):
        return value
    problems.append(PackageProblem(f"{location}.{key}", "should be a list ([…])"))
    return []


def _shape_problems(data) -> list[PackageProblem]:
    """The package's outline and how much it holds, checked before anything walks its entries."""
    if not isinstance(data, dict):
        return [PackageProblem("$", "a package is a JSON object ({…}) holding an audit")]
    problems: list[PackageProblem] = []
    totals = dict.fromkeys(CAPS, 0)
    lists = {
        key: _list_at(data, key, "$", problems) for key in ("cases", "agencies", "actions", "usage")
    }
    for key, entries in lists.items():
        totals[key] = len(entries)
    briefing = data.get("briefing")
    for section in ("theme_and_cases", "process"):
        totals["paragraphs"] += len(_list_at(briefing, section, "$.briefing", problems))
    if problems or _over_caps(totals, problems):
        return problems
    items = [*_list_at(data, "good_practice", "$", problems)]
    recommendations = _list_at(data, "recommendations", "$", problems)
    items += recommendations
    for index, case in enumerate(lists["cases"]):
        for kind in ("strengths", "findings"):
            items += _list_at(case, kind, f"$.cases[{index}]", problems)
    totals["items"] = len(items)
    if problems or _over_caps(totals, problems):
        return problems[:MAX_PROBLEMS]
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("tags"), list):
            totals["tags"] += len(item["tags"])
    for item in recommendations:
        if isinstance(item, dict) and isinstance(item.get("cases"), list):
            totals["references"] += len(item["cases"])
    for action in lists["actions"]:
        if isinstance(action, dict) and isinstance(action.get("updates"), list):
            totals["updates"] += len(action["updates"])
    _over_caps(totals, problems)
    return problems


def _over_caps(totals: dict[str, int], problems: list[PackageProblem]) -> bool:
    found = False
    for key, count in totals.items():
        if count > CAPS[key]:
            found = True
            location = f"$.{key}" if key in ("cases", "agencies", "actions", "usage") else "$"
            problems.append(
                PackageProblem(
                    location,
                    f"the package holds {count:,} {CAP_NOUNS[key]}; "
                    f"a package may hold at most {CAPS[key]:,}",
                )
            )
    return found


def _text_problems(data) -> tuple[list[PackageProblem], int]:
    """Text that cannot be stored: a NUL character, or half of a surrogate pair ("\\ud800").
    The first MAX_PROBLEMS are kept, and the others counted."""
    problems, more = [], 0
    for location, key, value in _leaves(data):
        if isinstance(value, str) and (found := _UNSTORABLE.search(value)):
            if len(problems) == MAX_PROBLEMS:
                more += 1
                continue
            message = (
                "contains a NUL character (\\u0000)"
                if found.group() == "\x00"
                else "contains half of a surrogate pair, not a character"
            )
            problems.append(PackageProblem(_place(location, key), message))
    return problems, more


def _leaves(data):
    """(where, key, value) of every value in `data` that is not a list or an object, `where`
    being the place of the list or object holding it. Walked with a stack of iterators: a package
    may nest lists and objects deeply where the schema does not look (as deep as the JSON reader
    takes), and a walk that called itself for each level would run out of room for calls long
    before. A place is named only for a problem, so the walk holds no more than one path."""
    stack = [("$", _entries(data))] if isinstance(data, dict | list) else []
    while stack:
        location, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
        elif isinstance(entry[1], dict | list):
            stack.append((_place(location, entry[0]), _entries(entry[1])))
        else:
            yield location, *entry


def _entries(container):
    return iter(container.items() if isinstance(container, dict) else enumerate(container))


def _place(location: str, key) -> str:
    return f"{location}[{key}]" if isinstance(key, int) else f"{location}.{key}"


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _schema_message(error) -> str:
    if error.validator == "const" and list(error.absolute_path) == ["format"]:
        return f"the format must be {FORMAT!r}, not {error.instance!r}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    return error.message


# A date outside these years is a typing slip, and past 9999 one that date arithmetic cannot
# hold: the pages and the daily reminders would fail on it.
FIRST_DATE, LAST_DATE = "1900-01-01", "2100-12-31"


def _date_problems(data) -> list[PackageProblem]:
    """Every date in the package (a field named "date" or ending in "_date"), between 1900 and
    2100."""
    return [
        PackageProblem(_place(location, key), "is not between 1900 and 2100")
        for location, key, value in _leaves(data)
        if isinstance(key, str)
        and (key == "date" or key.endswith("_date"))
        and isinstance(value, str)
        and not FIRST_DATE <= value[:10] <= LAST_DATE
    ]


def _consistency_problems(data: dict) -> list[PackageProblem]:
    """What the schema cannot say: labels unique, references pointing at things that exist,
    dates in sensible years."""
    problems = _length_problems(data) + _date_problems(data)
    first_index_of_label: dict[str, int] = {}
    for index, case in enumerate(data["cases"]):
        label = case["label"].strip()
        if not label:
            problems.append(
                PackageProblem(f"$.cases[{index}].label", "a case label cannot be blank")
            )
        elif label in first_index_of_label:
            first = first_index_of_label[label]
            problems.append(
                PackageProblem(
                    f"$.cases[{index}].label",
                    f"two cases are labelled {label!r} (the other is $.cases[{first}])",
                )
            )
        else:
            first_index_of_label[label] = index
    for r_index, recommendation in enumerate(data.get("recommendations", [])):
        for c_index, label in enumerate(recommendation.get("cases", [])):
            if label.strip() not in first_index_of_label:
                problems.append(
                    PackageProblem(
                        f"$.recommendations[{r_index}].cases[{c_index}]",
                        f"no case in this package is labelled {label!r}",
                    )
                )
    today = timezone.localdate().isoformat()
    for index, use in enumerate(data.get("usage", [])):
        if use["date"] > today:
            problems.append(
                PackageProblem(f"$.usage[{index}].date", "is in the future: record uses once held")
            )
        if not shown_name(use["team"]):
            problems.append(PackageProblem(f"$.usage[{index}].team", "cannot be blank"))
        if not shown_name(use["agency"]):
            problems.append(PackageProblem(f"$.usage[{index}].agency", "cannot be blank"))
    problems += _invisible_agency_names(data) + _tag_problems(data)
    recommendation_count = len(data.get("recommendations", []))
    for a_index, action in enumerate(data.get("actions", [])):
        index = action.get("recommendation")
        if index is not None and index >= recommendation_count:
            problems.append(
                PackageProblem(
                    f"$.actions[{a_index}].recommendation",
                    f"there is no recommendation {index} (the package has {recommendation_count}, "
                    "counted from 0)",
                )
            )
    return problems


def _limit(model, field: str) -> int:
    return model._meta.get_field(field).max_length


def _invisible_agency_names(data: dict) -> list[PackageProblem]:
    """An agency named by characters that show nothing would be an agency of no name, or
    dropped unseen: said where it is."""
    named = [(f"$.agencies[{i}].name", a["name"]) for i, a in enumerate(data.get("agencies", []))]
    for i, case in enumerate(data["cases"]):
        for kind in ("strengths", "findings"):
            named += [
                (f"$.cases[{i}].{kind}[{j}].agency", item.get("agency"))
                for j, item in enumerate(case.get(kind, []))
            ]
    for kind in ("good_practice", "recommendations"):
        named += [
            (f"$.{kind}[{j}].agency", item.get("agency"))
            for j, item in enumerate(data.get(kind, []))
        ]
    named += [
        (f"$.actions[{i}].owner_agency", action.get("owner_agency"))
        for i, action in enumerate(data.get("actions", []))
    ]
    return [
        PackageProblem(location, "holds only characters that show nothing: give a name")
        for location, name in named
        if name and name.strip() and not shown_name(name)
    ]


def _length_problems(data: dict) -> list[PackageProblem]:
    """Names, labels and texts must fit their limits, and required ones may not be only spaces."""
    checks = [("$.partnership", data.get("partnership"), 200), ("$.title", data.get("title"), 200)]
    checks.append(("$.theme.name", data["theme"]["name"], 200))
    checks.append(("$.protective_marking", data.get("protective_marking"), 100))
    for key, heading in data.get("briefing", {}).get("headings", {}).items():
        checks.append((f"$.briefing.headings.{key}", heading, 200))
    for section in BriefingParagraph.Section.values:
        checks += [
            (f"$.briefing.{section}[{i}]", text, _limit(BriefingParagraph, "text"))
            for i, text in enumerate(data.get("briefing", {}).get(section, []))
        ]
    for i, agency in enumerate(data.get("agencies", [])):
        checks.append((f"$.agencies[{i}].name", agency["name"], 200))
    for i, case in enumerate(data["cases"]):
        checks.append((f"$.cases[{i}].label", case["label"], 50))
        for kind in ("strengths", "findings"):
            checks += _item_checks(f"$.cases[{i}].{kind}", case.get(kind, []))
    checks += _item_checks("$.good_practice", data.get("good_practice", []))
    checks += _item_checks("$.recommendations", data.get("recommendations", []))
    for i, use in enumerate(data.get("usage", [])):
        checks.append((f"$.usage[{i}].agency", use["agency"], 200))
        checks.append((f"$.usage[{i}].team", use["team"], 200))
        limit = _limit(UsageRecord, "reflection")
        checks.append((f"$.usage[{i}].reflection", use.get("reflection"), limit))
    for part, text in (data.get("seven_minute_briefing") or {}).items():
        limit = _limit(SevenMinuteBriefing, part)
        checks.append((f"$.seven_minute_briefing.{part}", text, limit))
    for i, item in enumerate(data.get("recommendations", [])):
        limit = _limit(Recommendation, "impact_measure")
        checks.append((f"$.recommendations[{i}].impact_measure", item.get("impact_measure"), limit))
    for i, action in enumerate(data.get("actions", [])):
        checks.append((f"$.actions[{i}].owner_agency", action.get("owner_agency"), 200))
        checks.append((f"$.actions[{i}].lead", action.get("lead"), 200))
        for field in ("text", *ACTION_DETAILS):
            checks.append((f"$.actions[{i}].{field}", action.get(field), _limit(Action, field)))
        checks += [
            (f"$.actions[{i}].updates[{j}].text", update["text"], _limit(ActionUpdate, "text"))
            for j, update in enumerate(action.get("updates", []))
        ]
    problems = []
    for location, value, limit in checks:
        if value is not None and len(value) > limit:
            problems.append(
                PackageProblem(location, f"is {len(value)} characters long; at most {limit} fit")
            )
    required = [("$.theme.name", data["theme"]["name"])]
    required += [
        (f"$.agencies[{i}].name", a["name"]) for i, a in enumerate(data.get("agencies", []))
    ]
    for i, action in enumerate(data.get("actions", [])):
        required.append((f"$.actions[{i}].text", action["text"]))
        required += [
            (f"$.actions[{i}].updates[{j}].text", update["text"])
            for j, update in enumerate(action.get("updates", []))
        ]
    required += [(location, text) for location, text in _item_texts(data)]
    for location, value in required:
        if not value.strip():
            problems.append(PackageProblem(location, "cannot be blank"))
    summary = data.get("learning_summary")
    if summary is not None and not isinstance(summary, str):
        problems.append(PackageProblem("$.learning_summary", "must be text"))
    elif summary and len(summary) > MAX_SUMMARY_CHARS:
        problems.append(
            PackageProblem(
                "$.learning_summary",
                f"is {len(summary)} characters long; at most {MAX_SUMMARY_CHARS} fit",
            )
        )
    return problems


# Beyond the schema's named keys (it allows more): the meeting's learning summary, which the
# learning library and the board's report show once the briefing is published.
MAX_SUMMARY_CHARS = 20_000


def _items(data: dict):
    """(location, item) of every strength, finding, piece of good practice and recommendation."""
    for i, case in enumerate(data["cases"]):
        for kind in ("strengths", "findings"):
            for j, item in enumerate(case.get(kind, [])):
                yield f"$.cases[{i}].{kind}[{j}]", item
    for kind in ("good_practice", "recommendations"):
        for j, item in enumerate(data.get(kind, [])):
            yield f"$.{kind}[{j}]", item


def _item_texts(data: dict):
    """(location, text) of every item's text."""
    for location, item in _items(data):
        yield f"{location}.text", item["text"]


def _item_tags(data: dict):
    """(location, tag) of every learning tag on an item."""
    for location, item in _items(data):
        for j, tag in enumerate(item.get("tags", [])):
            yield f"{location}.tags[{j}]", tag


def _tag_problems(data: dict) -> list[PackageProblem]:
    """Learning tags refused as the tag form refuses them: a tag joins the partnership's list,
    offered on every audit and printed in every briefing that uses it."""
    return [
        PackageProblem(
            location,
            f"looks like it holds {listed(kinds)}: a learning tag names the learning "
            "(“housing”, “voice of the child”), never a person",
        )
        for location, tag in _item_tags(data)
        if (kinds := identifying_shapes(tag))
    ]


def _item_checks(prefix: str, items: list[dict]) -> list[tuple]:
    checks = []
    for i, item in enumerate(items):
        checks.append((f"{prefix}[{i}].text", item["text"], _limit(Strength, "text")))
        checks.append((f"{prefix}[{i}].agency", item.get("agency"), 200))
        checks += [
            (f"{prefix}[{i}].tags[{j}]", tag, 100) for j, tag in enumerate(item.get("tags", []))
        ]
    return checks


class _Lookups:
    """Agencies and tags by name, created on first use, fetched once per import."""

    def __init__(self, declared_agencies: list[dict], partnership):
        self.agencies = {
            a.name.casefold(): a for a in Agency.objects.filter(partnership=partnership)
        }
        self.partnership = partnership
        self.tags = {t.name.casefold(): t for t in Tag.objects.for_partnership(partnership.pk)}
        self.sectors = {}
        for entry in declared_agencies:
            if entry.get("sector"):
                self.sectors[shown_name(entry["name"]).casefold()] = entry["sector"]

    def agency(self, name: str | None) -> Agency | None:
        name = shown_name(name or "")
        if not name:
            return None
        key = name.casefold()
        if key not in self.agencies:
            sector = self.sectors.get(key, "").strip().lower()
            if sector not in Agency.Sector.values:
                sector = Agency.Sector.OTHER
            # Another import may add the same agency at this moment: both use one.
            self.agencies[key] = Agency.objects.get_or_create(
                partnership=self.partnership, name=name, defaults={"sector": sector}
            )[0]
        return self.agencies[key]

    def tag_list(self, names: list[str]) -> list[Tag]:
        tags = []
        for name in names:
            name = name.strip()
            if not name:
                continue
            key = name.casefold()
            if key not in self.tags:
                self.tags[key] = tag_create(name=name, partnership=self.partnership)
            tags.append(self.tags[key])
        return tags


def package_import(
    data: dict,
    *,
    partnership_name: str | None = None,
    into: Partnership | None = None,
    publish: bool = False,
    user=None,
) -> Audit:
    """Create an audit from a validated package, all or nothing.

    The audit joins `into` when given (an upload by a partnership's chair, or the partnership an
    operator named: `partnership_for_import`), else `partnership_name`, else the partnership the
    package names, else the default partnership, made when there is none of that name. With
    `publish`,
    its briefing (and its plan, when it has actions) goes out as version 1, dated from the
    package's meeting date, after the usual check for a child's identifying details; a refusal
    imports nothing. Texts that only look identifying by their shape are imported unconfirmed,
    and the briefing is then not published (`looks_identifying_after_import` says so).
    """
    with transaction.atomic():
        package_validate(data)
        name = partnership_name or data.get("partnership") or settings.MACA_DEFAULT_PARTNERSHIP
        partnership = into or Partnership.objects.get_or_create(name=name.strip())[0]
        lookups = _Lookups(data.get("agencies", []), partnership)
        theme_data = data["theme"]
        theme, created = Theme.objects.get_or_create(
            partnership=partnership,
            name=theme_data["name"].strip(),
            defaults={"description": theme_data.get("description", "")},
        )
        audit = _create_audit(data, partnership, theme)
        audit.agencies.set([lookups.agency(a["name"]) for a in data.get("agencies", [])])
        _create_paragraphs(audit, data.get("briefing", {}))
        cases = _create_cases(audit, data["cases"], lookups)
        recommendations = _create_recommendations(audit, data, cases, lookups)
        _create_good_practice(audit, data.get("good_practice", []), lookups)
        _create_actions(audit, data.get("actions", []), recommendations, lookups)
        if (data.get("learning_summary") or "").strip():
            MeetingRecord.objects.create(
                audit=audit, learning_summary=data["learning_summary"].strip()
            )
        _create_seven_minute(audit, data.get("seven_minute_briefing"))
        _create_usage(audit, data.get("usage", []), lookups)
        if publish:
            _publish_imported(audit, user, with_plan=bool(data.get("actions")))
        return audit


class UnknownPartnership(Exception):
    """An import names a partnership this installation does not have."""


def partnership_chosen(*, data: dict, name: str | None) -> tuple[Partnership | None, str]:
    """The partnership an operator's import joins, and its name: `name` when given (whatever
    the package says), else the partnership the package names, else the installation's default,
    matched ignoring case. None when no partnership has that name."""
    chosen = name if name is not None else data.get("partnership")
    if not isinstance(chosen, str) or not chosen.strip():
        chosen = settings.MACA_DEFAULT_PARTNERSHIP
    chosen = " ".join(chosen.split())
    partnership = (
        Partnership.objects.filter(name=chosen).first()
        or Partnership.objects.filter(name__iexact=chosen).order_by("pk").first()
    )
    return partnership, chosen


def unknown_partnership(chosen: str) -> UnknownPartnership:
    known = ", ".join(f"'{p}'" for p in Partnership.objects.order_by("name"))
    return UnknownPartnership(
        f"No partnership is named '{chosen}'. Check the name, or give --create-partnership to "
        "create it." + (f" The partnerships are: {known}." if known else "")
    )


def partnership_for_import(
    *, data: dict, name: str | None, create: bool
) -> tuple[Partnership, bool]:
    """The partnership an operator's import joins (`partnership_chosen`), and whether it was
    made for it. A name no partnership has is refused with `UnknownPartnership` unless
    `create`: a mistyped name must not start a partnership."""
    with transaction.atomic():
        partnership, chosen = partnership_chosen(data=data, name=name)
        if partnership is not None:
            return partnership, False
        if not create:
            raise unknown_partnership(chosen)
        partnership = Partnership(name=chosen)
        partnership.full_clean()
        partnership.save()
        return partnership, True


def _publish_imported(audit: Audit, user, *, with_plan: bool) -> None:
    published_at = timezone.now()
    if audit.meeting_date:
        day = datetime.date.fromisoformat(str(audit.meeting_date))
        published_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
    try:
        briefing_publish(audit=audit, user=user, with_plan=with_plan, published_at=published_at)
    except BriefingLooksIdentifying:
        # Imported, not published: publishing refuses until the chair confirms each text or
        # changes it (`looks_identifying_after_import`).
        return
    except BriefingHasIdentifiers as refused:
        raise PackageError(
            [
                PackageProblem("$", f"the briefing was not published: {place}")
                for place in refused.places
            ]
        ) from None
    except BriefingChangedWhilePublishing as refused:  # its theme renamed meanwhile
        raise PackageError(
            [PackageProblem("$", f"the briefing was not published: {refused.message}")]
        ) from None
    except SevenMinuteTooLong as refused:
        raise PackageError(
            [
                PackageProblem(
                    "$.seven_minute_briefing", f"the briefing was not published: {refused}"
                )
            ]
        ) from None
    audit.refresh_from_db(fields=["briefing_published_at", "plan_published_at"])


def looks_identifying_after_import(audit: Audit) -> str:
    """What to tell the importer when texts of the imported audit (its case labels, briefing,
    7-minute briefing and plan) look as if they held someone's identifying details: they were
    imported unconfirmed, so that the briefing is not published until the chair confirms each,
    or changes it. Empty when none does."""
    flags = unconfirmed_in_briefing(audit, with_plan=True)
    if not flags:
        return ""
    published = "" if audit.briefing_published_at else "Its briefing was not published: "
    return (
        f"{published}{len(flags)} of its texts look as if they hold someone's identifying "
        "details (the publishing page lists them). Take each out, or confirm that it is not "
        "what it looks like, before the briefing is published."
    )


def _create_audit(data, partnership, theme) -> Audit:
    headings = data.get("briefing", {}).get("headings", {})
    status = data.get("status")
    audit = Audit(
        partnership=partnership,
        theme=theme,
        title=(data.get("title") or DEFAULT_TITLE).strip() or DEFAULT_TITLE,
        meeting_date=data.get("meeting_date"),
        protective_marking=data.get("protective_marking", ""),
        status=status if status in Audit.Status.values else DEFAULT_IMPORT_STATUS,
        include_good_practice=data.get("include_good_practice", True) is not False,
        **{
            f"heading_{key}": headings.get(key) or DEFAULT_HEADINGS[key] for key in DEFAULT_HEADINGS
        },
    )
    audit.move_to(audit.status)  # an imported closed audit counts its retention from today
    audit.reaudit_of = _original_of(data.get("reaudit_of"), partnership, theme)
    audit.full_clean(exclude=["agencies"])
    audit.save()
    return audit


def _original_of(link: dict | None, partnership, theme) -> Audit | None:
    """The earlier audit of the same theme and partnership that a re-audit's package names by
    its title and meeting date; None when it is not here."""
    if not link:
        return None
    candidates = Audit.objects.filter(
        partnership=partnership, theme=theme, meeting_date=link.get("meeting_date")
    )
    if link.get("title"):
        candidates = candidates.filter(title=link["title"].strip())
    return candidates.order_by("pk").first()


def _create_seven_minute(audit, parts: dict | None) -> None:
    if parts is not None:
        SevenMinuteBriefing.objects.create(
            audit=audit, **{field: parts.get(field, "") for field in PART_FIELDS}
        )


def _create_usage(audit, uses: list[dict], lookups) -> None:
    records = []
    for use in uses:
        agency = lookups.agency(use["agency"])
        audit.agencies.add(agency)  # an agency that used the briefing took part in it
        records.append(
            UsageRecord(
                audit=audit,
                agency=agency,
                date=use["date"],
                team=shown_name(use["team"]),  # as the usage page keeps it
                staff_count=use["staff"],
                reflection=use.get("reflection", ""),
                briefing=use.get("briefing", ""),
            )
        )
    UsageRecord.objects.bulk_create(records)


def _create_paragraphs(audit, briefing: dict) -> None:
    BriefingParagraph.objects.bulk_create(
        BriefingParagraph(audit=audit, section=section, text=text, order=order)
        for section in BriefingParagraph.Section.values
        for order, text in enumerate(t for t in briefing.get(section, []) if t.strip())
    )


def _create_cases(audit, cases_data, lookups) -> dict[str, Case]:
    cases = {}
    for order, case_data in enumerate(cases_data):
        case = Case.objects.create(audit=audit, label=case_data["label"].strip(), order=order)
        cases[case.label] = case
        for model, key in ((Strength, "strengths"), (Finding, "findings")):
            for item_order, item in enumerate(case_data.get(key, [])):
                _create_item(model, item, item_order, lookups, case=case)
    return cases


def _create_item(model, item: dict, order: int, lookups: _Lookups, **owner):
    created = model.objects.create(
        text=item["text"], agency=lookups.agency(item.get("agency")), order=order, **owner
    )
    tags = lookups.tag_list(item.get("tags", []))
    if tags:
        created.tags.set(tags)
    return created


def _create_good_practice(audit, items, lookups) -> None:
    for order, item in enumerate(items):
        _create_item(GoodPractice, item, order, lookups, audit=audit)


def _create_recommendations(audit, data, cases, lookups) -> list[Recommendation]:
    recommendations = []
    for order, item in enumerate(data.get("recommendations", [])):
        recommendation = _create_item(
            Recommendation,
            item,
            order,
            lookups,
            audit=audit,
            impact_measure=item.get("impact_measure", ""),
        )
        recommendation.cases.set([cases[label.strip()] for label in item.get("cases", [])])
        recommendations.append(recommendation)
    return recommendations


def _create_actions(audit, actions_data, recommendations, lookups) -> None:
    for order, item in enumerate(actions_data):
        index = item.get("recommendation")
        action = Action(
            audit=audit,
            # JSON Schema counts 1.0 as the integer 1.
            recommendation=recommendations[int(index)] if index is not None else None,
            text=item["text"],
            owner_agency=lookups.agency(item.get("owner_agency")),
            lead=item.get("lead") or "",
            due_date=item.get("due_date"),
            status=item.get("status", Action.Status.NOT_STARTED),
            order=order,
            **_action_details(item),
        )
        action.full_clean()
        action.save()
        ActionUpdate.objects.bulk_create(
            ActionUpdate(action=action, date=u["date"], text=u["text"])
            for u in item.get("updates", [])
        )


# Kept in a package beyond the schema's named keys (it allows more), so that an export imports
# back as the same plan.
ACTION_DETAILS = ("intended_outcome", "impact_measure", "outcome_statement", "cancel_reason")
CANCELLED_WITHOUT_REASON = "Cancelled before this audit was imported; no reason was recorded."


def _action_details(item: dict) -> dict:
    details = {key: item.get(key) or "" for key in ACTION_DETAILS}
    details["at_risk"] = item.get("at_risk") is True
    if item.get("status") == Action.Status.CANCELLED and not details["cancel_reason"].strip():
        details["cancel_reason"] = CANCELLED_WITHOUT_REASON
    return details


def package_export(audit: Audit) -> dict:
    """The audit as a package that validates against the schema and imports back as the same."""
    audit = Audit.objects.select_related("theme", "partnership").get(pk=audit.pk)
    paragraphs = list(audit.paragraphs.all())
    cases = list(
        audit.cases.prefetch_related(
            "strengths__agency", "strengths__tags", "findings__agency", "findings__tags"
        )
    )
    recommendations = list(
        audit.recommendations.select_related("agency").prefetch_related("tags", "cases")
    )
    recommendation_index = {r.pk: i for i, r in enumerate(recommendations)}
    actions = list(audit.actions.select_related("owner_agency").prefetch_related("updates"))
    package = {
        "format": FORMAT,
        "partnership": audit.partnership.name,
        "title": audit.title,
        "theme": {"name": audit.theme.name, "description": audit.theme.description},
        "meeting_date": audit.meeting_date.isoformat() if audit.meeting_date else None,
        "protective_marking": audit.protective_marking,
        "status": audit.status,
        "briefing": {
            "theme_and_cases": [p.text for p in paragraphs if p.section == "theme_and_cases"],
            "process": [p.text for p in paragraphs if p.section == "process"],
            "headings": audit.headings,
        },
        "agencies": [{"name": a.name, "sector": a.sector} for a in audit.agencies.all()],
        "cases": [
            {
                "label": case.label,
                "strengths": [_export_item(i) for i in case.strengths.all()],
                "findings": [_export_item(i) for i in case.findings.all()],
            }
            for case in cases
        ],
        "good_practice": [
            _export_item(i)
            for i in audit.good_practice.select_related("agency").prefetch_related("tags")
        ],
        "recommendations": [
            {
                **_export_item(r),
                "impact_measure": r.impact_measure,
                "cases": [c.label for c in sorted(r.cases.all(), key=_case_order)],
            }
            for r in recommendations
        ],
        "actions": [_export_action(a, recommendation_index) for a in actions],
        "usage": [
            {
                "agency": use.agency.name,
                "date": use.date.isoformat(),
                "team": use.team,
                "staff": use.staff_count,
                "reflection": use.reflection,
                **({"briefing": use.briefing} if use.briefing else {}),
            }
            for use in audit.usage_records.select_related("agency").order_by("date", "pk")
        ],
    }
    seven_minute = SevenMinuteBriefing.objects.filter(audit=audit).first()
    if seven_minute:
        package["seven_minute_briefing"] = {f: getattr(seven_minute, f) for f in PART_FIELDS}
    if audit.reaudit_of_id:
        original = audit.reaudit_of
        package["reaudit_of"] = {
            "title": original.title,
            "meeting_date": original.meeting_date.isoformat() if original.meeting_date else None,
        }
    if not audit.include_good_practice:
        package["include_good_practice"] = False
    record = MeetingRecord.objects.filter(audit=audit).first()
    if record and record.learning_summary:
        package["learning_summary"] = record.learning_summary
    return package


def _case_order(case):
    return (case.order, case.pk)


def _export_item(item) -> dict:
    return {
        "text": item.text,
        "agency": item.agency.name if item.agency else None,
        "tags": sorted(tag.name for tag in item.tags.all()),
    }


def _export_action(action, recommendation_index) -> dict:
    return {
        "text": action.text,
        "recommendation": recommendation_index.get(action.recommendation_id),
        "owner_agency": action.owner_agency.name if action.owner_agency else None,
        "lead": action.lead or None,
        "due_date": action.due_date.isoformat() if action.due_date else None,
        "status": action.status,
        "updates": [{"date": u.date.isoformat(), "text": u.text} for u in action.updates.all()],
        **{key: getattr(action, key) for key in ACTION_DETAILS},
        "at_risk": action.at_risk,
    }
