"""Importing a maca-audit/1 package in the background: the page (or `manage.py import_audit`)
keeps the file and queues the job; the worker imports it, all or nothing, and says how it went.

The job is marked done in the same transaction that writes the audit, with its row locked, so a
job run again (a worker stopped mid-import, `retry_imports`) imports nothing twice. The file is
deleted once the job has finished, either way: only the outcome is kept.

The same file (known by its SHA-256) is imported into a partnership once: while an import of it
is queued or running, or has made an audit that is still there, another is refused, even one
sent at the same instant from a second tab (the unique constraint `package_imported_once`).
"""

from __future__ import annotations

import datetime
import hashlib
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format

from cases import access
from maca.files import STORAGE_ERRORS

from .models import IMPORTING_OR_IMPORTED, PackageImport
from .package import (
    PackageError,
    UnknownPartnership,
    package_import,
    package_parse,
    partnership_for_import,
)

logger = logging.getLogger(__name__)
Status = PackageImport.Status

NOT_HANDLED_NOW = (
    "The file could not be handled now, so nothing was imported. Try again in a few minutes; "
    "if it keeps happening, tell your MACA administrator."
)
# How long a finished import's outcome (its problems, the link to the audit) is kept.
KEEP_FOR = datetime.timedelta(hours=24)
# A job still unfinished this long after it was queued has lost its worker: `retry_imports`.
RETRY_AFTER = datetime.timedelta(minutes=10)


class AlreadyImported(ValidationError):
    """The same package is being imported, or has been, into the same partnership: `earlier`."""

    def __init__(self, earlier: PackageImport):
        self.earlier = earlier
        super().__init__(_already_imported_text(earlier), code="already_imported")


def _already_imported_text(earlier: PackageImport) -> str:
    into = earlier.partnership.name
    if earlier.status == Status.DONE:
        day = date_format(timezone.localtime(earlier.finished_at), "j F Y")
        return (
            f"This file was already imported into {into} on {day}, as the audit "
            f"“{earlier.audit}”, so it was not imported again."
        )
    sent = date_format(timezone.localtime(earlier.created_at), "H:i \\o\\n j F Y")
    return (
        f"This file is already being imported into {into} (sent at {sent}), so it was not "
        "imported again."
    )


def package_import_queue(
    *,
    content,
    original_name: str,
    user=None,
    partnership=None,
    partnership_name: str = "",
    create_partnership: bool = False,
    publish: bool = False,
) -> PackageImport:
    """Keep the package (`content`: an upload, or bytes an operator's file held) and queue its
    import. A chair's upload names `user` and the `partnership` they chair; an operator's
    names the partnership, or `partnership_name` to create. When the file store or the queue
    does not answer, nothing is kept and ValidationError(NOT_HANDLED_NOW) is raised; when the
    same file is being imported, or has been, into the partnership, AlreadyImported."""
    finished_imports_forget()
    _check_partnership_name(partnership_name)
    if isinstance(content, bytes):
        content = ContentFile(content)
    fingerprint = _fingerprint(content)
    _refuse_if_imported(partnership, fingerprint)
    job = PackageImport(
        fingerprint=fingerprint,
        original_name=(original_name or "")[:255],
        requested_by=user,
        partnership=partnership,
        partnership_name=partnership_name,
        create_partnership=create_partnership,
        publish=publish,
    )
    try:
        job.file.save("package.json", content, save=False)
    except STORAGE_ERRORS:
        logger.exception("Storing an audit package failed")
        raise ValidationError(NOT_HANDLED_NOW, code="unavailable") from None
    try:
        with transaction.atomic():
            job.save()
            _enqueue(job.pk)
    except Exception as error:
        _delete_file(job.file.storage, job.file.name)
        if isinstance(error, IntegrityError):  # the same file, sent at the same instant
            _refuse_if_imported(partnership, fingerprint)
        logger.exception("Queuing an audit package's import failed")
        raise ValidationError(NOT_HANDLED_NOW, code="unavailable") from None
    job.refresh_from_db()
    return job


def _fingerprint(content) -> str:
    digest = hashlib.sha256()
    for chunk in content.chunks():  # from the start, as the file store then reads it again
        digest.update(chunk)
    return digest.hexdigest()


def _refuse_if_imported(partnership, fingerprint: str, *, besides: int | None = None) -> None:
    """AlreadyImported when an import of the package with `fingerprint` (other than `besides`)
    holds its place in `partnership`."""
    if partnership is None:
        return
    earlier = (
        PackageImport.objects.filter(IMPORTING_OR_IMPORTED)
        .filter(partnership=partnership, fingerprint=fingerprint)
        .exclude(pk=besides)
        .select_related("partnership", "audit__theme")
        .first()
    )
    if earlier is not None:
        raise AlreadyImported(earlier)


