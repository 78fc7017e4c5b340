"""Finding a child's identifying details in free text, however they are spaced or written."""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

from maca.given_names import GIVEN_NAMES

# Kinds of character that render as nothing, or only on another: hidden inside a name, they would
# keep it from a plain comparison ("J\u2064amie"). Format characters (zero-width spaces and
# joiners, direction marks and isolates, invisible operators, tags), and the marks drawn on the
# letter before them (accents, once letters are decomposed, and variation selectors).
UNSEEN = frozenset({"Cf", "Mn", "Me"})
# Symbols written in Latin letters would make words that are not there ("🌹" is ":rose:", "£" is
# "GBP"): each reads as a space.
SYMBOLS = frozenset({"So", "Sc"})
# Letters of the Cyrillic and Greek alphabets drawn as Latin ones (Unicode's confusables), read
# as the letter they look like: "Нarry" with a Cyrillic Н looks like "Harry", though its sound in
# Latin letters is "Narry".
LOOK_ALIKES = str.maketrans(
    "АВЕКМНОРСТУХЅІЈԚԜЁЇаеорсухѕіјԁһԛԝӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧοκνιρυχϲϳα",
    "ABEKMHOPCTYXSIJQWEIaeopcyxsijdhqwlABEZHIKMNOPTYXokvipuxcja",
)
# Between the parts of a name or reference: spaces, hyphens, dots, slashes, underscores.
SEPARATORS = r"[\W_]*"
MONTHS = "January February March April May June July August September October November December"


def normalised(text: str | None, *, drawn_letters: bool = True) -> str:
    """Text as compared: compatibility forms folded (full-width letters, ligatures), accents
    dropped ("Zoë" is "Zoe"), invisible characters removed, and every letter written in Latin
    letters, so that a look-alike from another alphabet ("Аlex" with a Cyrillic А) or a name
    written in one ("Анна") reads as the name; dashes read as hyphens. Symbols read as spaces,
    but for letters drawn as symbols ("🅷", "🇭"), read as letters unless `drawn_letters` is
    false."""
    text = text or ""
    if text.isascii():
        return text  # nothing to fold: most text, which is then checked much faster
    kept = []
    for character in unicodedata.normalize("NFKD", text):
        kind = unicodedata.category(character)
        if kind in SYMBOLS and not (drawn_letters and _drawn_letter(character)):
            kept.append(" ")
        elif kind not in UNSEEN:
            kept.append(character)
    return anyascii("".join(kept))


def _drawn_letter(symbol: str) -> bool:
    """Whether a symbol is a letter or digit drawn another way, by its Unicode name ("NEGATIVE
    SQUARED LATIN CAPITAL LETTER H", "REGIONAL INDICATOR SYMBOL LETTER H"), not a tick or a
    currency sign that Latin letters happen to write ("✓" is "v", "¥" is "Y")."""
    name = unicodedata.name(symbol, "")
    return " LETTER " in f" {name} " or " DIGIT " in f" {name} "


def searched(text: str | None) -> list[str]:
    """The readings of a text searched for anyone's details, each searched on its own: as
    compared (`normalised`); with letters drawn as symbols read as spaces too, since a flag
    (two such letters) may stand against a name ("🇬🇧Harry"); and, when letters of other
    alphabets in it are drawn like Latin ones, as it looks. A name is found in any of them."""
    text = text or ""
    if text.isascii():
        return [text]
    readings = [
        normalised(text),
        normalised(text, drawn_letters=False),
        normalised(unicodedata.normalize("NFKD", text).translate(LOOK_ALIKES)),
    ]
    return list(dict.fromkeys(readings))


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


