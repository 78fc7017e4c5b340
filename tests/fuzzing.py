"""Helpers for the property-based tests in test_fuzz.py: a page's forms read from its HTML,
hostile values and files as Hypothesis strategies, and a request that reports what it wrote."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote_plus

from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import strategies as st

# Reading forms ---------------------------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # the input's type, or "textarea", "select", "button"
    values: list[str] = field(default_factory=list)  # options, a checkbox's values, the initial
    multiple: bool = False


@dataclass
class PageForm:
    action: str
    method: str
    fields: dict[str, FormField] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """Every <form> of a page with its fields (those outside it naming it by id too)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self.by_id: dict[str, PageForm] = {}
        self.current: PageForm | None = None
        self.select: FormField | None = None
        self.textarea: FormField | None = None
        self.typed: list[str] = []

    def _add(self, form, name, kind, value=None, multiple=False) -> FormField:
        found = form.fields.setdefault(name, FormField(name, kind, multiple=multiple))
        if value is not None and value not in found.values:
            found.values.append(value)
        return found

    def handle_starttag(self, tag, attrs):
        attrs = {key: value if value is not None else "" for key, value in attrs}
        if tag == "form":
            self.current = PageForm(attrs.get("action", ""), attrs.get("method", "get").lower())
            self.forms.append(self.current)
            if attrs.get("id"):
                self.by_id[attrs["id"]] = self.current
            return
        form = self.by_id.get(attrs["form"]) if attrs.get("form") else self.current
        name = attrs.get("name")
        if form is None or not name:
            return
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                self._add(form, name, kind, attrs.get("value", "on"), multiple=kind == "checkbox")
            elif kind not in ("submit", "reset", "image"):
                self._add(form, name, kind, attrs.get("value", ""))
            elif attrs.get("value"):
                self._add(form, name, "button", attrs["value"])
        elif tag == "button":
            self._add(form, name, "button", attrs.get("value", ""))
        elif tag == "select":
            self.select = self._add(form, name, "select", multiple="multiple" in attrs)
        elif tag == "textarea":
            self.textarea = self._add(form, name, "textarea")
            self.typed = []
        elif tag == "option" and self.select is not None:
            self.select.values.append(attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            text = "".join(self.typed).removeprefix("\r\n").removeprefix("\n")
            if text and not self.textarea.values:
                self.textarea.values.append(text)
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.typed.append(data)


def page_forms(html: str) -> list[PageForm]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


# Hostile values ---------------------------------------------------------------------------------

MISSING = object()  # the field is left out of the request altogether


class Long(str):
    """A long text that Hypothesis and failure messages show by its length, not in full."""

    def __repr__(self):
        return f"Long({str.__repr__(self[:12])} … {len(self):,} characters)"


HOSTILE_TEXT = [
    "",
    " ",
    " \t\r\n ",
    "\x00",
    "before\x00after",
    "\x01\x02\x03\x07\x08\x0b\x0c\x0e\x1b[31m\x7f",
    "\u0085\u2028\u2029\u200b\u00a0",
    "\u202eexe.txt\u202c",
    "مرحبا بالعالم",
    "שלום עולם",
    "👩🏽‍⚕️🧒🏿🏳️‍🌈",
    "e" + "\u0301" * 60,
    "Z\u0351\u0352\u0353\u0354a\u0355\u0356l\u0357\u0358g\u0359o",
    "\ufeffbyte order mark",
    "\ufffe\uffff\U0010ffff",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ＦＵＬＬＷＩＤＴＨ",
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "javascript:alert(document.cookie)",
    "'; DROP TABLE cases_case; --",
    '" OR 1=1 --',
    "%' OR '1'='1",
    '=HYPERLINK("https://example.invalid","open")',
    "+SUM(1,1)",
    "-2+3",
    "@SUM(A1:A2)",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "{{ request.user }}",
    "{% debug %}",
    "${7*7}",
    "%s%d%n%x",
    "../../../../etc/passwd",
    "C:\\Windows\\win.ini",
    "null",
    "None",
    "[]",
    "{}",
    Long("A" * 100_000),
    Long("é" * 60_000),
    Long("😀" * 30_000),
    Long("\x00" * 1000),
    Long("a\r\nb\rc\n" * 5_000),
]
HOSTILE_NUMBERS = [
    "-1",
    "0",
    "-0",
    "1.5",
    "1e3",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "9" * 20,
    "-" + "9" * 20,
    "9" * 5000,
    "0x1F",
    "1_000",
    "٣",
    "１２",
    " 7 ",
    "7abc",
    "2147483648",
    "9223372036854775808",
    "18446744073709551616",
]
HOSTILE_DATES = [
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2026-01-01",
    "31/02/2026",
    "29/02/2023",
    "31/12/9999",
    "1/1/1",
    "2026/01/01",
    "20260101",
    "today",
    "2026-01-01T25:61:61",
    "٢٠٢٦-٠١-٠١",
    "1899-12-31",
    "2101-01-01",
]
HOSTILE_IDS = [
    "0",
    "-1",
    "1.0",
    "1e2",
    " 1",
    "1 OR 1=1",
    "2147483648",
    "9223372036854775808",
    "99999999999999999999",
]
JUNK_NAMES = [
    "id",
    "pk",
    "audit",
    "partnership",
    "status",
    "created_by",
    "is_superuser",
    "order",
    "csrfmiddlewaretoken",
    "__proto__",
    "a[b]",
    "x" * 300,
    "\u202ename",
]
TEXT_KINDS = {"text", "textarea", "email", "search", "url", "tel", "number", "date", "password"}

printable_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
hostile_text = st.one_of(st.sampled_from(HOSTILE_TEXT), printable_text)
hostile_scalar = st.one_of(
    hostile_text,
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_DATES),
    st.sampled_from(HOSTILE_IDS),
)


