"""Where texts hold a child's identifying details: the names, dates of birth and reference
numbers held for an audit's children, found in words written about them; and the texts that look
identifying by their shape alone, until a person confirms they are not.

Used by the briefing's publishing check, the action plan's and the meeting pack's warnings, and
the forms that ask about what looks identifying (cases/forms/identifying.py).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cases import access
from cases.models import Audit, ChronologyEntry, ConfirmedText, NominationIdentity, ToolAnswer
from maca.identifiers import (
    NAME_PART_MIN_LENGTH,
    identifying_shapes,
    identity_patterns,
    looks_like_a_name,
    normalised,
    searched,
)
from maca.wording import possessive


@dataclass
class _Child:
    """One child's identifying details as patterns, with the plain pieces of text that any
    match must contain: most texts contain none, and are passed over without a search."""

    patterns: list[tuple[re.Pattern, str]]
    pieces: tuple[str, ...]  # in the text in lower case
    references: tuple[str, ...]  # in the text in lower case with separators taken out

    def may_be_in(self, lowered: str, squeezed: str) -> bool:
        return any(p in lowered for p in self.pieces) or any(r in squeezed for r in self.references)


def _squeezed(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


def _child(identity, label, *, agency_ids=None) -> _Child:
    """`agency_ids`: only those agencies' reference numbers (None: every agency's)."""
    references = [
        (f"{possessive(reference.agency.name)} reference number for {label}", reference.reference)
        for reference in identity.references.all()
        if agency_ids is None or reference.agency_id in agency_ids
    ]
    patterns = identity_patterns(
        identity.child_name, identity.date_of_birth, references, label=label
    )
    parts = re.findall(r"[^\W_]+", normalised(identity.child_name).lower())
    # A part of three letters or more is found alone; the whole name holds its longest part.
    pieces = {part for part in parts if len(part) >= NAME_PART_MIN_LENGTH}
    pieces |= {max(parts, key=len)} if parts else set()
    if born := identity.date_of_birth:
        pieces |= {str(born.year), f"{born.year % 100:02d}"}
    squeezed = {_squeezed(normalised(value)) for _, value in references} - {""}
    return _Child(patterns, tuple(pieces), tuple(squeezed))


def _children(*, label=None, agency_ids=None, **held_for) -> list[_Child]:
    """The name, date of birth and reference numbers held for each child of the nominations
    filtered by `held_for` (nomination__audit=..., or nomination__case=...), each named by its
    case's label as it is now (its nomination's, not chosen as a case) unless `label` is given;
    `agency_ids` as `_child` takes them."""
    identities = (
        NominationIdentity.objects.filter(**held_for)
        .select_related("nomination__case")
        .prefetch_related("references__agency")
    )
    return [
        _child(identity, label or identity.nomination.current_label, agency_ids=agency_ids)
        for identity in identities
    ]


def identifying_details_in(audit, texts) -> list[tuple[str, list[str]]]:
    """(name, what it holds) for each of the (name, text) pairs whose text holds identifying
    details held for the audit's children: the details are read once for all the texts."""
    return _details_in(_children(nomination__audit=audit), texts)


def case_details_in(case, texts, *, writer) -> list[tuple[str, list[str]]]:
    """As `identifying_details_in`, for the one child of `case` and only the details `writer`
    may see: the child's name and date of birth when they may see the case's identifying
    details, and of its reference numbers those of their own agencies (every one for the
    chair). Told of any other, a writer could test guesses at what they may not know. No case,
    no child: rows read without a case (only checked as a file) hold no one's details."""
    if case is None or case.pk is None:
        return []
    audit = case.audit
    if not access.can_view_identifiers(writer, audit, case.agencies.values_list("pk", flat=True)):
        return []
    chair = access.can(writer, "manage_audit", audit)
    own = None if chair else access.agency_ids_for(writer, audit)
    # Named by the case's label as it is now (a nomination keeps the label it was given).
    children = _children(nomination__case=case, label=case.label, agency_ids=own)
    return _details_in(children, texts)


def _held_in(children: list[_Child], readings: list[str]) -> Iterator[str]:
    """What each reading of a text holds of the children's details, each reading on its own."""
    for text in readings:
        lowered, squeezed = text.lower(), _squeezed(text)
        for child in children:
            if child.may_be_in(lowered, squeezed):
                for pattern, described in child.patterns:
                    if pattern.search(text):
                        yield described


