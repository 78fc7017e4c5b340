"""Writing the library: what a published version holds, as rows, replacing the audit's last."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count

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


def update_search_vectors(entries) -> None:
    """PostgreSQL: the English-stemmed vector of each row's words (its tags weigh less)."""
    if connection.vendor != "postgresql":
        return
    from django.contrib.postgres.search import SearchVector

    entries.update(search_vector=SearchVector("text", config="english", weight="A"))


def library_rebuild() -> tuple[int, int]:
    """Index every audit's latest published version again (after an upgrade that added the
    library: versions published before it were not indexed). A version indexed as it went out
    keeps its rows. Any other is read from the audit as it is now, so it goes in only when
    every text the library would hold reads as it did when the version was published: the
    briefing's page, and the learning summary and each item and action as their history held
    them then. An audit changed since is left out, its rows as they were: what it holds now has
    not been published, nor checked for a child's details. Publishing it again puts it in.
    Returns the items indexed and the audits left out."""
    count = left_out = 0
    latest = {}
    for version in BriefingVersion.objects.defer("html", "pdf").order_by("audit_id", "number"):
        latest[version.audit_id] = version
    indexed = dict(
        LibraryEntry.objects.filter(version__in=list(latest.values()))
        .values_list("version_id")
        .annotate(rows=Count("pk"))
        .order_by()
    )
    for version in latest.values():
        if version.pk in indexed:
            update_search_vectors(LibraryEntry.objects.filter(version=version))
            count += indexed[version.pk]
        elif unchanged_since(version.audit) is None or not _reads_as_published(version):
            left_out += 1
        else:
            count += library_index_version(version=version)
    return count, left_out


def _reads_as_published(version) -> bool:
    """Whether each text the library would hold of `version`'s audit now is the one its record
    held when the version was published."""
    audit = Audit.objects.select_related("theme", "partnership").get(pk=version.audit_id)
    rows = _current_rows(audit, version)
    published = _texts_as_of([source for _, source in rows], version.published_at)
    return all(_unmarked(published.get(source) or "") == entry.text for entry, source in rows)


def _texts_as_of(sources, moment) -> dict[tuple[type, int], str | None]:
    """(model, pk) -> the indexed text its history held at `moment` (None once deleted), one
    query per kind of record."""
    by_model: dict[type, list[int]] = {}
    for model, pk in sources:
        by_model.setdefault(model, []).append(pk)
    texts: dict[tuple[type, int], str | None] = {}
    for model, pks in by_model.items():
        history = model.history.filter(id__in=pks, history_date__lte=moment)
        newest_first = history.order_by("id", "-history_date", "-history_id")
        for pk, text, change in newest_first.values_list(
            "id", INDEXED_FIELD[model], "history_type"
        ):
            texts.setdefault((model, pk), None if change == "-" else text)
    return texts
