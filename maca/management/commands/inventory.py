"""What a backup must bring back: the rows of every table, the SHA-256 of every stored file, and
the files the database names that the file store does not hold.

Run it before a backup and after a restore; the two outputs must be the same, and after a restore
`missing_files` must be empty (`make restore-drill` does this against a throwaway database).
"""

import hashlib
import json

from django.apps import apps
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand
from django.db.models import FileField


class Command(BaseCommand):
    help = "Print, as JSON, the number of rows of each table and the SHA-256 of each stored file."

    def handle(self, *args, **options):
        inventory = {
            "tables": table_counts(),
            "files": file_hashes(),
            "missing_files": missing_files(),
        }
        self.stdout.write(json.dumps(inventory, indent=1, sort_keys=True))


def table_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


def missing_files() -> list[str]:
    """Each file a row names (model, field and file name) that the file store does not hold:
    after a restore, an object store brought back to another day than the database."""
    missing = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not isinstance(field, FileField) or not model._meta.managed:
                continue
            names = model._default_manager.exclude(**{field.name: ""}).exclude(
                **{f"{field.name}__isnull": True}
            )
            for name in names.values_list(field.name, flat=True).iterator():
                if not default_storage.exists(name):
                    missing.append(f"{model._meta.label}.{field.name}: {name}")
    return sorted(missing)


def file_hashes() -> dict[str, str]:
    hashes = {}
    for path in stored_names():
        digest = hashlib.sha256()
        with default_storage.open(path, "rb") as stored:
            for chunk in stored.chunks():
                digest.update(chunk)
        hashes[path] = digest.hexdigest()
    return hashes


def stored_names(folder: str = "") -> list[str]:
    """Every file in the file store (the local folder or the object store), by name."""
    try:
        folders, files = default_storage.listdir(folder)
    except FileNotFoundError:  # nothing stored yet
        return []
    names = [f"{folder}/{name}" if folder else name for name in files]
    for name in folders:
        names.extend(stored_names(f"{folder}/{name}" if folder else name))
    return names