def field_values(form_field: FormField, foreign_ids: list[str]) -> st.SearchStrategy:
    """What to send for one field: what the page offered first (so that other fields' checks
    pass and the hostile value reaches deep), then hostile values, nothing, or repeats."""
    offered = [value for value in form_field.values if value is not None]
    if form_field.kind == "file":
        single = uploads()
    else:
        ids = st.sampled_from(foreign_ids + HOSTILE_IDS) if foreign_ids else st.nothing()
        single = st.one_of(
            st.sampled_from(offered) if offered else st.just(""),
            hostile_scalar,
            ids,
        )
    return st.one_of(
        single,
        st.just(MISSING),
        st.lists(single, min_size=2, max_size=4),
    )


@st.composite
def form_data(draw, fields: dict[str, FormField], foreign_ids: list[str]) -> dict:
    """A POST for a form: each field kept, made hostile, left out or repeated; and some junk."""
    data = {}
    for name, form_field in fields.items():
        if name == "csrfmiddlewaretoken":
            continue
        value = draw(field_values(form_field, foreign_ids), label=name)
        if value is not MISSING:
            data[name] = value
    junk = draw(
        st.dictionaries(st.sampled_from(JUNK_NAMES), hostile_scalar, max_size=2), label="junk"
    )
    for name, value in junk.items():
        data.setdefault(name, value)
    return data


# Hostile files ----------------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_HEADINGS = ["Date", "Event", "Source agency", "Impact", "Action taken"]
HOSTILE_NAMES = [
    ".csv",
    "no-extension",
    "../../../etc/passwd.csv",
    "C:\\fakepath\\chronology.csv",
    "chronology.CSV",
    "chronology.csv.exe",
    "chronology.pdf",
    "notes.docx",
    "photo.png",
    "x" * 300 + ".csv",
    "évènement ünïcode 👩.xlsx",
    "\u202egpj.csv",
    "tab\tname.csv",
]
GOOD_CELLS = {
    "date": st.one_of(
        st.sampled_from(["23/11/2026", "11/2026", "2026", "November 2026", "3rd Jan 2025"]),
        st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date.today()).map(
            lambda day: day.strftime("%d/%m/%Y")
        ),
    ),
    "event": st.one_of(
        st.sampled_from(["Home visit; the home was cold.", "Strategy meeting held."]),
        st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=100),
    ),
    "source": st.sampled_from(["", "Health visiting", "Police", "Школа №1"]),
    "impact": st.sampled_from(["", "negative", "Positive", " neutral ", "unknown"]),
    "action": st.sampled_from(["", "Referred the same day.", "None."]),
}
BAD_CELL = st.one_of(
    st.sampled_from([t for t in HOSTILE_TEXT if len(t) < 1000]),
    st.sampled_from(HOSTILE_DATES + HOSTILE_NUMBERS),
    st.sampled_from(["", "maybe", Long("x" * 10_001), Long("y" * 201)]),
    printable_text,
)
HEADINGS = st.one_of(
    st.just(TEMPLATE_HEADINGS),
    st.just(TEMPLATE_HEADINGS),
    st.just(TEMPLATE_HEADINGS),
    st.permutations(TEMPLATE_HEADINGS),
    st.lists(
        st.sampled_from(
            TEMPLATE_HEADINGS
            + ["date", "EVENT*", "What happened", "Impact on the child", "Notes", "", "Date:"]
        ),
        max_size=7,
    ),
)