def _details_in(children: list[_Child], texts) -> list[tuple[str, list[str]]]:
    if not children:
        return []
    found = []
    for name, text in texts:
        held = list(dict.fromkeys(_held_in(children, searched(text))))
        # The whole name found: its parts need not be listed again.
        held = [d for d in held if not (d.startswith("part of ") and d[len("part of ") :] in held)]
        if held:
            found.append((name, held))
    return found


def places_holding_identifiers(audit, texts) -> list[str]:
    """ "<where> contains <what>." for each identifying detail found in the (where, text) pairs."""
    return [
        f"{place} contains {description}."
        for place, held in identifying_details_in(audit, texts)
        for description in held
    ]


def _pack_texts(audit: Audit):
    """Every chronology entry and audit tool answer of the audit's cases, named as the meeting
    pack shows it. Read lazily: nothing is fetched when no child's details are held."""
    entries = (
        ChronologyEntry.objects.filter(case__audit=audit)
        .select_related("case", "agency")
        .order_by("case__order", "agency__name", "date", "pk")
    )
    for entry in entries:
        chronology = f"{possessive(entry.agency.name)} chronology"
        place = f"{entry.case.label}, {chronology}, entry of {entry.date_shown}"
        yield place, "\n".join((entry.event, entry.source_agency, entry.action_taken))
    answers = (
        ToolAnswer.objects.filter(submission__case__audit=audit)
        .exclude(text="")
        .select_related("submission__case", "submission__agency", "question__section")
        .order_by(
            "submission__case__order",
            "submission__agency__name",
            "question__section__order",
            "question__order",
        )
    )
    for answer in answers:
        submission = answer.submission
        place = (
            f"{submission.case.label}, {possessive(submission.agency.name)} audit tool, answer to "
        )
        place += f"“{answer.question.text}”"
        yield place, answer.text


def identifying_details_in_pack(audit: Audit) -> list[str]:
    """Where the meeting pack holds a child's identifying details, for the chair."""
    return places_holding_identifiers(audit, _pack_texts(audit))


# What looks identifying by its shape ---------------------------------------------------------


def text_digest(text: str) -> str:
    """The text's fingerprint as a confirmation is kept: however it is spaced."""
    return hashlib.sha256(" ".join((text or "").split()).encode()).hexdigest()


def confirmed_digests(audit, *, by_chair: bool = False) -> set[str]:
    """The fingerprints of the audit's texts confirmed as not identifying (by the chair only,
    with `by_chair`): one query."""
    confirmed = ConfirmedText.objects.filter(audit=audit)
    if by_chair:
        confirmed = confirmed.filter(by_chair=True)
    return set(confirmed.values_list("text_hash", flat=True))


def looks_identifying(text: str, *, label: bool = False) -> list[str]:
    """What `text` looks as if it held ("a postcode", "an NHS number"…); for a case's label,
    also "a name" when it reads like one."""
    found = identifying_shapes(text or "")
    return (["a name"] if label and looks_like_a_name(text or "") else []) + found


@dataclass(frozen=True)
class Flag:
    """A text that looks identifying and is not confirmed: where it is, what it looks as if it
    held, and its fingerprint (what confirming it records)."""

    place: str
    kinds: tuple[str, ...]
    digest: str

    def __str__(self):
        return f"{self.place} looks as if it holds {listed(list(self.kinds))}."


def unconfirmed_flags(
    audit, texts: Iterable[tuple[str, str]], *, labels: Iterable[tuple[str, str]] = ()
) -> list[Flag]:
    """Of the (place, text) pairs (and the (place, case label) pairs), those that look
    identifying and that the chair has not confirmed are not."""
    confirmed = None
    flags = []
    checked = [(place, text, False) for place, text in texts]
    checked += [(place, text, True) for place, text in labels]
    for place, text, label in checked:
        kinds = looks_identifying(text, label=label)
        if not kinds:
            continue
        if confirmed is None:
            confirmed = confirmed_digests(audit, by_chair=True)
        digest = text_digest(text)
        if digest not in confirmed:
            flags.append(Flag(place, tuple(kinds), digest))
    return flags


def listed(things: list[str]) -> str:
    """ "a postcode, a phone number and a date of birth"."""
    if len(things) == 1:
        return things[0]
    return f"{', '.join(things[:-1])} and {things[-1]}"
