"""An agency no row uses goes to every partnership, as each could choose it before. The
migrations of the apps above have moved their rows' agencies into their partnerships (each runs
before this one)."""

from django.db import migrations

from ._tenancy import unclaimed_share


def share_unused_agencies(apps, schema_editor):
    unclaimed_share(apps, "maca", "Agency", when_no_partnership="default")


class Migration(migrations.Migration):
    dependencies = [
        ("maca", "0009_partnership_settings_and_its_agencies"),
    ]

    operations = [
        migrations.RunPython(share_unused_agencies, migrations.RunPython.noop),
    ]