@st.composite
def _row(draw, headings: list[str], clean: bool) -> list:
    """A row under `headings`: every cell a good one when `clean`, else now and then a bad one,
    and now and then a cell beyond the last column."""
    keys = {"date": "date", "event": "event", "source agency": "source", "impact": "impact"}
    row = []
    for heading in headings:
        good = GOOD_CELLS[keys.get(heading.lower(), "action")]
        row.append(draw(good if clean else st.one_of(good, good, good, BAD_CELL)))
    if not clean and draw(st.integers(0, 4)) == 4:
        row.append(draw(BAD_CELL))
    return row


@st.composite
def chronology_rows(draw) -> tuple[list[list], bool]:
    """The rows of a structured chronology, headings first; and whether every cell is good."""
    clean = draw(st.booleans(), label="clean")
    headings = list(draw(st.just(TEMPLATE_HEADINGS) if clean else HEADINGS, label="headings"))
    rows = draw(st.lists(_row(headings, clean), max_size=5), label="rows")
    return [headings, *rows], clean


@st.composite
def csv_bytes(draw) -> bytes:
    rows, _ = draw(chronology_rows())
    delimiter = draw(st.sampled_from([",", ",", ",", ";", "\t", "|"]), label="delimiter")
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]), label="newline")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    text = buffer.getvalue()
    if draw(st.integers(0, 9), label="unbalanced quote") == 9:
        text = text.replace(",", ',"', 1)
    encoding = draw(
        st.sampled_from(
            ["utf-8", "utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "shift_jis"]
        ),
        label="encoding",
    )
    return text.encode(encoding, errors="replace")


# Characters XML 1.0 (and so an XLSX) cannot hold at all.
_ILLEGAL_XML = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF])

XLSX_CELLS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=datetime.date(1900, 3, 1)),
    st.datetimes(min_value=datetime.datetime(1900, 3, 1)),
    st.booleans(),
    st.none(),
    st.sampled_from(["=1+1", "=NOW()", '=HYPERLINK("https://example.invalid")', "=1/0"]),
)


def _xlsx_cell(value):
    if isinstance(value, str):
        return value.translate(_ILLEGAL_XML)[:32_000]
    return value


@st.composite
def xlsx_bytes(draw) -> bytes:
    from openpyxl import Workbook

    rows, clean = draw(chronology_rows())
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(rows[0])
    for row in rows[1:]:
        if not clean:  # cells of other types: numbers, dates, booleans, formulas, blanks
            row = [draw(st.one_of(st.just(cell), st.just(cell), XLSX_CELLS)) for cell in row]
        sheet.append([_xlsx_cell(cell) for cell in row])
    number_format = draw(st.sampled_from(["General", "@", "mm/yyyy", "yyyy", "dd/mm/yyyy"]))
    for row in sheet.iter_rows(min_row=2, max_col=1):
        for cell in row:
            cell.number_format = number_format
    if draw(st.booleans(), label="second sheet"):
        workbook.create_sheet("Other").append(["Date", "Event"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    raw = buffer.getvalue()
    damages = ["none"] if clean else ["none", "none", "none", "truncate", "flip"]
    damage = draw(st.sampled_from(damages), label="damage")
    if damage == "truncate":
        raw = raw[: _place_in(raw, draw)]
    elif damage == "flip":
        at = _place_in(raw, draw)
        raw = raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :]
    return raw


def _place_in(raw: bytes, draw) -> int:
    """A byte of `raw`, drawn as a share of its length rather than as a number up to it: a
    workbook records the second it was saved, so its length can differ by a byte when Hypothesis
    draws the same example again, and a draw must not depend on that."""
    return len(raw) * draw(st.integers(0, 9_999), label="place") // 10_000


OTHER_CONTENT = st.one_of(
    st.binary(max_size=2048),
    st.sampled_from(
        [
            b"",
            b"\x00" * 64,
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 32,
            b"\xff\xd8\xff\xe0" + b"\x00" * 32,
            b"PK\x03\x04" + b"\x00" * 60,
            b"MZ\x90\x00" + b"\x00" * 60,
            b"\xef\xbb\xbf",
            b"\xff\xfe" + "Date,Event\n".encode("utf-16-le"),
            b"Date,Event\n23/11/2026,\xff\xfe\xfa\n",
            b"<html><script>alert(1)</script></html>",
            b"Date,Event\n" + b"23/11/2026,x\n" * 6000,
        ]
    ),
)


@st.composite
def uploads(draw) -> SimpleUploadedFile:
    """A file: a structured chronology as CSV or XLSX, or something else, mostly named for what
    it holds; now and then named for something else, or oddly."""
    kind = draw(st.sampled_from(["csv", "xlsx", "other"]), label="kind")
    made = {"csv": csv_bytes(), "xlsx": xlsx_bytes(), "other": OTHER_CONTENT}[kind]
    raw = draw(made, label="content")
    matching = st.sampled_from(
        {"csv": ["chronology.csv", "rows.txt"], "xlsx": ["rows.xlsx"]}.get(
            kind, ["chronology.pdf", "photo.png", "notes.docx"]
        )
    )
    name = draw(
        st.one_of(matching, matching, matching, st.sampled_from(HOSTILE_NAMES)), label="name"
    )
    content_type = draw(st.sampled_from(["text/csv", XLSX_TYPE, "application/octet-stream"]))
    return SimpleUploadedFile(name, raw, content_type=content_type)


# Asking ------------------------------------------------------------------------------------------

WRITES = ("INSERT", "UPDATE", "DELETE")


def row_counts() -> tuple:
    """The number of rows of every table of every installed model, in one query."""
    quote = connection.ops.quote_name
    tables = sorted(
        {model._meta.db_table for model in apps.get_models(include_auto_created=True)}
        & set(connection.introspection.table_names())
    )
    # The models' own tables, quoted: nothing typed reaches this query.
    parts = [f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables]  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}")
        return tuple(zip(tables, cursor.fetchone(), strict=True))


