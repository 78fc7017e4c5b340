"""Finding a child's identifying details in free text, however they are spaced or written."""

from __future__ import annotations

import re
import unicodedata

# Characters that render as nothing, which would hide a name from a plain comparison.
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
# Between the parts of a name or reference: spaces, hyphens, dots, slashes, underscores.
SEPARATORS = r"[\W_]*"
MONTHS = "January February March April May June July August September October November December"


def normalised(text: str | None) -> str:
    """Text as compared: compatibility forms folded (full-width letters, ligatures), accents
    dropped ("Zoë" is "Zoe"), invisible characters removed."""
    text = text or ""
    if text.isascii():
        return text  # nothing to fold: most text, which is then checked much faster
    decomposed = unicodedata.normalize("NFKD", text).translate(INVISIBLE)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def value_pattern(value: str, *, loose: bool = False) -> re.Pattern | None:
    """A name's words in order, whatever separates them ("Jo Ann" finds "Jo-Ann" and "JoAnn"),
    as whole words. `loose` (reference numbers): any separators between any characters, so
    "AB1234" finds "AB 1234" and "ab-12.34"."""
    parts = re.findall(r"[^\W_]" if loose else r"[^\W_]+", normalised(value))
    if not parts:
        return None
    body = SEPARATORS.join(re.escape(part) for part in parts)
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])", re.IGNORECASE)


def date_patterns(day) -> list[re.Pattern]:
    """A date of birth as people write it: 5/3/2015, 05-03-15, 2015-03-05, 5 March 2015,
    5th Mar. 2015, March 5, 2015."""
    month_name = MONTHS.split()[day.month - 1]
    month = rf"(?:{month_name}|{month_name[:3]})\.?"
    d, m, y = day.day, day.month, day.year
    year = rf"(?:{y}|{y % 100:02d})"
    written = [
        rf"0?{d}\s*[/.\-]\s*0?{m}\s*[/.\-]\s*{year}",
        rf"{y}\s*[/.\-]\s*0?{m}\s*[/.\-]\s*0?{d}",
        rf"0?{d}(?:st|nd|rd|th)?\s+{month},?\s+{y}",
        rf"{month}\s+0?{d}(?:st|nd|rd|th)?,?\s+{y}",
    ]
    return [re.compile(rf"(?<!\d){form}(?!\d)", re.IGNORECASE) for form in written]


NAME_PART_MIN_LENGTH = 3


def name_patterns(name: str) -> list[tuple[re.Pattern, bool]]:
    """The whole name (in any case) and each part of it of three letters or more (a first name
    alone still identifies), each with whether it is the whole name.

    A part is matched only as a name is written, capitalised or in capitals, so that a child
    called Will Hope does not make every "will" and "hope" an identifier."""
    name = normalised(name).strip()
    patterns = [(value_pattern(name), True)]
    parts = [part for part in re.split(r"[\s\-'’]+", name) if part]
    for part in parts:
        if len(part) >= NAME_PART_MIN_LENGTH and part != name:
            patterns.append((_written_as_a_name(part), False))
    return [(pattern, whole) for pattern, whole in patterns if pattern is not None]


def _written_as_a_name(part: str) -> re.Pattern:
    forms = {part, part[:1].upper() + part[1:], part.capitalize(), part.upper()}
    either = "|".join(re.escape(form) for form in sorted(forms))
    return re.compile(rf"(?<![^\W_])(?:{either})(?![^\W_])")


def identity_patterns(
    child_name: str, date_of_birth=None, references=(), *, label: str = "the child"
) -> list[tuple[re.Pattern, str]]:
    """Patterns for one child's details, each with what it finds ("the name held for Case 1");
    `references` are (description, value) pairs."""
    found = [
        (pattern, f"{'the name' if whole else 'part of the name'} held for {label}")
        for pattern, whole in name_patterns(child_name)
    ]
    if date_of_birth:
        described = f"the date of birth held for {label}"
        found += [(pattern, described) for pattern in date_patterns(date_of_birth)]
    for described, reference in references:
        if (pattern := value_pattern(reference, loose=True)) is not None:
            found.append((pattern, described))
    return found
