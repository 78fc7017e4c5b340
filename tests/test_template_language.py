"""The templates' language (maca/jinja.py): Jinja2 read by Django's rules."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.urls import NoReverseMatch
from django.utils.safestring import mark_safe

from cases.models import ChronologyEntry
from maca import jinja
from maca.once import FIELD


@pytest.fixture(autouse=True)
def _fresh_lookup_rules():
    """Each test learns afresh which kinds of object are looked up by key."""
    jinja._LOOKS_UP_KEYS.clear()
    jinja._SHAPES.clear()


def draw(source: str, **context) -> str:
    """`source` drawn by an engine built from the settings, as a server builds it."""
    params = {key: value for key, value in settings.TEMPLATES[0].items() if key != "BACKEND"}
    engine = Jinja2({**params, "NAME": "fresh"})
    return engine.from_string(source).render(context)


class Record:
    deleted = False

    def __init__(self, name="Case A"):
        self.name = name

    def label(self):
        return f"{self.name} label"

    def needs(self, argument):
        return argument

    def delete(self):
        self.deleted = True
        return "deleted"

    delete.alters_data = True

    def broken(self):
        raise TypeError("inside the method")

    @property
    def failing(self):
        raise AttributeError("inside a property")

    @property
    def missing_row(self):
        raise ObjectDoesNotExist("no such row")


class Choices:
    do_not_call_in_templates = True
    label = "Kept as it is"

    def __call__(self):
        raise AssertionError("called")


def test_a_method_is_called_without_arguments():
    assert draw("{{ r.label }}", r=Record()) == "Case A label"
    assert draw("{% if r.label %}yes{% endif %}", r=Record("")) == "yes"


def test_a_method_that_changes_data_is_never_called():
    record = Record()
    assert draw("[{{ r.delete }}]", r=record) == "[]"
    assert not record.deleted


def test_a_method_that_needs_arguments_gives_nothing():
    assert draw("[{{ r.needs }}]", r=Record()) == "[]"


def test_an_error_inside_a_method_is_not_hidden():
    with pytest.raises(TypeError, match="inside the method"):
        draw("{{ r.broken }}", r=Record())


def test_an_error_inside_a_property_is_not_hidden():
    with pytest.raises(AttributeError, match="inside a property"):
        draw("{{ r.failing }}", r=Record())


def test_what_is_marked_not_to_be_called_is_not():
    assert draw("{{ c.label }}", c=Choices()) == "Kept as it is"
    assert draw("{{ x.c.label }}", x={"c": Choices()}) == "Kept as it is"


def test_a_missing_name_or_row_is_empty_and_so_is_what_is_looked_up_on_it():
    assert draw("[{{ nothing }}|{{ nothing.at.all }}]") == "[|]"
    assert draw("[{{ r.absent }}|{{ r.absent.deeper }}]", r=Record()) == "[|]"
    assert draw("[{{ r.missing_row }}|{{ r.missing_row.name }}]", r=Record()) == "[|]"
    assert draw("{% if r.absent %}yes{% else %}no{% endif %}", r=Record()) == "no"


def test_a_key_is_looked_up_before_an_attribute_then_an_index():
    assert draw("{{ d.items }}", d={"items": "the key"}) == "the key"
    assert draw("{% for k, v in d.items %}{{ k }}={{ v }}{% endfor %}", d={"a": 1}) == "a=1"
    assert draw("{{ rows.1 }}", rows=["first", "second"]) == "second"
    assert draw("[{{ rows.5 }}]", rows=["first"]) == "[]"
    assert draw("{{ d.2 }}", d={2: "by number"}) == "by number"


def test_values_are_escaped_as_django_escapes_them():
    assert draw("{{ t }}", t="""<b>"Tom's" & co</b>""") == (
        "&lt;b&gt;&quot;Tom&#x27;s&quot; &amp; co&lt;/b&gt;"
    )
    assert draw("{{ t }}", t=mark_safe("<b>kept</b>")) == "<b>kept</b>"
    assert draw("{{ names|join(', ') }}", names=["Children's", "<Police>"]) == (
        "Children&#x27;s, &lt;Police&gt;"
    )
    assert draw("{% autoescape false %}{{ t }}{% endautoescape %}", t="Tom's <b>") == "Tom's <b>"


def test_django_filters_keep_their_meaning():
    assert draw("{{ v|default('—') }}", v="") == "—"
    assert draw("{{ v|default('—') }}", v=0) == "—"
    assert draw("{{ v|default('—') }}", v="kept") == "kept"
    assert draw("[{{ v|default }}]", v=None) == "[]"
    assert draw("{{ d|date('j F Y') }}", d=datetime.date(2026, 3, 4)) == "4 March 2026"
    assert draw("{{ n }} case{{ n|pluralize }}", n=2) == "2 cases"
    assert draw("{{ rows|slice(':2')|join(',') }}", rows=["a", "b", "c"]) == "a,b"
    assert draw("{{ t|linebreaksbr }}", t="a\n<b>") == "a<br>&lt;b&gt;"
    assert draw("{{ t|capfirst }}", t=mark_safe("<i>x</i>")) == "<i>x</i>"
    assert draw("{{ t|capfirst }}", t="tom's") == "Tom&#x27;s"
    assert draw("{{ t|lower }}", t=mark_safe("<I>X</I>")) == "<i>x</i>"
    assert draw("{{ t|lower }}", t="<I>") == "&lt;i&gt;"


def test_addresses_static_files_and_the_one_press_token():
    assert draw("{{ url('audit_detail', 7) }}") == "/audits/7/"
    assert draw("{{ url('audit_detail', pk=7) }}") == "/audits/7/"
    assert draw("[{{ url_or_empty('audit_detail', 7) }}]") == "[/audits/7/]"
    assert draw("[{{ url_or_empty('audit_detail', pk=7) }}]") == "[/audits/7/]"
    assert draw("[{{ url_or_empty('audit_detail', none.pk) }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        draw("{{ url('audit_detail', none.pk) }}")
    assert draw("{{ static('css/maca.css') }}").endswith("css/maca.css")
    token = draw("{{ form_token() }}")
    assert token.startswith(f'<input type="hidden" name="{FIELD}" value="')
    assert token != draw("{{ form_token() }}")


@pytest.mark.parametrize(
    ("rag", "badge"),
    [
        ("red", 'text-bg-danger status-tag">Red<span class="visually-hidden"> (overdue)</span>'),
        ("amber", 'text-bg-warning status-tag">Amber'),
        ("green", 'text-bg-success status-tag">Green'),
        ("complete", 'text-bg-primary status-tag">Complete'),
        ("cancelled", 'text-bg-light border status-tag">Cancelled'),
    ],
)
def test_each_rag_rating_has_its_badge(rag, badge):
    assert draw("{{ rag|rag_badge }}", rag=rag) == f'<span class="badge {badge}</span>'


def test_each_app_adds_its_own_filters_and_functions():
    entry = ChronologyEntry(date=datetime.date(2025, 1, 7), impact="high")
    assert draw("{{ e|entry_date }}", e=entry) == entry.date_label
    assert draw("{{ e|impact_badge }}", e=entry) == (
        f'<span class="badge status-tag impact-tag impact-high">{entry.get_impact_display()}</span>'
    )
    assert draw("{{ dashboard_actions is defined }}") == "True"


def named_routes(patterns=None):
    """(name, number of arguments) of every named address of MACA."""
    from django.urls import URLPattern, get_resolver

    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLPattern):
            if pattern.name:
                yield pattern.name, len(pattern.pattern.converters)
        else:
            yield from named_routes(pattern.url_patterns)


def test_every_address_by_numbers_is_the_one_django_gives():
    from django.urls import reverse

    routes = sorted(set(named_routes()))
    assert len(routes) > 100
    for name, count in routes:
        for numbers in ([3] * count, list(range(1, count + 1)), [12345678901] * count):
            try:
                expected = reverse(name, args=numbers or None)
            except NoReverseMatch:
                with pytest.raises(NoReverseMatch):
                    jinja.url(name, *numbers)
                continue
            assert jinja.url(name, *numbers) == expected, name


def test_an_address_that_is_not_numbers_alone_is_left_to_django():
    from django.urls import set_script_prefix

    assert jinja.url("audit_detail", "7") == "/audits/7/"
    with pytest.raises(NoReverseMatch):
        jinja.url("audit_detail", -7)
    with pytest.raises(NoReverseMatch):
        jinja.url("audit_detail", True)
    set_script_prefix("/maca/")
    try:
        assert jinja.url("audit_detail", 7) == "/maca/audits/7/"
    finally:
        set_script_prefix("/")
    assert jinja.url("audit_detail", 7) == "/audits/7/"


def test_dates_and_times_are_in_the_current_time_zone_as_in_django():
    from datetime import UTC, datetime

    late = datetime(2024, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in London
    assert draw("{{ d|date('j F Y, H:i') }}", d=late) == "2 July 2024, 00:30"
    assert draw("{{ d|time('H:i') }}", d=late) == "00:30"
    assert draw(r"{{ d|date('j F Y \\a\\t H:i') }}", d=late) == "2 July 2024 at 00:30"
    django = engines["django"].from_string("{{ d }}|{{ day }}|{{ n }}")
    context = {"d": late, "day": late.date(), "n": 2.5}
    assert draw("{{ d }}|{{ day }}|{{ n }}", **context) == django.render(context)


def test_a_missing_name_is_empty_to_django_filters_and_false_in_comparisons():
    assert draw("{{ nothing|date('j F Y')|default('Not set') }}") == "Not set"
    assert draw("[{{ nothing|time('H:i') }}{{ nothing|filesizeformat }}]") == "[0\xa0bytes]"
    assert draw("{{ nothing|length }}|{{ none|length }}") == "0|0"
    assert (
        draw("{% if nothing > 1 or nothing < 1 or nothing >= 1 or nothing <= 1 %}yes{% endif %}")
        == ""
    )
    assert draw("{% if nothing is defined and nothing is not none %}shown{% endif %}") == ""


def test_text_already_safe_is_not_escaped_again_by_a_django_filter():
    from markupsafe import Markup

    safe = Markup("Tom &amp; <b>Jerry</b>")
    assert draw("{{ m|lower }}", m=safe) == "tom &amp; <b>jerry</b>"
    assert draw("{{ m|linebreaksbr }}", m=safe) == "Tom &amp; <b>Jerry</b>"
    assert draw("{{ m|truncatewords(9) }}", m=safe) == "Tom &amp; <b>Jerry</b>"
    assert draw("{{ [m, 'R&D']|join(' / ') }}", m=safe) == "Tom &amp; <b>Jerry</b> / R&amp;D"


def test_an_address_by_numbers_is_worked_out_once_per_name_and_filled_in(monkeypatch):
    from django.urls import reverse

    asked = []

    def counting(name, *args, **kwargs):
        asked.append(name)
        return reverse(name, *args, **kwargs)

    monkeypatch.setattr(jinja, "reverse", counting)
    assert [jinja.url("case_detail", a, c) for a, c in ((1, 2), (30, 4), (5, 600))] == [
        "/audits/1/cases/2/",
        "/audits/30/cases/4/",
        "/audits/5/cases/600/",
    ]
    assert asked == ["case_detail"]
    assert jinja.url("audit_detail", 9) == "/audits/9/" and asked[-1] == "audit_detail"
    assert jinja.url("audit_detail", 10) == "/audits/10/" and len(asked) == 2
    assert jinja.url("audit_detail", 0) == "/audits/0/" and len(asked) == 2
    assert jinja.url("audit_detail", 1) == "/audits/1/" and len(asked) == 2
    assert jinja.url("home") == "/" and len(asked) == 3  # by name alone: worked out once too
    assert jinja.url("home") == "/" and len(asked) == 3
    assert jinja.url("audit_detail", pk=9) == "/audits/9/" and len(asked) == 4  # Django's
    assert jinja.url("audit_detail", pk=9) == "/audits/9/" and len(asked) == 5
    assert jinja._shape_of("case_detail", 9) is None  # more numbers than it has stand-ins for