@dataclass
class Answer:
    status: int
    location: str
    content: bytes
    writes: list[str]
    counts_changed: dict[str, int]  # table: rows added (or removed, below 0)
    messages: list
    error: str = ""
    follow_status: int | None = None

    @property
    def crashed(self) -> bool:
        return bool(self.error) or self.status >= 500 or (self.follow_status or 0) >= 500


def ask(client: Client, url: str, data=None, *, quiet_tables=(), follow=False, **extra) -> Answer:
    """POST inside a savepoint that is rolled back: the answer, every write to a table outside
    `quiet_tables` (and the session table, the access log, which records a form shown again
    with its errors as a look, and the record of a press, which a refused press takes back:
    maca/once.py), and which tables' row counts changed. With `follow`, a redirect is followed
    with a GET, to see that what was saved can be shown."""
    quiet = ("django_session", "maca_accesslogentry", "maca_usedformtoken", *quiet_tables)
    cookies = client.cookies
    client.cookies = type(cookies)()
    client.cookies.update(cookies)
    try:
        with transaction.atomic():
            reset_queries()  # the log keeps 9,000 queries; a long run would overflow it
            before = row_counts()
            with CaptureQueriesContext(connection) as queries:
                if isinstance(data, bytes):  # already encoded, in whatever charset
                    response = client.generic("POST", url, data, **extra)
                else:
                    response = client.post(url, data if data is not None else {}, **extra)
            writes = [
                q["sql"][:160]
                for q in queries.captured_queries
                if q["sql"].lstrip().upper().startswith(WRITES)
                and not any(table in q["sql"] for table in quiet)
            ]
            after = row_counts()
            changed = {
                table: m - n
                for (table, n), (_, m) in zip(before, after, strict=True)
                if n != m and not table.startswith(quiet)
            }
            storage = getattr(response.wsgi_request, "_messages", None)
            queued = list(getattr(storage, "_queued_messages", []))
            follow_status = None
            if follow and response.status_code == 302:
                follow_status = client.get(response["Location"]).status_code
            transaction.set_rollback(True)
    except Exception as error:  # a 500: shown with the request that caused it
        return Answer(500, "", b"", [], {}, [], error=f"{type(error).__name__}: {error}"[:2000])
    finally:
        client.cookies = cookies
    return Answer(
        response.status_code,
        response.get("Location", ""),
        response.content if not getattr(response, "streaming", False) else b"",
        writes,
        changed,
        queued,
        follow_status=follow_status,
    )


def describe(data: dict) -> str:
    """A short account of a POST for failure messages (long values cut)."""

    def cut(value):
        if isinstance(value, SimpleUploadedFile):
            return f"<file {value.name!r}, {value.size} bytes>"
        if isinstance(value, list):
            return [cut(item) for item in value]
        text = repr(value)
        return text if len(text) < 80 else text[:60] + f"…({len(value)} chars)"

    return repr({name: cut(value) for name, value in data.items()})