# What identifies anyone, whether or not MACA holds it: found by its shape alone, so a person
# confirms before such text is kept where many can read it.
POSTCODE = re.compile(
    # The inward part is a digit and two letters, but not an ordinal ("Y6 2nd term").
    r"(?<![^\W_])[A-Z]{1,2}\d[A-Z\d]?\s*(?!\d(?:st|nd|rd|th)\b)\d[ABD-HJLNP-UW-Z]{2}(?![^\W_])",
    re.I,
)
MONTH_NAME = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE = (
    r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}"
    r"|\d{4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,2}"
    rf"|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_NAME},?\s+\d{{4}}"
)
BIRTH_DATE = re.compile(
    # The cue, a few words at most ("date of birth is", "born on"), then the date.
    rf"\b(?:d\.?\s?o\.?\s?b\.?|date\s+of\s+birth|born)(?:\W+[a-z]+){{0,3}}?\W{{0,3}}(?:{DATE})"
    # or "birthday" right before the date (not "birthday party on…"), or a lower-case "b." (not
    # an initial: "B. Jones visited 12/03/2023").
    rf"|\bbirthday\W{{0,3}}(?:is\s+|was\s+)?(?:{DATE})|(?<![\w.])(?-i:b)\.\s?(?:{DATE})",
    re.I,
)
WRITTEN_DATE = re.compile(r"\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}")
NHS_NUMBER = re.compile(r"(?<!\d)(\d{3})[ \-.]?(\d{3})[ \-.]?(\d{4})(?!\d)")
# Two letters (of those HMRC issues, not a prefix it never uses), six digits, A to D.
NI_NUMBER = re.compile(
    r"(?<![^\W_])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D](?![^\W_])"
)  # in capitals, as it is written: "On 12 05 23 a referral" is no number
# A school's Unique Pupil Number: a letter, eleven digits and a digit or (a temporary one) a
# letter; never I, O or S.
PUPIL_NUMBER = re.compile(r"(?<![^\W_])[A-HJ-NP-RT-Z]\d{11}[\dA-HJ-NP-RT-Z](?![^\W_])", re.I)
# 10 or 11 digits, as UK numbers are written: 07700 900123, +44 7700 900123, (0116) 496 0123.
PHONE = re.compile(r"(?<![\d+])(?:\+44\s?(?:\(0\)\s?)?|\(?0)[\d\s\-()]{8,14}\d(?!\d)")
# An email address at a mail service that people, not organisations, use: a family's own address.
# A team's or a service's mailbox ("safeguarding@council.gov.uk") is not asked about.
# Anchored at the start of the address and bounded as addresses are (64 characters before the
# @), so that a long run of letters is not searched again from each of them.
EMAIL = re.compile(
    r"(?<![\w.+'-])[\w.+'-]{1,64}@((?:[a-z0-9-]{1,63}\.){1,8}[a-z]{2,24})(?![a-z0-9])", re.I
)
PERSONAL_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.co.uk", "outlook.com", "live.com",
    "live.co.uk", "msn.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "icloud.com", "me.com",
    "mac.com", "aol.com", "aol.co.uk", "btinternet.com", "btopenworld.com", "sky.com",
    "virginmedia.com", "ntlworld.com", "talktalk.net", "tiscali.co.uk", "protonmail.com",
    "proton.me", "gmx.com", "gmx.co.uk", "mail.com",
})  # fmt: skip
# Words that end an address and seldom anything else ("Court" and "Hill" name courts and places
# in casework too often to count).
ADDRESS_END = (
    r"(?:Street|Road|Rd|Avenue|Ave|Lane|Close|Drive|Crescent|Gardens|Terrace|Grove|Mews|Parade)"
)
# Words that end an address only when written with a capital ("4 Meadow Way", not "a 10 minute
# walk", "took place", "a 20 per cent rise").
CAPITALISED_ADDRESS_END = rf"(?:{ADDRESS_END}|Way|View|Place|Walk|Rise)"
STREET = re.compile(
    # A house number, then one to three capitalised words (not a month: "3 June St Thomas'"),
    # and a word ending an address, or "St" not followed by a saint's name.
    rf"\b\d{{1,4}}[A-Za-z]?,?\s+(?!(?i:{MONTH_NAME})\s)(?:[A-Z][a-z]+\s+){{1,3}}"
    rf"(?:{CAPITALISED_ADDRESS_END}\b|St\b(?!\.?\s+[A-Z]))"
    # or, written in lower case, one or two words and a word ending an address.
    rf"|\b\d{{1,4}}[a-z]?,?\s+(?:[a-z]+\s+){{1,2}}(?i:{ADDRESS_END})\b"
)
# Words that open a sentence or name a role, never a surname: after a pseudonymous initial and
# its full stop ("Mr B. He said", "Ms A. The school"), or after "Dr" ending an address ("Oak
# Dr. The family"), they begin the next sentence, not a name.
NOT_A_SURNAME = (
    "He|She|They|It|We|You|His|Her|Hers|Him|Their|Them|Its|Our|The|This|That|These|Those|There|"
    "Then|When|Where|What|Who|Why|How|While|Whilst|If|As|At|In|On|Of|To|For|By|From|With|After|"
    "Before|During|Both|All|Each|Every|Also|And|But|Or|So|Not|No|Yes|However|Although|Despite|"
    "Following|Since|Until|Later|Neither|Nor|Another|Other|Some|Any|An|Mother|Father|Mum|Dad|"
    "Parents|Police|School|Staff|Social|Health|Children|Child|Baby|Family|Sibling|Siblings|"
    "Nursery|Agencies|Professionals"
)
# What "Ms" stands for besides a title: Microsoft's "Ms Teams", "Ms Word", "Ms Forms".
MICROSOFT = "Teams|Word|Forms|Excel|Office|Outlook|PowerPoint|OneNote|OneDrive|SharePoint"
# A person's name after a title ("Mrs Smith", "Mr J. Smith", "Dr Patel"), not a pseudonymous
# initial ("Mr B.", "Ms A attended", "Mr B. He said", "Ms A" ending a line) nor "Ms Teams".
TITLED_NAME = re.compile(
    rf"(?<![\w.])(?:Ms\.?\s+(?!(?:{MICROSOFT})\b)|(?:Mrs|Mr|Miss|Mx|Dr)\.?\s+)"
    rf"(?:[A-Z]\.?[^\S\n]*)?(?!(?:{NOT_A_SURNAME})\b)[A-Z](?:['’]?[A-Z])?[a-z]"
)
# Words a pseudonymous label is made of ("Case 7", "Family B", "Sibling group 2").
LABEL_WORDS = {
    "case", "family", "child", "children", "young", "person", "people", "sibling", "siblings",
    "group", "baby", "infant", "unborn", "household", "audit", "review", "the", "and", "of",
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
}  # fmt: skip


