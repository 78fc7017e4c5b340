"""Characters that typed text may not hold, and what every document and spreadsheet does about
them: text pasted from Word can carry invisible control characters (a vertical tab for a line
break), which XML files (Word, Excel) cannot hold at all."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.utils.http import is_same_domain

from maca import concurrency, once
from maca.identifiers import normalised

# Characters XML 1.0 cannot hold: control characters other than tab, line feed and carriage
# return; lone surrogates; and the two non-characters.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def xml_text(value) -> str:
    """`value` as text an XML file can hold: what it cannot is left out."""
    return NOT_XML.sub("", str(value))


def one_line(text: str) -> str:
    """`text` on one line, as an email's subject must be: a line break typed into a name (a
    theme's, say) would otherwise stop the email going at all."""
    return " ".join(text.split())


# Characters drawn as nothing at all that no category marks as invisible (format characters, Cf,
# are left out by their category): Unicode's other default-ignorable code points (fillers,
# variation selectors, the combining grapheme joiner) and the blank Braille pattern.
BLANK_CHARACTERS = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u2800\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)


def shown_name(text: str) -> str:
    """A name as it is shown: on one line, without the invisible characters (zero-width spaces,
    direction marks, blank letters) that would let two names look alike, or a name look like
    nothing."""
    composed = unicodedata.normalize("NFC", text)
    return one_line(
        "".join(
            char
            for char in composed
            if unicodedata.category(char) != "Cf" and char not in BLANK_CHARACTERS
        )
    )


# Marks that keyboards, word processors and phones type in place of one another: a straight or a
# curly apostrophe, a hyphen or a dash.
_TYPED_ALIKE = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u02bc\u2032\u0060\u00b4", "'"),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
    }
)


def name_key(text: str) -> str:
    """What two names share when they read as one: "Children's Social Care" and "Children’s
    social care", "Health - GP" and "Health – GP", a letter typed full-width, accented or from
    another alphabet drawn alike ("Policе" with a Cyrillic е) and the same letter. Two agencies
    of a partnership may not share it."""
    folded = normalised(shown_name(text).translate(_TYPED_ALIKE))
    return " ".join(folded.casefold().split())


def control_character_message(text: str) -> str | None:
    """What to tell the writer when `text` holds a control character, or None."""
    found = CONTROL.search(text)
    if found is None:
        return None
    before = text[max(0, found.start() - 30) : found.start()].split("\n")[-1].strip()
    where = f" after “{before}”" if before else " at the start"
    return (
        f"This holds an invisible control character (U+{ord(found.group()):04X}){where}, "
        "usually from text pasted from Word or email. Delete it (or the words around it) and "
        "type them again."
    )


LINE_BREAK_MESSAGE = "This fits on one line: take out the line break."


def _refusal(field, typed: str) -> str | None:
    """Why `typed` cannot go in `field`: a control character, or a line break in a one-line box
    (which no browser sends: a name that went on to head an email would stop it going)."""
    if message := control_character_message(typed):
        return message
    if isinstance(field.widget, forms.TextInput) and len(typed.strip().splitlines()) > 1:
        return LINE_BREAK_MESSAGE
    return None


class RefuseControlCharactersMixin:
    """A form whose text fields refuse control characters, and line breaks in one-line boxes,
    each with a message next to it."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if not isinstance(field, forms.CharField) or field.widget.is_hidden:
                continue
            typed = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if isinstance(typed, str) and (message := _refusal(field, typed)):
                if name in self.errors:
                    continue  # already refused, e.g. a NUL character
                self.add_error(name, forms.ValidationError(message, code="control_character"))
        return cleaned


# What a form carries for the machine, not typed by a person: its security and version fields.
_NOT_TYPED = {
    "csrfmiddlewaretoken",
    once.FIELD,
    concurrency.FIELD,
    concurrency.VALUES,
    "next",  # where to go after: an address
    "back",
    "digest",
}
# Secrets are never shown back, whatever their field is called ("new_password1", "otp_token").
_SECRET = re.compile(r"password|token|otp|secret|code", re.IGNORECASE)
# A choice's stored value ("in_progress"), a number, a date: not words to copy back.
_CODE = re.compile(r"[a-z0-9_\-:.]*")


def typed_texts(request) -> list[str]:
    """The words a person sent with a form, for a page that could not save them (what they
    were saving was deleted meanwhile), so that nothing they wrote is lost. Only a signed-in
    person's, and only from a form of this site: words another site posted are not shown."""
    user = getattr(request, "user", None)
    if request is None or request.method != "POST" or not (user and user.is_authenticated):
        return []
    if not sent_from_here(request):
        return []
    texts = []
    for name, values in request.POST.lists():
        if name.rsplit("-", 1)[-1] in _NOT_TYPED:  # a form's prefix first ("edit-1-...")
            continue
        if _SECRET.search(name):
            continue
        for value in values:
            value = value.strip()
            if value and not _CODE.fullmatch(value) and value not in texts:
                texts.append(value)
    return texts


def sent_from_here(request) -> bool:
    """Whether the browser says the form came from a page of this site (by its Origin, or, where
    something took that away, its Referer): its own address, or one CSRF_TRUSTED_ORIGINS allows,
    by Django's rule (exactly, or "https://*.example.org" for any of its subdomains), as behind
    a proxy that ends HTTPS."""
    origin = request.META.get("HTTP_ORIGIN") or _origin_of(request.META.get("HTTP_REFERER"))
    if origin is None:
        return False
    if origin == f"{request.scheme}://{request.get_host()}":
        return True
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    sent = urlsplit(origin)
    return any(
        sent.scheme == allowed.scheme and is_same_domain(sent.netloc, allowed.netloc.lstrip("*"))
        for allowed in map(urlsplit, settings.CSRF_TRUSTED_ORIGINS)
        if "*" in allowed.netloc
    )


def _origin_of(address: str | None) -> str | None:
    parts = urlsplit(address or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