# Odd encodings -----------------------------------------------------------------------------------

CHARSETS = [
    None,
    None,
    None,
    "utf-8",
    "latin-1",
    "cp1252",
    "utf-16",
    "shift_jis",
    "no-such-charset",
]


def urlencoded(data: dict, charset: str) -> bytes:
    """A form body as a browser would send it in `charset`, with a few undecodable bytes."""
    pairs = []
    for name, values in data.items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append((name, str(value)))
    codec = charset if charset != "no-such-charset" else "utf-8"
    body = "&".join(
        quote_plus(name.encode(codec, errors="replace"))
        + "="
        + quote_plus(value.encode(codec, errors="replace"))
        for name, value in pairs
    )
    return (body + "&%ff%fe=%c3%28&%00=%00&=&&").encode("ascii")


# Audit packages (maca-audit/1) -------------------------------------------------------------------


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy) -> st.SearchStrategy:
    """Usually `good`, now and then `bad`."""
    return st.one_of(good, good, good, bad)


GOOD_NAMES = st.sampled_from(
    ["Police", "police", " POLICE ", "Housing", "Straße", "STRASSE", "İstanbul Council"]
    + ["ß", "SS", "Early Help", "Children's Social Care"]
)
BAD_NAMES = st.one_of(st.sampled_from(["", " ", "Agency\x00", "x" * 201]), hostile_text)
GOOD_TAGS = st.sampled_from(
    ["voice of the child", "Voice-of-the-child", "voice_of_the_child", "VOICE OF THE CHILD"]
    + ["!!!", "???", "Свобода", "自由", "drift & delay", "drift delay"]
)
BAD_TAGS = st.sampled_from(["", " ", "x" * 101, "tag\x00", "\ud800"])
GOOD_LABELS = st.sampled_from(["Case 1", "Case 1 ", "case 1", "Case 2", "Case 3", "CASE 3"])
BAD_LABELS = st.one_of(st.sampled_from([" ", "", "x" * 51, "Case\x003"]), hostile_text)
GOOD_TEXTS = st.one_of(
    st.sampled_from(["Quick referral.", "No plan.", "Share plans."]),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=200),
)
# Lone surrogates cannot be sent in a form, but a JSON file can hold them ("\ud800").
BAD_TEXTS = st.one_of(
    st.sampled_from([" ", "\x00", "a\ud800b", "\udfff", Long("A" * 100_000)]), hostile_text
)
GOOD_DATES = st.one_of(st.dates().map(datetime.date.isoformat), st.none())
BAD_DATES = st.sampled_from(["2026-02-30", "20260304", "2026-W10-3", "", *HOSTILE_DATES])
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    st.just(0.0),
    st.just(1.0),
    hostile_text,
    st.just([]),
    st.just({}),
    st.just([[[[[]]]]]),
)


