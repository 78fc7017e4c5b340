"""Uploaded files go with their records."""

from __future__ import annotations

from django.db import transaction


def delete_file_with_record(sender, instance, **kwargs) -> None:
    """post_delete receiver: remove the record's file from storage once the deletion is
    committed, so that a record deleted anywhere (the administration pages, a cascade from its
    audit or action) leaves no file behind, and a rolled-back deletion keeps it."""
    file = instance.file
    if file and file.name:
        storage, name = file.storage, file.name
        transaction.on_commit(lambda: storage.delete(name))


def _storage_errors() -> tuple[type[BaseException], ...]:
    """What a file store raises when it cannot be reached or refuses: the disk's OSError, and
    the object store's client errors when django-storages' S3 backend is installed."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # only the local folder
        return (OSError,)
    return (OSError, BotoCoreError, ClientError)


STORAGE_ERRORS = _storage_errors()
STORE_UNAVAILABLE = (
    "The file could not be stored just now, so nothing was saved. Try again in a few minutes; "
    "if it keeps happening, tell your MACA administrator."
)
FETCH_UNAVAILABLE = (
    "The file cannot be fetched just now. Try again in a few minutes; if it keeps happening, "
    "tell your MACA administrator."
)
