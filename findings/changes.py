"""What changed between two readings of the briefing (two published versions, or the latest one
and the draft), read from the pages as they were published: section by section, each point
added, taken out or reworded, a reworded point word by word."""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

COVER = "cover"
# Beyond this many words a reworded point is shown whole, taken out and added, not word by word;
# and so is every point once this many words have been compared in one comparison.
WORDS_COMPARED = 2_000
WORDS_PER_COMPARISON = 100_000
# Points read as one reworded when this share of their words is the same.
ALIKE = 0.5
# Above this many (taken out x added) points in one place, they are not paired as reworded.
POINTS_PAIRED = 10_000
# The parts of a briefing page whose text is read: the points, the opening paragraphs and the
# cover's lines. The version line of the cover says which reading it is: that always differs.
READ = frozenset({"li", "p", "h1"})


@dataclass
class Section:
    key: str
    heading: str
    points: list[tuple[str, str]] = field(default_factory=list)  # (case label or "", text)


@dataclass
class Change:
    kind: str  # "added", "removed", "reworded" or "moved"
    group: str  # the case's label, when the point is about one case
    text: str = ""
    words: list[tuple[str, str]] = field(default_factory=list)  # ("same"|"removed"|"added", text)
    origin: str = ""  # of a moved point: where it stood before, in words


@dataclass
class SectionChanges:
    heading: str
    changes: list[Change]
    status: str = ""  # "added" or "removed" for a whole section


