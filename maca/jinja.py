"""The templates' language: Jinja2, with Django's rules for what a name in a template means.

MACA's own templates are Jinja2 (Django renders them several times faster than its own
language; the admin and crispy-forms keep theirs). A name is looked up as Django's templates look
it up, so that a template says `{{ action.get_status_display }}` and `{% if form.is_bound %}`:
a key before an attribute, a method called without arguments, never one that changes data
(`alters_data`), and a lookup that fails, or whose object does not exist, is empty rather than an
error. Each app adds its own filters and functions with a Jinja2 extension named in the
`TEMPLATES` setting, where the layers meet.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from functools import lru_cache
from inspect import signature

import jinja2
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django.template import defaultfilters
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language
from jinja2.ext import Extension
from markupsafe import Markup, escape

from maca import logos
from maca.once import FIELD, new_token
from maca.text import typed_texts
from maca.wording import possessive

# Values Django writes in the site's format (and dates and times in the current time zone).
LOCALISED = (datetime.date, datetime.time, float, Decimal)
LOOKUP_ERRORS = (TypeError, AttributeError, KeyError, ValueError, IndexError)
# Per type: whether a name is first looked up as a key (`obj[name]`), as Django's templates do.
_LOOKS_UP_KEYS: dict[type, bool] = {}


def _looks_up_keys(kind: type) -> bool:
    looks = _LOOKS_UP_KEYS.get(kind)
    if looks is None:
        looks = _LOOKS_UP_KEYS[kind] = hasattr(kind, "__getitem__")
    return looks


def _called(value, undefined):
    """What calling `value` without arguments gives, as Django's templates do: nothing for a
    method that changes data (`alters_data`) or needs arguments."""
    if getattr(value, "do_not_call_in_templates", False):
        return value
    if getattr(value, "alters_data", False):
        return undefined()
    try:
        return value()
    except TypeError:
        try:
            signature(value).bind()
        except (TypeError, ValueError):  # it needs arguments: not for a template to call
            return undefined()
        raise


class Missing(jinja2.ChainableUndefined):
    """A name that is not there: empty, anything looked up on it missing too, and false in any
    comparison (`{% if count > 1 %}`), as in Django's templates."""

    def _false(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = _false


class Environment(jinja2.Environment):
    """Names resolved by Django's template rules (see the module's docstring). Every `a.b` and
    `a[b]` of every page comes here: kept to few calls in the usual cases. (`a.1` reaches here as
    the number 1.)"""

    def getattr(self, obj, name):
        try:
            value = self._find(obj, name)
            if callable(value) and not isinstance(value, jinja2.Undefined):
                value = _called(value, lambda: self.undefined(hint=f"{name!r} not drawn"))
        except Exception as error:
            if getattr(error, "silent_variable_failure", False):  # e.g. DoesNotExist
                return self.undefined(hint=f"no {name!r}")
            raise
        return value

    getitem = getattr

    def _find(self, obj, name):
        kind = type(obj)
        looks_up_keys = _LOOKS_UP_KEYS.get(kind)
        if looks_up_keys is None:
            looks_up_keys = _looks_up_keys(kind)
        if looks_up_keys:
            try:
                return obj[name]
            except LOOKUP_ERRORS:
                pass
        elif isinstance(obj, jinja2.Undefined):
            return self.undefined(hint=f"no {name!r}")
        try:
            return getattr(obj, name)
        except (TypeError, AttributeError):
            if isinstance(name, str) and name in dir(obj):  # raised by a property: an error
                raise
        return self.undefined(hint=f"no {name!r}")


# An address by name and numbers (`url('case_detail', audit.pk, case.pk)`) or by name alone
# (`url('home')`), the most common shapes on every page, is found once per name with stand-in
# numbers and then filled in: Django's `reverse` costs about as much as drawing a table row,
# and a page asks for dozens.
_STAND_INS = tuple(7_000_000_001 + n for n in range(8))
_SHAPES: dict[tuple, str | None] = {}


def url(name, *args, **kwargs) -> str:
    if kwargs or not all(type(arg) is int and arg >= 0 for arg in args):
        return reverse(name, args=args or None, kwargs=kwargs or None)
    key = (get_urlconf(), get_script_prefix(), name, len(args))
    shape = _SHAPES.get(key, "")
    if shape == "":
        shape = _SHAPES[key] = _shape_of(name, len(args))
    if shape is None:
        return reverse(name, args=args)
    return shape.format(*args)


def _shape_of(name: str, count: int) -> str | None:
    """The address of `name` with a slot for each of `count` numbers, or None when its address
    is not simply the numbers written in (or there is none)."""
    if count > len(_STAND_INS):
        return None
    try:
        address = reverse(name, args=_STAND_INS[:count])
    except NoReverseMatch:
        return None
    shape = address  # Django writes a brace as %7B and %7D: none is left to mistake for a slot
    for stand_in in _STAND_INS[:count]:
        if shape.count(str(stand_in)) != 1:
            return None
        shape = shape.replace(str(stand_in), "{}")
    return shape


def url_or_empty(name, *args, **kwargs) -> str:
    """The address, or nothing when there is none for these arguments (an item with no
    agency): `{% set tool_url = url_or_empty(...) %}{% if tool_url %}...`."""
    try:
        return url(name, *args, **kwargs)
    except NoReverseMatch:
        return ""


def form_token() -> Markup:
    """The one-time token of a create form (maca/once.py), new each time the form is drawn, so
    the next form (an htmx swap included) never repeats the last one's."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, new_token())


@jinja2.pass_eval_context
def linebreaksbr(eval_context, value):
    value = as_django_takes_it(value)
    return defaultfilters.linebreaksbr(value, autoescape=eval_context.autoescape)


@jinja2.pass_eval_context
def linebreaks(eval_context, value):
    value = as_django_takes_it(value)
    return defaultfilters.linebreaks_filter(value, autoescape=eval_context.autoescape)


@jinja2.pass_eval_context
def join(eval_context, value, arg=""):
    value = [as_django_takes_it(item) for item in as_django_takes_it(value) or ()]
    return defaultfilters.join(value, arg, autoescape=eval_context.autoescape)


@jinja2.pass_eval_context
def escaped_as_django_does(eval_context, value):
    """Each value written into a page as Django writes it: dates and times in the current time
    zone and the site's format, numbers with a decimal part localised, and escaped as Django
    escapes (`&#x27;` for an apostrophe), so a page reads the same whichever language drew it."""
    kind = type(value)
    if kind is str:  # most values: escaped here at once, as Django's `escape` does
        if not eval_context.autoescape:
            return value
        return Markup(html_escape(value))  # noqa: S704 (escaped as it is made)
    if kind is int or kind is Markup:
        return value
    if isinstance(value, LOCALISED):  # a date in the current time zone, in the site's format
        value = localize(template_localtime(value))
    if not eval_context.autoescape or hasattr(value, "__html__"):
        return value
    escaped = str(escape(value)).replace("&#39;", "&#x27;").replace("&#34;", "&quot;")
    return Markup(escaped)  # noqa: S704 (escaped on the line above)


def html_escape(text: str) -> str:
    """Django's `escape` (`html.escape`), an apostrophe as `&#x27;`, without its wrappers."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def default(value, arg=""):
    """Django's `default`: `arg` for any false value, not only for an undefined one."""
    return value or arg


def as_django_takes_it(value):
    """`value` as Django's filters take it: a missing name empty, text that markupsafe marks safe
    marked safe for Django too (else a filter would escape it again)."""
    if isinstance(value, jinja2.Undefined):
        return ""
    if isinstance(value, Markup):
        return mark_safe(str(value))  # noqa: S308 (already safe: markupsafe's mark)
    return value


class DjangoFilter:
    """One of Django's filters, given what it would be given in Django's templates: the value
    as above, and a date and time in the current time zone (`expects_localtime`)."""

    def __init__(self, function):
        self.function = function
        self.localtime = getattr(function, "expects_localtime", False)

    def __call__(self, value, *args):
        value = as_django_takes_it(value)
        if self.localtime:
            value = template_localtime(value)
        return self.function(value, *args)


def date(value, arg=None):
    """Django's `date`. A plain date written in a format given here depends on nothing else but
    the language (the month's name): worked out once for each, as a table of actions writes a
    date on every row at some 25 microseconds each."""
    if arg and type(value) is datetime.date:
        return _date_in_words(value, arg, get_language())
    return defaultfilters.date(value, arg)


date.expects_localtime = True


@lru_cache(maxsize=4096)
def _date_in_words(value: datetime.date, arg: str, language: str) -> str:
    return defaultfilters.date(value, arg)


DJANGO_FILTERS = {
    "add": defaultfilters.add,
    "capfirst": defaultfilters.capfirst,
    "date": date,
    "default_if_none": defaultfilters.default_if_none,
    "filesizeformat": defaultfilters.filesizeformat,
    "length": defaultfilters.length,
    "lower": defaultfilters.lower,
    "pluralize": defaultfilters.pluralize,
    "slice": defaultfilters.slice_filter,
    "slugify": defaultfilters.slugify,
    "stringformat": defaultfilters.stringformat,
    "time": defaultfilters.time,
    "truncatechars": defaultfilters.truncatechars,
    "truncatewords": defaultfilters.truncatewords,
    "urlencode": defaultfilters.urlencode,
    "yesno": defaultfilters.yesno,
}
FILTERS = {
    "default": default,
    "join": join,
    "linebreaks": linebreaks,
    "linebreaksbr": linebreaksbr,
    "crispy": as_crispy_form,
    "as_crispy_field": as_crispy_field,
    "possessive": possessive,
    "logo_data_uri": logos.logo_data_uri,
}

RAG_BADGES = {
    "red": ("text-bg-danger", Markup('Red<span class="visually-hidden"> (overdue)</span>')),
    "amber": ("text-bg-warning", "Amber"),
    "green": ("text-bg-success", "Green"),
    "complete": ("text-bg-primary", "Complete"),
}
CANCELLED = ("text-bg-light border", "Cancelled")


def _badge(colour: str, words) -> Markup:
    return Markup('<span class="badge {} status-tag">{}</span>').format(colour, words)


# Drawn once: a plan draws a badge on every row.
_DRAWN_BADGES = {rag: _badge(*badge) for rag, badge in RAG_BADGES.items()}
_DRAWN_CANCELLED = _badge(*CANCELLED)


def rag_badge(rag) -> Markup:
    """An action's RAG rating as a badge: `{{ action.rag_rating|rag_badge }}`."""
    return _DRAWN_BADGES.get(rag, _DRAWN_CANCELLED)


def environment(**options) -> Environment:
    # A name that is not there is empty, and so is anything looked up on it, as in Django.
    env = Environment(**{**options, "undefined": Missing, "finalize": escaped_as_django_does})
    env.globals.update(
        url=url,
        url_or_empty=url_or_empty,
        static=static,
        form_token=form_token,
        typed_texts=typed_texts,
    )
    env.filters.update({name: DjangoFilter(function) for name, function in DJANGO_FILTERS.items()})
    env.filters.update(FILTERS, rag_badge=rag_badge)
    return env


class FilterExtension(Extension):
    """An app's own filters and functions: a subclass sets `filters` and `functions`."""

    filters: dict = {}
    functions: dict = {}

    def __init__(self, environment):
        super().__init__(environment)
        environment.filters.update(self.filters)
        environment.globals.update(self.functions)
