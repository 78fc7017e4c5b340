"""Reading the library: what a user may find, filtered from the URL, searched by words."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Coalesce, ExtractYear, Lower, TruncDate
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from actions.access import restrict_actions
from actions.models import Action
from cases.models import Audit, Theme
from findings.models import Tag
from maca import access
from maca.models import Agency, Partnership

from .indexing import MARK_END, MARK_START, SEARCH_CONFIGURATION
from .models import LibraryEntry

MAX_QUERY_CHARS = 200
MAX_WORDS = 12
CONTEXT_WORDS = 14


def visible_entries(user):
    """The rows of audits `user` may read through the access gate; a plan's action only while
    the plan is theirs to read (a co-ordinator: their agency's, or any once the plan is
    published with the briefing; a viewer: published with the briefing)."""
    audits = Audit.objects.visible_to(user).values("pk")
    actions = restrict_actions(Action.objects.all(), user).values("pk")
    return LibraryEntry.objects.filter(audit__in=audits).filter(
        Q(action__isnull=True) | Q(action__in=actions)
    )


def clean_query(raw: str) -> str:
    """Words as typed, capped before use, without NUL or other control characters (which the
    database refuses) and private-use characters (our highlight marks)."""
    raw = raw[: MAX_QUERY_CHARS * 4]
    kept = "".join(
        " " if unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs") else char for char in raw
    )
    return " ".join(kept.split())[:MAX_QUERY_CHARS]


# A search as a web search engine reads it: words, "a phrase", -left-out, this or that.
TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@dataclass
class WordSearch:
    """What SQLite looks for (PostgreSQL reads the same words itself): every group has one of
    its patterns, none of `left_out` is there. Each pattern is a word or phrase starting at the
    start of a word (so "neglect" finds "neglected" and "or" does not find "for"), either
    apostrophe standing for both."""

    groups: list[list[str]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    @property
    def found(self) -> list[str]:
        return [pattern for group in self.groups for pattern in group]


def word_search(query: str) -> WordSearch:
    search, either = WordSearch(), False
    for minus, phrase, bare_minus, bare in TOKEN.findall(query)[:MAX_WORDS]:
        if not phrase and bare.lower() == "or" and search.groups:
            either = True
            continue
        pattern = _pattern(phrase or bare)
        if pattern is None:
            continue
        if minus or bare_minus:
            search.left_out.append(pattern)
        elif either:
            search.groups[-1].append(pattern)
        else:
            search.groups.append([pattern])
        either = False
    return search


def _pattern(text: str) -> str | None:
    words = WORD.findall(text)
    if not words:
        return None
    escaped = ("['’]".join(_letters(part) for part in re.split("['’]", word)) for word in words)
    return r"\b" + r"\W+".join(escaped)


# Letters with a stroke, which Unicode does not write as a letter and a mark, and which
# PostgreSQL's unaccent reads as the plain letter all the same.
STROKED = {"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ƀ": "b", "ɨ": "i"}


def _without_accent(char: str) -> str:
    """A lower-case letter without its accent ("é": "e", "ø": "o"); any other as it is."""
    return STROKED.get(char) or unicodedata.normalize("NFKD", char)[0]


def _accented_letters() -> dict[str, str]:
    """Each Latin letter with the accented letters read as it ("e": é, è, ê, ë, ệ…), as
    PostgreSQL's unaccent reads them: Latin-1, Latin Extended A and B, and Latin Extended
    Additional (Vietnamese and Welsh letters)."""
    letters = {chr(code).lower() for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00))}
    accented: dict[str, str] = {}
    for char in sorted(letters):
        base = _without_accent(char)
        if base != char and base.isascii() and base.isalpha():
            accented[base] = accented.get(base, "") + char
    return accented


ACCENTED = _accented_letters()


def _letters(part: str) -> str:
    """A word as a pattern that finds it written with or without its accents (a letter of an
    alphabet the table does not hold is found as typed)."""
    pattern = []
    for char in part:
        base = _without_accent(char.lower())
        if base in ACCENTED:
            pattern.append(f"[{base}{ACCENTED[base]}{re.escape(char.lower())}]")
        else:
            pattern.append(re.escape(char))
    return "".join(pattern)


@dataclass
class LibraryFilters:
    """The library's filters as read from the URL: unknown values are dropped and named."""

    query: str = ""
    tag: Tag | None = None
    agency: Agency | None = None
    section: str = ""
    year: int | None = None
    theme: Theme | None = None
    partnership: Partnership | None = None
    ignored: list[str] = field(default_factory=list)

    @property
    def narrowed(self) -> bool:
        return any(
            (
                self.query,
                self.tag,
                self.agency,
                self.section,
                self.year,
                self.theme,
                self.partnership,
            )
        )


