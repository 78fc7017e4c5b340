"""A learning tag no item uses (the learning themes MACA started with, mostly) goes to every
partnership, as each could choose it before; with no partnership yet, each new partnership is
given the learning themes when it is made. The library's rows have moved to their partnerships'
tags first (learning 0002 runs before this one)."""

from django.db import migrations

from maca.migrations._tenancy import unclaimed_share


def share_unused_tags(apps, schema_editor):
    unclaimed_share(apps, "findings", "Tag", when_no_partnership="delete")


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0012_agencies_and_tags_of_partnerships"),
    ]

    operations = [
        migrations.RunPython(share_unused_tags, migrations.RunPython.noop),
    ]
