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