class _BriefingReader(HTMLParser):
    """The briefing page's sections and the text of each point, in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, Section] = {}
        self._section: Section | None = None
        self._group = ""
        self._reading: str | None = None  # the tag whose text is being read
        self._skipping = 0
        self._in_group = False
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if self._skipping or "version" in classes:
            self._skipping += tag not in ("br", "img")
            return
        if tag == "header" and "cover" in classes:
            self._open(COVER, "Cover")
        elif tag == "section" and "briefing-section" in classes:
            self._open((attributes.get("id") or "").removeprefix("section-"), "")
        elif tag in ("h2", "h3") or (self._section and tag in READ and not self._reading):
            self._reading, self._text = tag, []
        elif tag == "br" and self._reading:
            self._text.append("\n")
        elif tag == "div" and "case-group" in classes:
            self._in_group = True

    def handle_endtag(self, tag):
        if self._skipping:
            self._skipping -= tag not in ("br", "img")
            return
        if tag == "div" and self._in_group and not self._reading:
            self._in_group, self._group = False, ""  # points after the cases are the section's
        if tag != self._reading:
            return
        text = " ".join("".join(self._text).split())
        self._reading = None
        if self._section is None or not text:
            return
        if tag == "h2":
            self._section.heading = text
        elif tag == "h3":
            self._group = text
        else:
            self._section.points.append((self._group, text))

    def handle_data(self, data):
        if self._reading and not self._skipping:
            self._text.append(data)

    def _open(self, key: str, heading: str) -> None:
        self._section = self.sections.setdefault(key, Section(key, heading))
        self._group = ""


def sections_of(html: str) -> dict[str, Section]:
    reader = _BriefingReader()
    reader.feed(html)
    reader.close()
    return reader.sections


def compared(before_html: str, after_html: str) -> list[SectionChanges] | None:
    """The sections that differ, in the order of the later reading, then those taken out; None
    when either page has no sections to read (not a briefing page)."""
    before, after = sections_of(before_html), sections_of(after_html)
    if not before or not after:
        return None
    budget = _Budget(WORDS_PER_COMPARISON)
    found = []
    for key, section in after.items():
        earlier = before.get(key)
        if earlier is None:
            changes = [Change("added", group, text) for group, text in section.points]
            found.append(SectionChanges(section.heading, changes, status="added"))
        elif changes := _changes(earlier.points, section.points, budget):
            found.append(SectionChanges(section.heading or earlier.heading, changes))
    for key, section in before.items():
        if key not in after:
            changes = [Change("removed", group, text) for group, text in section.points]
            found.append(SectionChanges(section.heading, changes, status="removed"))
    return _moves_across(found)


def _moves_across(found: list[SectionChanges]) -> list[SectionChanges]:
    """A point taken out of one case or section and added unchanged to another was moved: said
    once, where it now stands, with where it was. (Points of a section added or taken out
    whole stay as they are.)"""
    taken_out: dict[str, list[tuple[SectionChanges, Change]]] = {}
    for section in found:
        for change in section.changes if not section.status else ():
            if change.kind == "removed":
                taken_out.setdefault(change.text, []).append((section, change))
    consumed, moved = set(), {}
    for section in found:
        for change in section.changes if not section.status else ():
            if change.kind == "added" and taken_out.get(change.text):
                origin_section, origin = taken_out[change.text].pop(0)
                consumed.add(id(origin))
                where = _where(origin_section, origin, section)
                moved[id(change)] = Change("moved", change.group, change.text, origin=where)
    if not moved:
        return found
    for section in found:
        section.changes = [
            moved.get(id(change), change)
            for change in section.changes
            if id(change) not in consumed
        ]
    return [section for section in found if section.changes or section.status]


def _where(origin_section: SectionChanges, origin: Change, now: SectionChanges) -> str:
    """Where a moved point came from, as the reader of where it now stands would say it."""
    places = [origin_section.heading] if origin_section is not now else []
    places += [origin.group] if origin.group else []
    return "from " + (", ".join(places) or "the section's other points")


@dataclass
class _Budget:
    """Words still to be compared word by word in this comparison."""

    words: int


def _changes(before: list[tuple[str, str]], after: list[tuple[str, str]], budget) -> list[Change]:
    changes = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for operation, start, end, new_start, new_end in matcher.get_opcodes():
        if operation != "equal":
            changes += _paired(before[start:end], after[new_start:new_end], budget)
    return _moves_named(changes, before, after)


def _paired(old: list[tuple[str, str]], new: list[tuple[str, str]], budget) -> list[Change]:
    """Each point taken out paired, in order, with a later one of the same case that reads much
    like it (reworded); the others added or taken out."""
    changes, next_new = [], 0
    pairing = len(old) * len(new) <= POINTS_PAIRED
    for group, text in old:
        match = _first_alike(group, text, new, next_new) if pairing else None
        if match is None:
            changes.append(Change("removed", group, text))
            continue
        changes += [Change("added", *point) for point in new[next_new:match]]
        changes.append(Change("reworded", group, words=_words(text, new[match][1], budget)))
        next_new = match + 1
    return changes + [Change("added", *point) for point in new[next_new:]]


def _first_alike(group: str, text: str, points: list[tuple[str, str]], start: int) -> int | None:
    for index in range(start, len(points)):
        if points[index][0] == group and _alike(text, points[index][1]):
            return index
    return None


def _alike(before: str, after: str) -> bool:
    matcher = difflib.SequenceMatcher(None, before.split(), after.split(), autojunk=False)
    return matcher.quick_ratio() >= ALIKE and matcher.ratio() >= ALIKE


def _moves_named(changes: list[Change], before, after) -> list[Change]:
    """A point taken out and added again unchanged, in the same case, was moved: said once,
    where it now stands, with its place before and after."""
    removed = {(c.group, c.text) for c in changes if c.kind == "removed"}
    added = {(c.group, c.text) for c in changes if c.kind == "added"}
    moved = removed & added
    if not moved:
        return changes
    places_before, places_after = _places(before), _places(after)
    named = []
    for change in changes:
        if (change.group, change.text) in moved and change.kind == "removed":
            continue
        if (change.group, change.text) in moved and change.kind == "added":
            places = (
                places_before[change.group, change.text],
                places_after[change.group, change.text],
            )
            change = Change(
                "moved", change.group, change.text, origin="was point {}, now {}".format(*places)
            )
        named.append(change)
    return named


def _places(points: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Each point's place among the points of its case (or of its section), counted from one;
    a point there twice, its first place."""
    places, counts = {}, Counter()
    for group, text in points:
        counts[group] += 1
        places.setdefault((group, text), counts[group])
    return places


def _words(before: str, after: str, budget: _Budget) -> list[tuple[str, str]]:
    old, new = before.split(" "), after.split(" ")
    if max(len(old), len(new)) > WORDS_COMPARED or len(old) + len(new) > budget.words:
        return [("removed", before), ("added", after)]
    budget.words -= len(old) + len(new)
    pieces = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for operation, start, end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            pieces.append(("same", " ".join(old[start:end])))
            continue
        if end > start:
            pieces.append(("removed", " ".join(old[start:end])))
        if new_end > new_start:
            pieces.append(("added", " ".join(new[new_start:new_end])))
    return pieces
