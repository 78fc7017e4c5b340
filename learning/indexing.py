"""Writing the library: what a published version holds, as rows, replacing the audit's last."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Subquery, TextField, Value
from django.db.models.functions import Coalesce

from actions.models import Action
from cases.models import Audit
from findings.models import (
    BriefingVersion,
    Finding,
    GoodPractice,
    MeetingRecord,
    Recommendation,
    Strength,
)
from findings.publishing import unchanged_since
from findings.selectors import briefing_sections

from .models import LibraryEntry

# Private-use characters that mark a match in a search's headline (see search.py).
MARK_START, MARK_END = "\ue000", "\ue001"

Section = LibraryEntry.Section
ITEM_SECTIONS = {
    "strengths": Section.STRENGTHS,
    "findings": Section.FINDINGS,
    "good_practice": Section.GOOD_PRACTICE,
    "recommendations": Section.RECOMMENDATIONS,
}


def index_published_version(sender=None, *, version: BriefingVersion, **kwargs) -> None:
    """Receiver of `briefing_published`: runs in the publishing transaction."""
    library_index_version(version=version)


@transaction.atomic
def library_index_version(*, version: BriefingVersion) -> int:
    """Replace the audit's rows with the items of `version`, read as it is published (the
    briefing's sections, the learning summary, the plan's actions when it went out with it).
    Case packs, chronologies, audit-tool answers, identifiers and meeting notes are never read.
    Called only while the audit reads as `version` went out: in the publishing transaction, or
    once `library_rebuild` has checked that it does."""
    audit = Audit.objects.select_related("theme", "partnership").get(pk=version.audit_id)
    return _replace_rows(audit, version, _current_rows(audit, version))


def _current_rows(audit, version) -> list[tuple[LibraryEntry, tuple[type, int]]]:
    """The library's rows of the audit's texts as they are now, each with the record whose
    text it is (model, pk)."""
    common = {
        "version": version,
        "audit": audit,
        "partnership_id": audit.partnership_id,
        "theme_id": audit.theme_id,
        "held_on": audit.meeting_date or version.published_at.date(),
    }
    rows = []

    def add(section, text, source, *, case_label="", agency_id=None, anchor="", **more):
        if not text.strip():
            return
        entry = LibraryEntry(
            section=section,
            text=_unmarked(text),
            case_label=case_label,
            agency_id=agency_id,
            anchor=anchor,
            order=len(rows),
            **common,
            **more,
        )
        rows.append((entry, source))

    record = MeetingRecord.objects.filter(audit=audit).first()
    if record:
        add(Section.LEARNING_SUMMARY, record.learning_summary, (MeetingRecord, record.pk))
    sections = [s for s in briefing_sections(audit) if s.key in ITEM_SECTIONS]
    records = _item_records(row for section in sections for row in _section_rows(section))
    for section in sections:
        kind = ITEM_SECTIONS[section.key]
        for group in section.case_groups:
            for row in group.items:
                item = records[(row.kind, row.pk)]
                add(
                    kind,
                    row.text,
                    _source(item),
                    case_label=group.case.label,
                    **_item_fields(section, item),
                )
        for row in section.items:
            labels = (
                ", ".join(c.label for c in row.case_list) if kind == Section.RECOMMENDATIONS else ""
            )
            item = records[(row.kind, row.pk)]
            add(
                kind, row.text, _source(item), case_label=labels[:50], **_item_fields(section, item)
            )
    if audit.plan_published_at:
        for action in Action.objects.filter(audit=audit).order_by("order", "pk"):
            add(
                Section.ACTIONS,
                action.text,
                (Action, action.pk),
                agency_id=action.owner_agency_id,
                anchor=f"action-{action.pk}",
                action=action,
            )
    return rows


def _replace_rows(audit, version, rows) -> int:
    LibraryEntry.objects.filter(audit=audit).delete()
    created = LibraryEntry.objects.bulk_create(entry for entry, _ in rows)
    tagged = [source for _, source in rows if source[0] in TAGGED_MODELS]
    tags_of = _tags_of(tagged)
    Through = LibraryEntry.tags.through
    Through.objects.bulk_create(
        Through(libraryentry_id=entry.pk, tag_id=tag_id)
        for entry, (_, source) in zip(created, rows, strict=True)
        for tag_id in tags_of.get(source, ())
    )
    update_search_vectors(LibraryEntry.objects.filter(audit=audit))
    return len(created)


def _unmarked(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


def _source(item) -> tuple[type, int]:
    return type(item), item.pk


ITEM_MODELS = {
    "strength": Strength,
    "finding": Finding,
    "goodpractice": GoodPractice,
    "recommendation": Recommendation,
}
TAGGED_MODELS = tuple(ITEM_MODELS.values())
# The field of each indexed record that the library holds.
INDEXED_FIELD = {
    MeetingRecord: "learning_summary",
    Action: "text",
    **dict.fromkeys(TAGGED_MODELS, "text"),
}


def _section_rows(section):
    for group in section.case_groups:
        yield from group.items
    yield from section.items


def _item_records(rows) -> dict[tuple[str, int], object]:
    """The briefing's item rows as their records (for their agency and tags): one query a kind."""
    wanted: dict[str, list[int]] = {}
    for row in rows:
        wanted.setdefault(row.kind, []).append(row.pk)
    return {
        (kind, record.pk): record
        for kind, pks in wanted.items()
        for record in ITEM_MODELS[kind].objects.filter(pk__in=pks).only("pk", "agency_id")
    }