@dataclass
class FilterChoices:
    partnerships: list
    themes: list
    agencies: list
    tags: list
    years: list
    sections: list = field(default_factory=lambda: LibraryEntry.Section.choices)

    # (value, label) pairs for the filters' lists.
    @property
    def partnership_options(self):
        return [(p.pk, p.name) for p in self.partnerships]

    @property
    def theme_options(self):
        return [(t.pk, t.name) for t in self.themes]

    @property
    def agency_options(self):
        """Each partnership has its own agencies: with several, each is named with its own."""
        if len(self.partnerships) > 1:
            return [(a.pk, f"{a.name} ({a.partnership.name})") for a in self.agencies]
        return [(a.pk, a.name) for a in self.agencies]

    @property
    def tag_options(self):
        return [(t.slug, t.name) for t in self.tags]

    @property
    def year_options(self):
        return [(year, year) for year in self.years]


def filter_choices(user) -> FilterChoices:
    """What each filter offers: drawn from the published audits the user may read, and the tags
    from the rows they may read (five queries)."""
    published = Audit.objects.visible_to(user).filter(briefing_published_at__isnull=False)
    partnership_ids = access.memberships_of(user).partnerships
    audits = published.values("pk")
    return FilterChoices(
        partnerships=list(Partnership.objects.filter(pk__in=partnership_ids)),
        themes=list(Theme.objects.filter(audits__in=audits).distinct().order_by("name")),
        agencies=list(
            Agency.objects.filter(audits__in=audits)
            .select_related("partnership")
            .distinct()
            .order_by("name", "partnership__name")
        ),
        tags=_one_per_slug(Tag.objects.filter(pk__in=_tags_on(visible_entries(user)))),
        years=sorted(
            set(
                published.annotate(
                    year=ExtractYear(Coalesce("meeting_date", TruncDate("briefing_published_at")))
                )
                .order_by()
                .values_list("year", flat=True)
                .distinct()
            ),
            reverse=True,
        ),
    )


def _tags_on(entries):
    """The tags the rows carry, as a subquery: a tag offered must find something the reader
    may read (one made and never used, or used only where they may not look, is not shown)."""
    through = LibraryEntry.tags.through.objects.filter(libraryentry_id__in=entries.values("pk"))
    return through.values("tag_id")


def _one_per_slug(tags) -> list[Tag]:
    """Each partnership has its own learning tags; the same name has the same slug in each, and
    one choice of the filter finds the rows of every partnership that tag them so."""
    seen: dict[str, Tag] = {}
    for tag in tags:
        seen.setdefault(tag.slug, tag)
    return list(seen.values())


def read_filters(params, choices: FilterChoices) -> LibraryFilters:
    """Bind the URL's values to the choices offered; anything else is ignored, with a note."""
    filters = LibraryFilters(query=clean_query(params.get("q", "")))

    def pick(name, label, options, key):
        raw = params.get(name, "")
        if not raw:
            return None
        raw = raw[:100]
        for option in options:
            if str(key(option)) == raw:
                return option
        filters.ignored.append(f"The {label} “{clean_query(raw)}” is not one you can filter on.")
        return None

    filters.partnership = pick("partnership", "partnership", choices.partnerships, lambda o: o.pk)
    filters.theme = pick("theme", "theme", choices.themes, lambda o: o.pk)
    filters.agency = pick("agency", "agency", choices.agencies, lambda o: o.pk)
    filters.tag = pick("tag", "tag", choices.tags, lambda o: o.slug)
    section = pick("section", "section", choices.sections, lambda o: o[0])
    filters.section = section[0] if section else ""
    filters.year = pick("year", "year", choices.years, lambda o: o)
    return filters


@dataclass
class Result:
    entry: LibraryEntry
    excerpt: SafeString
    link: str
    tags: list[SafeString] = field(default_factory=list)


