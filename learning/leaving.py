"""A partnership leaving the hosted service: its audits handed over as maca-audit/1 packages
with its access log, then every row and stored file of it deleted from the installation.

What belongs to a partnership is found, not listed: every row that refers to it, or to a row
that does, through any foreign key of any installed model (simple-history's copies and the
many-to-many tables included), so that a model added later is removed with the rest."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from actions.models import Action, PackageImport
from actions.package import FORMAT, package_export
from cases.models import Agency, Audit, PurgeRecord, Theme
from documents.models import RequestedDocument
from learning.models import PartnershipRemoval
from maca.models import AccessLogEntry, Invitation, Membership, Partnership, SentReminder
from maca.selectors import access_log_table
from maca.spreadsheets import csv_write

CHUNK = 500  # ids in one query's IN (…), well under SQLite's limit


@dataclass(frozen=True)
class _Reference:
    """A column of `model` holding the key of a `target` row."""

    model: type[models.Model]
    column: str
    target: type[models.Model]


def _references() -> list[_Reference]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        for column in model._meta.concrete_fields:
            if column.is_relation and column.related_model is not None:
                found.append(_Reference(model, column.attname, column.related_model))
        record = getattr(model, "instance_type", None)
        if record is not None:  # a simple-history row names its record by the record's own id
            found.append(_Reference(model, record._meta.pk.attname, record))
    return found


@dataclass
class PartnershipRows:
    """The rows of a partnership: `rows` the primary keys of every row there is, by model;
    `named` also the ids that only history names (a record deleted since), which its other
    history and the access log may still refer to."""

    rows: dict[type, set] = field(default_factory=lambda: defaultdict(set))
    named: dict[type, set] = field(default_factory=lambda: defaultdict(set))

    def counts(self) -> dict[type, int]:
        return {model: len(keys) for model, keys in self.rows.items() if keys}

    def audit_ids(self) -> set:
        return self.named[Audit]


def partnership_rows(partnership_id: int) -> PartnershipRows:
    """Every row referring to the partnership, directly or through other rows, until no more
    are found (the partnership's own row included while it is there)."""
    found = PartnershipRows()
    found.named[Partnership] = {partnership_id}
    found.rows[Partnership] = _existing(Partnership, {partnership_id})
    references = _references()
    fresh = {Partnership: {partnership_id}}
    while fresh:
        fresh = _next_rows(found, fresh, references)
    return found


def _next_rows(found: PartnershipRows, fresh: dict, references) -> dict:
    """The rows referring to one of `fresh`, not found before, added to `found`."""
    newer: dict[type, set] = defaultdict(set)
    for reference in references:
        keys = fresh.get(reference.target)
        if not keys:
            continue
        new = _referring(reference, keys) - found.rows[reference.model]
        if not new:
            continue
        found.rows[reference.model] |= new
        newer[reference.model] |= new - found.named[reference.model]
        found.named[reference.model] |= new
        record = getattr(reference.model, "instance_type", None)
        if record is not None:
            ids = _values(reference.model, new, record._meta.pk.attname) - found.named[record]
            found.named[record] |= ids
            newer[record] |= ids
    return newer


def _chunks(keys: Iterable) -> Iterable[list]:
    keys = list(keys)
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def _referring(reference: _Reference, keys: set) -> set:
    manager = reference.model._base_manager
    return {
        key
        for chunk in _chunks(keys)
        for key in manager.filter(**{f"{reference.column}__in": chunk}).values_list("pk", flat=True)
    }


def _existing(model, keys: set) -> set:
    return _values(model, keys, "pk")


def _values(model, keys: set, column: str) -> set:
    manager = model._base_manager
    return {
        value
        for chunk in _chunks(keys)
        for value in manager.filter(pk__in=chunk).values_list(column, flat=True)
    }


# The records that name a partnership's rows by number or in words rather than by a key.
def _access_log(partnership_id: int, found: PartnershipRows):
    return AccessLogEntry.objects.filter(
        Q(partnership_id=partnership_id)
        | Q(audit_id__in=list(found.audit_ids()))
        | Q(pk__in=_admin_looks(found))
    )


# A page of /admin/ about one row: /admin/<app>/<model>/<pk>/change/ (or history/, delete/).
_ADMIN_ROW_PAGE = re.compile(r"^/admin/(\w+)/(\w+)/(\d+)/")


def _admin_looks(found: PartnershipRows) -> list[int]:
    """Looks in /admin/ at one of its rows that the access log files under no partnership (a
    superuser's, who belongs to none)."""
    models_named = {(model._meta.app_label, model._meta.model_name): model for model in found.named}
    looks = AccessLogEntry.objects.filter(
        partnership_id__isnull=True, audit_id__isnull=True, path__startswith="/admin/"
    ).values_list("pk", "path")
    return [
        pk
        for pk, path in looks.iterator()
        if (page := _ADMIN_ROW_PAGE.match(path))
        and (model := models_named.get((page[1], page[2])))
        and int(page[3]) in found.named[model]
    ]


def _purge_records(audit_ids: set):
    return PurgeRecord.objects.filter(audit_id_kept__in=list(audit_ids))


# Reminder keys name what they remind of ("deadline:12:before", "stage:12:submissions",
# "action:7:overdue"); a weekly digest's names only its reader.
_REMINDED = {"deadline": Audit, "stage": Audit, "usage": Audit, "action": Action}
_REMINDER_KEY = re.compile(r"^(\w+):(\d+):")


def _sent_reminders(found: PartnershipRows):
    kinds = Q(pk__in=[])
    for kind in _REMINDED:
        kinds |= Q(key__startswith=f"{kind}:")
    keys = [
        pk
        for pk, key in SentReminder.objects.filter(kinds).values_list("pk", "key")
        if (match := _REMINDER_KEY.match(key)) and int(match[2]) in found.named[_REMINDED[match[1]]]
    ]
    return SentReminder.objects.filter(pk__in=keys)


def _admin_log(found: PartnershipRows):
    """/admin/'s record of changes to the partnership's rows, which names each in words."""
    named = Q(pk__in=[])
    for model, keys in found.named.items():
        if keys and not hasattr(model, "instance_type") and not model._meta.auto_created:
            named |= Q(
                content_type__app_label=model._meta.app_label,
                content_type__model=model._meta.model_name,
                object_id__in=[str(key) for key in keys],
            )
    return LogEntry.objects.filter(named)


def _plans_of_its_people(found: PartnershipRows):
    """The action plans' PDFs its people asked for (kept for a day): one names no audit or
    partnership, being of every action its reader may see, the partnership's among them."""
    people = _values(Membership, found.rows[Membership], "user_id")
    return RequestedDocument.objects.filter(
        kind=RequestedDocument.Kind.ACTION_PLAN,
        audit__isnull=True,
        partnership__isnull=True,
        requested_by__in=list(people),
    )


def _records_naming(partnership_id: int, found: PartnershipRows) -> dict[str, models.QuerySet]:
    audits = found.audit_ids()
    return {
        "access log entries": _access_log(partnership_id, found),
        "purge records": _purge_records(audits),
        "reminder records": _sent_reminders(found),
        "administration log entries": _admin_log(found),
        "action plans made for its people": _plans_of_its_people(found),
    }


def _stored_files(found: PartnershipRows) -> list[tuple]:
    """(storage, name) of every file a row of the partnership names, its history included."""
    files = set()
    for model, keys in found.rows.items():
        record = getattr(model, "instance_type", model)
        for column in record._meta.concrete_fields:
            if isinstance(column, models.FileField):
                names = _values(model, keys, column.name)
                files |= {(column.storage, name) for name in names if name}
    return sorted(files, key=lambda stored: stored[1])


@dataclass
class Removal:
    """What removing a partnership deletes (or deleted): rows by kind, and stored files."""

    partnership: str
    rows: dict[str, int]
    files: list[tuple]
    held: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        counted = [f"{what}: {number:,}" for what, number in self.rows.items() if number]
        return counted + [f"stored files: {len(self.files):,}"]

    def files_left(self) -> list[str]:
        """The files still in storage (a store that did not answer as they were deleted)."""
        return [name for storage, name in self.files if storage.exists(name)]


def partnership_removal(*, partnership: Partnership) -> Removal:
    """What `partnership_remove` would delete, deleting nothing."""
    return _removal(partnership, partnership_rows(partnership.pk))


def _removal(partnership: Partnership, found: PartnershipRows) -> Removal:
    rows = {
        str(model._meta.verbose_name_plural): number
        for model, number in sorted(found.counts().items(), key=lambda item: item[0]._meta.label)
    }
    records = _records_naming(partnership.pk, found)
    held = Audit.objects.filter(partnership=partnership, legal_hold_at__isnull=False)
    return Removal(
        partnership=partnership.name,
        rows=rows | {what: queryset.count() for what, queryset in records.items()},
        files=_stored_files(found),
        held=[f"{audit} ({audit.legal_hold_reason})" for audit in held.select_related("theme")],
    )


class RowsOfOthers(Exception):
    """A row of the partnership is also another partnership's: nothing is deleted."""


class LeftBehind(Exception):
    """Something of the partnership was still there after the deletion: nothing is deleted."""


def partnership_remove(*, partnership: Partnership) -> Removal | None:
    """Delete the partnership and everything of it, in one transaction: its audits and all
    their rows, memberships, invitations, themes, agencies, tags, settings, every history row
    and record naming them (the access log's entries included), and, once committed, its
    stored files. None when it was removed already. Refused (ValidationError) while one of its
    audits is under legal hold."""
    with transaction.atomic():
        partnership = Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
        if partnership is None:
            return None
        found = partnership_rows(partnership.pk)
        removal = _removal(partnership, found)
        if removal.held:
            raise ValidationError(
                "An audit of this partnership is under legal hold, so nothing of it may be "
                "deleted: " + "; ".join(removal.held)
            )
        _refuse_rows_of_others(found, partnership.pk)
        for queryset in _records_naming(partnership.pk, found).values():
            queryset.delete()  # a queryset's delete: the access log's entries refuse their own
        partnership_id = partnership.pk  # deleting it forgets its key
        _rows_delete(partnership)
        _rest_delete(partnership_id)
        PartnershipRemoval.objects.create(
            partnership_name=removal.partnership, rows=removal.rows, files=len(removal.files)
        )
        for storage, name in removal.files:
            # Each file is tried even when the store refuses another; files_left says which
            # are still there.
            transaction.on_commit(partial(storage.delete, name), robust=True)
    return removal


def _refuse_rows_of_others(found: PartnershipRows, partnership_id: int) -> None:
    """A row found through the partnership's rows that names a row of another partnership (its
    audit, case, agency, tag…: any row that a partnership owns and this one's walk did not
    find) would take the other's data with it: refuse rather than guess. A key naming a row
    deleted since (history's) or one no partnership owns (an account) is no one else's."""
    references = _references()
    owned = _owned_models(references)
    for reference in references:
        keys = found.rows.get(reference.model)
        if not keys or reference.target not in owned:
            continue
        named = _values(reference.model, keys, reference.column) - {None}
        theirs = _existing(reference.target, named - found.named[reference.target])
        if theirs:
            raise RowsOfOthers(
                f"{reference.model._meta.label} rows of this partnership name "
                f"{reference.target._meta.verbose_name} {sorted(theirs)[:5]} of another: "
                "nothing was deleted."
            )


def _owned_models(references) -> set:
    """The models whose rows belong to a partnership: those referring to one, however far."""
    owned = {Partnership}
    grew = True
    while grew:
        grew = False
        for reference in references:
            if reference.target in owned and reference.model not in owned:
                owned.add(reference.model)
                grew = True
    return owned


def _rows_delete(partnership: Partnership) -> None:
    """The rows an agency or theme of the partnership is protected by go first, then those."""
    audits = Audit.objects.filter(partnership=partnership)
    audits.update(reaudit_of=None)  # a re-audit and its original go together
    audits.delete()
    PackageImport.objects.filter(partnership=partnership).delete()
    Membership.objects.filter(partnership=partnership).delete()
    Invitation.objects.filter(partnership=partnership).delete()
    Theme.objects.filter(partnership=partnership).delete()
    Agency.objects.filter(partnership=partnership).delete()
    partnership.delete()


def _rest_delete(partnership_id: int) -> None:
    """Whatever still refers to the partnership: the history of its rows, and the history
    written as they were deleted. Then nothing may be left."""
    for _attempt in range(3):
        found = partnership_rows(partnership_id)
        if not found.counts():
            return
        for model, keys in found.rows.items():
            for chunk in _chunks(keys):
                model._base_manager.filter(pk__in=chunk).delete()
    left = ", ".join(m._meta.label for m in partnership_rows(partnership_id).counts())
    if left:
        raise LeftBehind(f"Still there after deleting: {left}. Nothing was deleted.")


# Handing over.


@dataclass
class Export:
    directory: Path
    files: list[str]
    access_log_entries: int


def partnership_export(*, partnership: Partnership, directory: Path) -> Export:
    """Write each audit of the partnership as its maca-audit/1 package, oldest first, its
    access log as CSV, a manifest (with each file's SHA-256) and a README, into `directory`,
    which must be empty or not there yet. Whole or not at all: written into a folder beside it,
    which takes its name once everything is in it, and is deleted if anything fails."""
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ValidationError(f"{directory} is not an empty folder: nothing was written.")
    directory.parent.mkdir(parents=True, exist_ok=True)
    partial_folder = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        files, entries = _export_into(partial_folder, partnership)
        if directory.exists():
            directory.rmdir()
        partial_folder.rename(directory)
    except BaseException:
        shutil.rmtree(partial_folder, ignore_errors=True)
        raise
    return Export(directory, files, entries)


def _export_into(directory: Path, partnership: Partnership) -> tuple[list[str], int]:
    now = timezone.now()
    audits = sorted(
        Audit.objects.filter(partnership=partnership).select_related("theme"), key=_held_on
    )
    written = [_write_package(directory, number, audit) for number, audit in enumerate(audits, 1)]
    entries = _access_log(partnership.pk, partnership_rows(partnership.pk))
    with open(directory / "access-log.csv", "w", encoding="utf-8", newline="") as handle:
        csv_write(access_log_table(entries.order_by("at", "id"), {}), handle)
    manifest = _manifest(partnership, now, directory, written, entries.count())
    _write(directory / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    _write(directory / "README.txt", _readme(manifest))
    return [entry["file"] for entry in written], manifest["access_log"]["entries"]


def _held_on(audit: Audit) -> tuple:
    """An audit's date: its meeting's, else the day it was started."""
    day = audit.meeting_date or timezone.localdate(audit.created_at)
    return (day, audit.pk)


def _write_package(directory: Path, number: int, audit: Audit) -> dict:
    day = _held_on(audit)[0]
    name = f"{day.isoformat()}-{number:03d}-{audit.file_stem}.json"  # as its downloads are
    text = json.dumps(package_export(audit), indent=2, ensure_ascii=False) + "\n"
    _write(directory / name, text)
    return {
        "file": name,
        "audit": audit.pk,
        "theme": audit.theme.name,
        "title": audit.title,
        "date": day.isoformat(),
        "status": audit.get_status_display(),
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _manifest(partnership, now, directory: Path, written: list[dict], entries: int) -> dict:
    log = (directory / "access-log.csv").read_bytes()
    return {
        "partnership": partnership.name,
        "exported_at": now.isoformat(),
        "format": FORMAT,
        "audits": written,
        "access_log": {
            "file": "access-log.csv",
            "entries": entries,
            "sha256": hashlib.sha256(log).hexdigest(),
        },
    }


def _readme(manifest: dict) -> str:
    exported = datetime.datetime.fromisoformat(manifest["exported_at"])
    lines = [
        f"{manifest['partnership']}: its audits in MACA",
        "",
        f"Exported {timezone.localtime(exported):%d %B %Y at %H:%M %Z}.",
        f"{len(manifest['audits'])} audits, one {FORMAT} package (JSON) each, named by the",
        "audit's meeting date (else the day it was started), so that they sort by date; each",
        "imports into MACA with `manage.py import_audit FILE --partnership NAME`.",
        "",
        "A package holds an audit's briefing (its words, strengths, findings, good practice and",
        "recommendations), the learning summary, the 7-minute briefing, the action plan with its",
        "updates, and the uses of the briefing. It holds no child's identifying details, no",
        "nominations, chronologies, audit tools, meeting notes, evidence files or published PDFs.",
        "",
        f"access-log.csv: every look at the partnership's case data that MACA recorded "
        f"({manifest['access_log']['entries']:,} entries): who, when, what, from where.",
        "manifest.json: each file with its SHA-256, to check that none was changed.",
        "",
        "Audits:",
        *(f"  {a['file']}: {a['theme']}, {a['title']} ({a['status']})" for a in manifest["audits"]),
    ]
    return "\n".join(lines) + "\n"