def _valid_nhs_number(digits: str) -> bool:
    total = sum(int(digit) * (10 - place) for place, digit in enumerate(digits[:9]))
    check = 11 - total % 11
    return (0 if check == 11 else check) == int(digits[9]) and check != 10


def _is_phone_number(written: str) -> bool:
    if WRITTEN_DATE.search(written):  # "05-06-2023 10:30" is a date and a time
        return False
    digits = re.sub(r"\D", "", written)
    national = digits[2:] if written.startswith("+44") else digits
    return len(national) in (9, 10) if written.startswith("+44") else len(digits) in (10, 11)


def identifying_shapes(text: str) -> list[str]:
    """What in `text` has the shape of anyone's identifying details: a postcode, a date of
    birth, an NHS, National Insurance or pupil number, a phone number, a street address, a
    personal email address, a name after a title ("Mrs Smith")."""
    found = []
    for reading in searched(text):
        found += [kind for kind in _shapes_in(reading) if kind not in found]
    return found


def _shapes_in(text: str) -> list[str]:
    found = []
    if POSTCODE.search(text):
        found.append("a postcode")
    if BIRTH_DATE.search(text):
        found.append("a date of birth")
    if any(_valid_nhs_number("".join(m.groups())) for m in NHS_NUMBER.finditer(text)):
        found.append("an NHS number")
    if NI_NUMBER.search(text):
        found.append("a National Insurance number")
    if PUPIL_NUMBER.search(text):
        found.append("a pupil number")
    if any(_is_phone_number(match.group()) for match in PHONE.finditer(text)):
        found.append("a phone number")
    if STREET.search(text):
        found.append("a street address")
    if TITLED_NAME.search(text):
        found.append("a person's name after their title")
    if "@" in text and any(
        m.group(1).lower() in PERSONAL_MAIL_DOMAINS for m in EMAIL.finditer(text)
    ):
        found.append("a personal email address")
    return found


def looks_like_a_name(label: str) -> bool:
    """Whether a case's label reads like a person's or family's name ("Jayden Smith", "The
    Smith Family", "Baby O'Neill") rather than a pseudonym ("Case 7", "Family B", "Case Seven"):
    two or more words, no number and no single letter, and every word that is not a label's
    word written as a name is; or any word a common given name ("Jayden", "Case Jayden 2"). A
    pseudonym of words ("Family Blue") is asked about too: the writer confirms it."""
    words = normalised(label).split()
    if any(part in GIVEN_NAMES for part in re.findall(r"[a-z]+", normalised(label).casefold())):
        return True
    if len(words) < 2 or any(len(word) == 1 or not _letters(word) for word in words):
        return False
    others = [word for word in words if word.lower() not in LABEL_WORDS]
    return bool(others) and all(word[:1].isupper() for word in others)


def _letters(word: str) -> bool:
    """A word of letters, with the hyphens and apostrophes names have ("Smith-Jones")."""
    return re.sub(r"[-'’]", "", word).isalpha()