def _item_fields(section, item) -> dict:
    return {"agency_id": item.agency_id, "anchor": f"{section.key}-{item.pk}"}


def _tags_of(sources) -> dict[tuple[type, int], list[int]]:
    """(model, pk) -> tag ids, one query per kind of item."""
    by_model: dict[type, list[int]] = {}
    for model, pk in sources:
        by_model.setdefault(model, []).append(pk)
    tags: dict[tuple[type, int], list[int]] = {}
    for model, pks in by_model.items():
        Through = model.tags.through
        owner = f"{model._meta.model_name}_id"
        for owner_id, tag_id in Through.objects.filter(**{f"{owner}__in": pks}).values_list(
            owner, "tag_id"
        ):
            tags.setdefault((model, owner_id), []).append(tag_id)
    return tags


# English stemming of words read without their accents (learning/migrations/0004).
SEARCH_CONFIGURATION = "maca_english"


def update_search_vectors(entries) -> None:
    """PostgreSQL: the English-stemmed vector of each row's words and, weighing less, of its
    tags' names (a finding tagged "voice of the child" is found by those words), read without
    their accents (SEARCH_CONFIGURATION)."""
    if connection.vendor != "postgresql":
        return
    from django.contrib.postgres.aggregates import StringAgg
    from django.contrib.postgres.search import SearchVector

    names = (
        LibraryEntry.tags.through.objects.filter(libraryentry_id=OuterRef("pk"))
        .values("libraryentry_id")
        .annotate(names=StringAgg("tag__name", " "))
        .values("names")
    )
    entries.update(
        search_vector=SearchVector("text", config=SEARCH_CONFIGURATION, weight="A")
        + SearchVector(
            Coalesce(Subquery(names), Value(""), output_field=TextField()),
            config=SEARCH_CONFIGURATION,
            weight="B",
        )
    )


def library_rebuild() -> tuple[int, int]:
    """Index every audit's latest published version again (after an upgrade that added the
    library: versions published before it were not indexed). A version's rows are kept when
    each reads as its record (the learning summary, an item, an action) did when the version was
    published: rows written by an earlier rebuild, which read those records as they were at the
    time, may hold words never published. Any other version is read from the audit as it is now,
    so it goes in only when every text the library would hold reads as it did when the version
    was published: the briefing's page, and the learning summary and each item and action as
    their history held them then. An audit changed since is left out, without the rows of that
    version: what it holds now has not been published, nor checked for a child's details.
    Publishing it again puts it in. Returns the items indexed and the audits left out."""
    count = left_out = 0
    latest = _latest_versions()
    indexed = dict(
        LibraryEntry.objects.filter(version__in=latest.values("pk"))
        .values_list("version_id")
        .annotate(rows=Count("pk"))
        .order_by()
    )
    for version in latest.select_related("audit").defer("html", "pdf").order_by("audit_id"):
        kept = indexed.get(version.pk, 0)
        if kept and _rows_read_as_published(version):
            update_search_vectors(LibraryEntry.objects.filter(version=version))
            count += kept
        elif unchanged_since(version.audit) is not None and _reads_as_published(version):
            count += library_index_version(version=version)
        else:
            if kept:
                LibraryEntry.objects.filter(version=version).delete()
            left_out += 1
    return count, left_out


def _latest_versions():
    """Each audit's latest published version, as one query (however many audits there are)."""
    later = BriefingVersion.objects.filter(
        audit_id=OuterRef("audit_id"), number__gt=OuterRef("number")
    )
    return BriefingVersion.objects.filter(~Exists(later))


def _rows_read_as_published(version) -> bool:
    """Whether each row the library holds of `version` is the text its record held when the
    version was published (a constant number of queries, however many rows)."""
    rows = list(
        LibraryEntry.objects.filter(version=version).values_list(
            "section", "anchor", "action_id", "text"
        )
    )
    # Back-dated, the texts are checked as never changed since written, whenever that was.
    moment = None if _dated_before_its_audit(version) else version.published_at
    summary_id = None
    if any(section == Section.LEARNING_SUMMARY for section, *_ in rows):
        summary_id = _meeting_record_id(version.audit_id, moment)
    sources = [_source_of_row(summary_id, *row[:3]) for row in rows]
    if None in sources:
        return False
    published = _texts_as_of(sources, moment) if moment else _texts_never_changed(sources)
    return all(
        _unmarked(published.get(source) or "") == text
        for source, (*_, text) in zip(sources, rows, strict=True)
    )


