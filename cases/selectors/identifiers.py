"""Where texts hold a child's identifying details: the names, dates of birth and reference
numbers held for an audit's children, found in words written about them.

Used by the briefing's publishing check, the action plan's and the meeting pack's warnings.
"""

from __future__ import annotations

import re

from django.utils.dateformat import format as date_format

from cases.models import Audit, ChronologyEntry, NominationIdentity, ToolAnswer
from maca.identifiers import identity_patterns, normalised


def _identifiers(audit) -> list[tuple[re.Pattern, str]]:
    """Patterns for each name, date of birth and reference number held for the audit's
    children."""
    identities = (
        NominationIdentity.objects.filter(nomination__audit=audit)
        .select_related("nomination")
        .prefetch_related("references__agency")
    )
    found = []
    for identity in identities:
        label = identity.nomination.label
        references = [
            (f"{reference.agency.name}'s reference number for {label}", reference.reference)
            for reference in identity.references.all()
        ]
        found += identity_patterns(
            identity.child_name, identity.date_of_birth, references, label=label
        )
    return found


def identifying_details_in(audit, texts) -> list[tuple[str, list[str]]]:
    """(name, what it holds) for each of the (name, text) pairs whose text holds identifying
    details held for the audit's children: the details are read once for all the texts."""
    identifiers = _identifiers(audit)
    if not identifiers:
        return []
    found = []
    for name, text in texts:
        text = normalised(text or "")
        held = list(dict.fromkeys(d for pattern, d in identifiers if pattern.search(text)))
        # The whole name found: its parts need not be listed again.
        held = [d for d in held if not (d.startswith("part of ") and d[len("part of ") :] in held)]
        if held:
            found.append((name, held))
    return found


def _pack_texts(audit: Audit):
    """Every chronology entry and audit tool answer of the audit's cases, named by where it is
    in the meeting pack. Read lazily: nothing is built when no child's details are held."""
    entries = (
        ChronologyEntry.objects.filter(case__audit=audit)
        .select_related("case", "agency")
        .order_by("case__order", "agency__name", "date", "pk")
    )
    for entry in entries:
        place = f"{entry.case.label}, {entry.agency.name}'s chronology, entry of "
        place += date_format(entry.date, "j F Y")
        yield place, f"{entry.event}\n{entry.source_agency}"
    answers = (
        ToolAnswer.objects.filter(submission__case__audit=audit)
        .exclude(text="")
        .select_related("submission__case", "submission__agency", "question")
        .order_by("submission__case__order", "submission__agency__name", "question__order")
    )
    for answer in answers:
        submission = answer.submission
        place = f"{submission.case.label}, {submission.agency.name}'s audit tool, answer to "
        place += f"“{answer.question.text}”"
        yield place, answer.text


def identifying_details_in_pack(audit: Audit) -> list[str]:
    """Where the meeting pack holds a child's identifying details, for the chair."""
    return [
        f"{place} contains {description}."
        for place, held in identifying_details_in(audit, _pack_texts(audit))
        for description in held
    ]
