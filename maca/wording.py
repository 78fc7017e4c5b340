"""How names are put into sentences."""

from django import forms
from django.forms.utils import pretty_name
from django.template.defaultfilters import filesizeformat

# At the top of every page of a briefing not yet published (PDF and Word), beside the marking.
DRAFT_MARKING = "DRAFT — NOT PUBLISHED"


def possessive(name) -> str:
    """ "Police's", but "Health – GP practices'": a name ending in s takes the apostrophe alone."""
    name = str(name)
    return f"{name}'" if name.rstrip().lower().endswith("s") else f"{name}'s"


class _TooLong(str):
    """A text over its length limit, as the page says it while it is typed (static/js/maca.js):
    the whole length and the limit, thousands separated. Django fills a validator's message
    with `message % params`; this fills it so."""

    def __mod__(self, params):
        return (
            f"This is {params['show_value']:,} characters, over the limit of "
            f"{params['limit_value']:,}: shorten it before sending."
        )


TOO_LONG = _TooLong("This is too long: shorten it before sending.")


def size_limit(size: int) -> str:
    """A size limit as people write it: "20 MB" and "512 KB", not Django's "20.0 MB", but
    "1.5 MB" when the limit is not a whole number. The space stays a non-breaking one."""
    number, space, unit = str(filesizeformat(size)).partition("\xa0")
    return f"{number.removesuffix('.0')}{space}{unit}"


def counted(number: int, noun: str) -> str:
    """ "1 audit", "3 audits": a number with its noun, in the singular for one."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


DJANGO_REQUIRED = forms.Field.default_error_messages["required"]


def required_message(field, name: str) -> str:
    """What to do about an empty field, named by its label: "Fill in “Team or setting”." rather
    than Django's "This field is required.", which does not say which field when it is read in
    the list of problems at the top of the page."""
    label = str(field.label or pretty_name(name)).rstrip(":")
    if isinstance(field, forms.BooleanField):
        return f"Tick “{label}” to go on."
    if isinstance(field, forms.FileField):
        return f"Choose a file for “{label}”."
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return f"Choose at least one for “{label}”."
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return f"Choose an option for “{label}”."
    return f"Fill in “{label}”."


def name_empty_fields(form) -> None:
    """Give each field still carrying Django's "This field is required." a message naming it."""
    for name, field in form.fields.items():
        if field.error_messages.get("required") == DJANGO_REQUIRED:
            field.error_messages["required"] = required_message(field, name)


DJANGO_INVALID_DATE = forms.DateField.default_error_messages["invalid"]
INVALID_DATE = "This is not a real date: check the day, month and year, for example 23/11/2026."
INVALID_EMAIL = "This is not a whole email address: write it in full, for example name@example.org."


def explain_invalid_values(form) -> None:
    """Say what is wrong with a date or an email address that cannot be read, with an example,
    rather than Django's "Enter a valid date." and "Enter a valid email address."."""
    for field in form.fields.values():
        if isinstance(field, forms.DateField):
            if field.error_messages.get("invalid") == DJANGO_INVALID_DATE:
                field.error_messages["invalid"] = INVALID_DATE
        elif isinstance(field, forms.EmailField):
            # Django's message comes from the email validator; the field's own replaces it.
            field.error_messages.setdefault("invalid", INVALID_EMAIL)