def _enqueue(import_id: int) -> None:
    from .tasks import import_package

    # With the database queue the job's row is written in this transaction: both or neither.
    # With the immediate backend the import runs here and now.
    import_package.enqueue(import_id)


def _check_partnership_name(name: str) -> None:
    limit = PackageImport._meta.get_field("partnership_name").max_length
    if len(name) > limit:
        raise ValidationError(
            f"A partnership's name may be at most {limit} characters (this one has "
            f"{len(name)}), so nothing was imported.",
            code="too_long",
        )


def finished_imports_forget() -> int:
    """Delete the outcomes kept longer than KEEP_FOR (their problems may quote the package),
    except that of an import whose audit is still there: it keeps the same file from being
    imported twice. Returns how many."""
    deleted, _ = (
        PackageImport.objects.filter(
            finished_at__lt=timezone.now() - KEEP_FOR, status__in=[Status.DONE, Status.FAILED]
        )
        .exclude(IMPORTING_OR_IMPORTED)
        .delete()
    )
    return deleted


def may_see(user, job: PackageImport) -> bool:
    """Whether `user` may see `job` now: the chair who asked, while their account is active and
    they chair its partnership. An operator's import is no one's in the browser."""
    return (
        user.is_active
        and job.requested_by_id is not None
        and job.requested_by_id == user.pk
        and job.partnership_id in access.memberships_of(user).chaired
    )


def package_import_run(*, import_id: int) -> None:
    """Import a queued package once, if whoever asked may still; a job already finished is
    left as it is. Anything unexpected fails the job, logged, with nothing written."""
    if not _started(import_id):
        return
    try:
        with transaction.atomic():
            job = (
                PackageImport.objects.select_for_update(of=("self",))
                .select_related("requested_by", "partnership")
                .get(pk=import_id)
            )
            if job.finished:
                return
            _import(job)
    except Exception:
        logger.exception("The audit package of import %s could not be imported", import_id)
        with transaction.atomic():
            job = PackageImport.objects.select_for_update().get(pk=import_id)
            if not job.finished:
                job.fail()
                _delete_file_on_commit(job)


def _started(import_id: int) -> bool:
    with transaction.atomic():
        job = PackageImport.objects.select_for_update().filter(pk=import_id).first()
        if job is None or job.finished:
            return False
        job.start()
    return True


def _import(job: PackageImport) -> None:
    """In the caller's transaction: the audit and the job's outcome stand or fall together."""
    if job.requested_by_id is not None:
        access.forget_memberships(job.requested_by)
        if not may_see(job.requested_by, job):
            logger.info("Import %s not made: its chair no longer chairs the partnership", job.pk)
            job.fail([("$", "you no longer chair the partnership this audit was to join")])
            _delete_file_on_commit(job)
            return
    with job.file.open("rb") as stored:
        raw = stored.read()
    _delete_file_on_commit(job)
    try:
        with transaction.atomic():
            data = package_parse(raw)
            into, created = job.partnership, False
            if into is None:  # an operator's import: checked once its partnership is known
                into, created = partnership_for_import(
                    data=data, name=job.partnership_name or None, create=job.create_partnership
                )
                _refuse_if_imported(into, job.fingerprint, besides=job.pk)
            audit = package_import(data, into=into, publish=job.publish, user=job.requested_by)
    except PackageError as error:
        job.fail([(p.location, p.message) for p in error.problems], more=error.more)
    except UnknownPartnership as error:
        job.fail([("$", str(error))])
    except ValidationError as error:
        job.fail([("$", "; ".join(error.messages))])
    else:
        job.succeed(audit, partnership=into, created=created)


def _delete_file_on_commit(job: PackageImport) -> None:
    if job.file and job.file.name:
        storage, name = job.file.storage, job.file.name
        transaction.on_commit(lambda: _delete_file(storage, name))
        job.file = ""
        job.save(update_fields=["file"])


def _delete_file(storage, name: str) -> None:
    try:
        storage.delete(name)
    except STORAGE_ERRORS:
        logger.exception("An audit package's file %s could not be deleted", name)


def unfinished_imports_retry(*, older_than: datetime.timedelta = RETRY_AFTER) -> int:
    """Queue again every import still unfinished after `older_than`: one whose worker stopped
    mid-import. One already imported is never imported again. Returns how many."""
    waiting = list(
        PackageImport.objects.filter(
            status__in=[Status.WAITING, Status.WORKING],
            created_at__lt=timezone.now() - older_than,
        ).values_list("pk", flat=True)
    )
    for import_id in waiting:
        try:
            _enqueue(import_id)
        except Exception:
            logger.exception("Could not queue import %s again", import_id)
    return len(waiting)
