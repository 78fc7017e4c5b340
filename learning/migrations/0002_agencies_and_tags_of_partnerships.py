"""The library's rows point at their own partnership's agency and learning tags
(maca/migrations/_tenancy.py)."""

from django.db import migrations

from maca.migrations._tenancy import Split, repoint_foreign_key, repoint_many_to_many


def repoint_agencies_and_tags(apps, schema_editor):
    LibraryEntry = apps.get_model("learning", "LibraryEntry")
    repoint_foreign_key(Split(apps, "maca", "Agency"), LibraryEntry, "agency", "partnership_id")
    repoint_many_to_many(Split(apps, "findings", "Tag"), LibraryEntry, "tags", "partnership_id")


class Migration(migrations.Migration):
    dependencies = [
        ("learning", "0001_library_of_published_items"),
        ("actions", "0004_agencies_of_partnerships"),
        ("findings", "0012_agencies_and_tags_of_partnerships"),
    ]
    run_before = [
        ("maca", "0010_share_unused_agencies"),
        ("findings", "0013_share_unused_learning_tags"),
    ]

    operations = [
        migrations.RunPython(repoint_agencies_and_tags, migrations.RunPython.noop),
    ]