def search_library(user, filters: LibraryFilters):
    """The rows matching `filters`, best first when searching by words (PostgreSQL ranks by
    English stems; SQLite finds words by how they start, ignoring case), else newest first."""
    entries = visible_entries(user).select_related("theme", "agency", "partnership", "version")
    entries = entries.defer("version__html", "version__pdf", "search_vector")
    if filters.partnership:
        entries = entries.filter(partnership=filters.partnership)
    if filters.theme:
        entries = entries.filter(theme=filters.theme)
    if filters.agency:
        entries = entries.filter(agency=filters.agency)
    if filters.section:
        entries = entries.filter(section=filters.section)
    if filters.year:
        entries = entries.filter(held_on__year=filters.year)
    if filters.tag:
        entries = entries.filter(tags__slug=filters.tag.slug)
    if not filters.query.strip():
        return entries.order_by("-held_on", "audit_id", "order")
    if connection.vendor == "postgresql":
        return _postgres_search(entries, filters.query)
    search = word_search(filters.query)
    if not (search.groups or search.left_out):
        return entries.none()  # nothing that reads as a word: nothing found, as on PostgreSQL
    for group in search.groups:
        entries = entries.filter(pk__in=_rows_saying(_any_of(group)))
    for pattern in search.left_out:
        entries = entries.exclude(pk__in=_rows_saying(_any_of([pattern])))
    return entries.order_by("-held_on", "audit_id", "order")


def _any_of(patterns: list[str]) -> Q:
    """Rows whose words, or a tag's name, match any of `patterns`."""
    either = Q()
    for pattern in patterns:
        either |= Q(text__iregex=pattern) | Q(tags__name__iregex=pattern)
    return either


def _rows_saying(condition: Q):
    """The ids of the rows meeting `condition`, as a subquery: a row with several tags is
    still one row."""
    return LibraryEntry.objects.filter(condition).values("pk")


def _postgres_search(entries, query: str):
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank

    search = SearchQuery(query, config=SEARCH_CONFIGURATION, search_type="websearch")
    return (
        entries.filter(search_vector=search)
        .annotate(
            rank=SearchRank(F("search_vector"), search),
            headline=SearchHeadline(
                "text",
                search,
                config=SEARCH_CONFIGURATION,
                start_sel=MARK_START,
                stop_sel=MARK_END,
                max_words=40,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-rank", "-held_on", "audit_id", "order")
    )


def results(entries, query: str) -> list[Result]:
    """One page's rows with their words in context, the match marked, their tags (a match
    marked there too: a row may be found by its tags alone), and their link."""
    found = word_search(query).found
    entries = list(entries)
    tags: dict[int, list[str]] = {}
    through = LibraryEntry.tags.through.objects.filter(libraryentry_id__in=[e.pk for e in entries])
    rows = through.order_by(Lower("tag__name")).values_list("libraryentry_id", "tag__name")
    for entry_id, name in rows:
        tags.setdefault(entry_id, []).append(name)
    return [
        Result(
            entry,
            _excerpt(entry, found),
            _link(entry),
            [_marked_context(name, found) for name in tags.get(entry.pk, [])],
        )
        for entry in entries
    ]


def _excerpt(entry, found: list[str]) -> SafeString:
    headline = getattr(entry, "headline", None)
    if headline is not None:  # the library's text holds no marks of its own (see indexing)
        return mark_safe(
            escape(headline).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
        )
    return _marked_context(entry.text, found)


def _marked_context(text: str, found: list[str]) -> SafeString:
    """About CONTEXT_WORDS words either side of the first match, each match marked."""
    text = text.replace(MARK_START, "").replace(MARK_END, "")
    pattern = re.compile("|".join(found), re.IGNORECASE) if found else None
    start, end = 0, len(text)
    found = pattern.search(text) if pattern else None
    if found:
        before = text[: found.start()].split(" ")
        start = max(0, found.start() - len(" ".join(before[-CONTEXT_WORDS:])))
    tokens = text[start:].split(" ")
    if len(tokens) > CONTEXT_WORDS * 2 + 1:
        end = start + len(" ".join(tokens[: CONTEXT_WORDS * 2 + 1]))
    piece = text[start:end]
    marked = (
        pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_END}", piece) if pattern else piece
    )
    html = escape(marked).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(f"{prefix}{html}{suffix}")


def _link(entry) -> str:
    if entry.section == LibraryEntry.Section.ACTIONS:
        return f"{reverse('audit_actions', args=[entry.audit_id])}#{entry.anchor}"
    url = reverse("briefing_version", args=[entry.audit_id, entry.version.number])
    return f"{url}#{entry.anchor}" if entry.anchor else url