def _dated_before_its_audit(version) -> bool:
    """A past briefing brought in from a package is dated from its meeting, before the import
    made its audit and records: their history does not reach back to that date."""
    return version.published_at < version.audit.created_at


ITEM_MODEL_OF_SECTION = {
    Section.STRENGTHS: Strength,
    Section.FINDINGS: Finding,
    Section.GOOD_PRACTICE: GoodPractice,
    Section.RECOMMENDATIONS: Recommendation,
}


def _source_of_row(summary_id, section, anchor, action_id) -> tuple[type, int] | None:
    """The record (model, pk) whose text a row holds: the meeting record `summary_id` (the
    audit's when the version was published), the item its anchor names, or its action."""
    if section == Section.LEARNING_SUMMARY:
        return None if summary_id is None else (MeetingRecord, summary_id)
    if section == Section.ACTIONS:
        return None if action_id is None else (Action, action_id)
    model = ITEM_MODEL_OF_SECTION.get(section)
    prefix, _, pk = anchor.rpartition("-")
    if model is None or prefix != section or not (pk.isascii() and pk.isdecimal()):
        return None
    return model, int(pk)


def _meeting_record_id(audit_id, moment) -> int | None:
    """The audit's meeting record as it was at `moment` (any time, when None); the one it has,
    when that was last saved before its history was kept."""
    history = MeetingRecord.history.filter(audit_id=audit_id)
    if not history.exists():
        return MeetingRecord.objects.filter(audit_id=audit_id).values_list("id", flat=True).first()
    if moment is not None:
        history = history.filter(history_date__lte=moment)
    return history.order_by("-history_date", "-history_id").values_list("id", flat=True).first()


def _reads_as_published(version) -> bool:
    """Whether each text the library would hold of `version`'s audit now is the one its record
    held when the version was published."""
    audit = Audit.objects.select_related("theme", "partnership").get(pk=version.audit_id)
    rows = _current_rows(audit, version)
    published = _texts_as_of([source for _, source in rows], version.published_at)
    return all(_unmarked(published.get(source) or "") == entry.text for entry, source in rows)


def _texts_never_changed(sources) -> dict[tuple[type, int], str | None]:
    """(model, pk) -> the indexed text, when its history has held only that one text (so it is
    the text published, whenever that was), else None: one query per kind of record."""
    texts: dict[tuple[type, int], set[str | None]] = {}
    for model, pks in _by_model(sources).items():
        history = model.history.filter(id__in=pks)
        for pk, text, change in history.values_list("id", INDEXED_FIELD[model], "history_type"):
            texts.setdefault((model, pk), set()).add(None if change == "-" else text)
    found = {source: next(iter(held)) if len(held) == 1 else None for source, held in texts.items()}
    return {**_texts_never_tracked(sources, found), **found}


def _texts_as_of(sources, moment) -> dict[tuple[type, int], str | None]:
    """(model, pk) -> the indexed text its history held at `moment` (None once deleted), one
    query per kind of record."""
    texts: dict[tuple[type, int], str | None] = {}
    for model, pks in _by_model(sources).items():
        history = model.history.filter(id__in=pks, history_date__lte=moment)
        newest_first = history.order_by("id", "-history_date", "-history_id")
        for pk, text, change in newest_first.values_list(
            "id", INDEXED_FIELD[model], "history_type"
        ):
            texts.setdefault((model, pk), None if change == "-" else text)
    return {**_texts_never_tracked(sources, texts, saved_by=moment), **texts}


def _texts_never_tracked(sources, known, *, saved_by=None) -> dict[tuple[type, int], str]:
    """(model, pk) -> the text now, for the records of `sources` not in `known` that have no
    history at all: saved before their history was first kept (or written in bulk by a package
    import) and never changed since, so what they hold now is what was published. With
    `saved_by`, only those last saved by then: one saved later, before its history was kept,
    may hold words never published."""
    texts: dict[tuple[type, int], str] = {}
    for model, pks in _by_model(source for source in sources if source not in known).items():
        tracked = set(model.history.filter(id__in=pks).values_list("id", flat=True).distinct())
        untracked = [pk for pk in pks if pk not in tracked]
        if untracked:
            rows = model.objects.filter(pk__in=untracked)
            if saved_by is not None:
                rows = rows.filter(updated_at__lte=saved_by)
            rows = rows.values_list("pk", INDEXED_FIELD[model])
            texts.update({(model, pk): text for pk, text in rows})
    return texts


def _by_model(sources) -> dict[type, list[int]]:
    by_model: dict[type, list[int]] = {}
    for model, pk in sources:
        by_model.setdefault(model, []).append(pk)
    return by_model
