"""Writing the library: what a published version holds, as rows, replacing the audit's last."""

from __future__ import annotations

from django.db import connection, transaction

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
    Case packs, chronologies, audit-tool answers, identifiers and meeting notes are never read."""
    audit = Audit.objects.select_related("theme", "partnership").get(pk=version.audit_id)
    LibraryEntry.objects.filter(audit=audit).delete()
    common = {
        "version": version,
        "audit": audit,
        "partnership_id": audit.partnership_id,
        "theme_id": audit.theme_id,
        "held_on": audit.meeting_date or version.published_at.date(),
    }
    rows, items = [], []

    def add(section, text, *, case_label="", agency_id=None, anchor="", item=None, **more):
        if not text.strip():
            return
        rows.append(
            LibraryEntry(
                section=section,
                text=text.replace(MARK_START, "").replace(MARK_END, ""),
                case_label=case_label,
                agency_id=agency_id,
                anchor=anchor,
                order=len(rows),
                **common,
                **more,
            )
        )
        items.append(item)

    record = MeetingRecord.objects.filter(audit=audit).first()
    if record:
        add(Section.LEARNING_SUMMARY, record.learning_summary)
    sections = [s for s in briefing_sections(audit) if s.key in ITEM_SECTIONS]
    records = _item_records(row for section in sections for row in _section_rows(section))
    for section in sections:
        kind = ITEM_SECTIONS[section.key]
        for group in section.case_groups:
            for row in group.items:
                record = records[(row.kind, row.pk)]
                add(kind, row.text, case_label=group.case.label, **_item_fields(section, record))
        for row in section.items:
            labels = (
                ", ".join(c.label for c in row.case_list) if kind == Section.RECOMMENDATIONS else ""
            )
            record = records[(row.kind, row.pk)]
            add(kind, row.text, case_label=labels[:50], **_item_fields(section, record))
    if audit.plan_published_at:
        for action in Action.objects.filter(audit=audit).order_by("order", "pk"):
            add(
                Section.ACTIONS,
                action.text,
                agency_id=action.owner_agency_id,
                anchor=f"action-{action.pk}",
                action=action,
            )
    created = LibraryEntry.objects.bulk_create(rows)
    tags_of = _tags_of(item for item in items if item is not None)
    Through = LibraryEntry.tags.through
    Through.objects.bulk_create(
        Through(libraryentry_id=entry.pk, tag_id=tag_id)
        for entry, item in zip(created, items, strict=True)
        if item is not None
        for tag_id in tags_of.get((type(item), item.pk), ())
    )
    update_search_vectors(LibraryEntry.objects.filter(audit=audit))
    return len(created)


ITEM_MODELS = {
    "strength": Strength,
    "finding": Finding,
    "goodpractice": GoodPractice,
    "recommendation": Recommendation,
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
    return {"agency_id": item.agency_id, "anchor": f"{section.key}-{item.pk}", "item": item}


def _tags_of(items) -> dict[tuple[type, int], list[int]]:
    """(model, pk) -> tag ids, one query per kind of item."""
    by_model: dict[type, list[int]] = {}
    for item in items:
        by_model.setdefault(type(item), []).append(item.pk)
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
    library: versions published before it were not indexed). The items are read as they are
    now, so an audit whose briefing has changed since its latest version is left out, its rows
    as they were: what it holds now has not been published, nor checked for a child's details.
    Publishing it again puts it in. Returns the items indexed and the audits left out."""
    count = left_out = 0
    latest = {}
    for version in BriefingVersion.objects.defer("html", "pdf").order_by("audit_id", "number"):
        latest[version.audit_id] = version
    for version in latest.values():
        if unchanged_since(version.audit) is None:
            left_out += 1
            continue
        count += library_index_version(version=version)
    return count, left_out
