"""What changed between two readings of the briefing (two published versions, or the latest one
and the draft), read from the pages as they were published: section by section, each point
added, taken out or reworded, a reworded point word by word."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from html.parser import HTMLParser

COVER = "cover"
# Beyond this many words a reworded point is shown whole, taken out and added, not word by word.
WORDS_COMPARED = 2_000
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
    kind: str  # "added", "removed" or "reworded"
    group: str  # the case's label, when the point is about one case
    text: str = ""
    words: list[tuple[str, str]] = field(default_factory=list)  # ("same"|"removed"|"added", text)


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
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if self._skipping or "version" in classes or "version-footer" in classes:
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

    def handle_endtag(self, tag):
        if self._skipping:
            self._skipping -= tag not in ("br", "img")
            return
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


def compared(before_html: str, after_html: str) -> list[SectionChanges]:
    """The sections that differ, in the order of the later reading, then those taken out."""
    before, after = sections_of(before_html), sections_of(after_html)
    found = []
    for key, section in after.items():
        earlier = before.get(key)
        if earlier is None:
            changes = [Change("added", group, text) for group, text in section.points]
            found.append(SectionChanges(section.heading, changes, status="added"))
        elif changes := _changes(earlier.points, section.points):
            found.append(SectionChanges(section.heading or earlier.heading, changes))
    for key, section in before.items():
        if key not in after:
            changes = [Change("removed", group, text) for group, text in section.points]
            found.append(SectionChanges(section.heading, changes, status="removed"))
    return found


def _changes(before: list[tuple[str, str]], after: list[tuple[str, str]]) -> list[Change]:
    changes = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for operation, start, end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            continue
        old, new = before[start:end], after[new_start:new_end]
        pairs = min(len(old), len(new)) if operation == "replace" else 0
        for (group, text), (new_group, new_text) in zip(old[:pairs], new[:pairs], strict=True):
            if group == new_group:
                changes.append(Change("reworded", group, words=_words(text, new_text)))
            else:
                changes += [Change("removed", group, text), Change("added", new_group, new_text)]
        changes += [Change("removed", group, text) for group, text in old[pairs:]]
        changes += [Change("added", group, text) for group, text in new[pairs:]]
    return changes


def _words(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.split(" "), after.split(" ")
    if len(old) > WORDS_COMPARED or len(new) > WORDS_COMPARED:
        return [("removed", before), ("added", after)]
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