def packages(hostile: bool) -> st.SearchStrategy:
    """Packages of the schema's shape: with `hostile`, any value may be a bad one; without,
    every value is one the schema allows (duplicate labels, clashing names and tags aside)."""

    def pick(good, bad):
        return mostly(good, bad) if hostile else good

    names, tags, labels = (
        pick(GOOD_NAMES, BAD_NAMES),
        pick(GOOD_TAGS, BAD_TAGS),
        pick(GOOD_LABELS, BAD_LABELS),
    )
    texts, dates = pick(GOOD_TEXTS, BAD_TEXTS), pick(GOOD_DATES, BAD_DATES)
    anything = ANYTHING if hostile else st.booleans()

    def item(extra=None):
        return st.fixed_dictionaries(
            {"text": texts},
            optional={
                "agency": st.none() | names,
                "tags": st.lists(tags, max_size=3),
                **(extra or {}),
            },
        )

    return st.fixed_dictionaries(
        {
            "format": st.just("maca-audit/1"),
            "theme": st.fixed_dictionaries({"name": names}, optional={"description": texts}),
            "cases": st.lists(
                st.fixed_dictionaries(
                    {"label": labels},
                    optional={
                        "strengths": st.lists(item(), max_size=2),
                        "findings": st.lists(item(), max_size=2),
                    },
                ),
                min_size=1,
                max_size=3,
            ),
        },
        optional={
            "partnership": names,
            "title": texts,
            "meeting_date": dates,
            "protective_marking": texts,
            "status": st.sampled_from(["closed", "reporting", "draft", "archived", ""]),
            "include_good_practice": anything,
            "briefing": st.fixed_dictionaries(
                {},
                optional={
                    "theme_and_cases": st.lists(texts, max_size=2),
                    "process": st.lists(texts, max_size=2),
                    "headings": st.dictionaries(
                        st.sampled_from(["strengths", "findings", "process", "good_practice"]),
                        texts,
                        max_size=2,
                    ),
                },
            ),
            "agencies": st.lists(
                st.fixed_dictionaries(
                    {"name": names},
                    optional={"sector": st.sampled_from(["police", "Health", "", "space"])},
                ),
                max_size=3,
            ),
            "good_practice": st.lists(item(), max_size=2),
            "recommendations": st.lists(item({"cases": st.lists(labels, max_size=2)}), max_size=2),
            "actions": st.lists(
                st.fixed_dictionaries(
                    {"text": texts},
                    optional={
                        "recommendation": st.one_of(
                            st.none(),
                            st.integers(0 if not hostile else -1, 3),
                            st.sampled_from([0.0, 1.0, 10**30, True, "0"] if hostile else [0.0]),
                        ),
                        "owner_agency": st.none() | names,
                        "lead": st.none() | texts,
                        "due_date": dates,
                        "status": st.sampled_from(
                            ["not_started", "in_progress", "complete", "cancelled"]
                            + (["done"] if hostile else [])
                        ),
                        "updates": st.lists(
                            st.fixed_dictionaries({"date": dates, "text": texts}), max_size=2
                        ),
                        "intended_outcome": texts,
                        "outcome_statement": texts,
                        "cancel_reason": texts,
                        "at_risk": anything,
                    },
                ),
                max_size=2,
            ),
        },
    )


PACKAGE = st.one_of(packages(hostile=False), packages(hostile=True))


@st.composite
def mutated(draw, value, path="$"):
    """`value` with, here and there, a wrong type, a key gone, an extra key or a repeat."""
    change = draw(st.integers(0, 60), label=f"change at {path}")  # 0-56: as it is
    if change == 57:
        return draw(ANYTHING, label=f"wrong value at {path}")
    if isinstance(value, dict):
        out = {key: draw(mutated(item, f"{path}.{key}")) for key, item in value.items()}
        if change == 58 and out:
            out.pop(draw(st.sampled_from(sorted(out))), None)
        elif change == 59:
            out[draw(st.sampled_from(["extra", "id", "__proto__", "format"]))] = draw(ANYTHING)
        return out
    if isinstance(value, list):
        out = [draw(mutated(item, f"{path}[{i}]")) for i, item in enumerate(value)]
        if change == 60 and out:
            out.append(out[0])
        return out
    return value


@st.composite
def package_bytes(draw) -> bytes:
    """An audit package as a file: made from the schema's shape, then damaged."""
    import json

    package = draw(PACKAGE, label="package")
    if draw(st.booleans(), label="mutate"):
        package = draw(mutated(package), label="mutated")
    text = json.dumps(package, ensure_ascii=draw(st.booleans(), label="ascii"))
    raw = text.encode("utf-8", errors="surrogatepass")
    damage = draw(
        mostly(
            st.just("none"),
            st.sampled_from(
                [
                    "bom",
                    "utf-16",
                    "latin-1",
                    "truncate",
                    "garbage",
                    "deep",
                    "huge number",
                    "nan",
                    "duplicate key",
                ]
            ),
        ),
        label="damage",
    )
    if damage == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif damage == "utf-16":
        raw = text.encode("utf-16", errors="surrogatepass")
    elif damage == "latin-1":
        raw = text.encode("latin-1", errors="replace") + b"\xe9\xff"
    elif damage == "truncate":
        raw = raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    elif damage == "garbage":
        raw = draw(st.binary(max_size=200))
    elif damage == "deep":
        depth = draw(st.sampled_from([100, 5_000, 200_000]))
        raw = b'{"format": "maca-audit/1", "theme": ' + b"[" * depth + b"]" * depth + b"}"
    elif damage == "huge number":
        raw = raw.replace(b'"cases"', b'"n": ' + b"9" * 5000 + b', "cases"', 1)
    elif damage == "nan":
        raw = raw.replace(b'"cases"', b'"meeting_date": NaN, "x": -Infinity, "cases"', 1)
    elif damage == "duplicate key":
        raw = raw.replace(b'"cases"', b'"format": "maca-audit/9", "cases"', 1)
    return raw
