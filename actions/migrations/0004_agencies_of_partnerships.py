"""Each action points at its own partnership's agency (maca/migrations/_tenancy.py)."""

from django.db import migrations

from maca.migrations._tenancy import Split, repoint_foreign_key


def repoint_agencies(apps, schema_editor):
    split = Split(apps, "maca", "Agency")
    for model_name in ("Action", "HistoricalAction"):
        model = apps.get_model("actions", model_name)
        repoint_foreign_key(split, model, "owner_agency", "audit__partnership_id")


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0003_text_limits"),
        ("cases", "0013_agencies_of_partnerships"),
        ("maca", "0009_partnership_settings_and_its_agencies"),
    ]
    run_before = [("maca", "0010_share_unused_agencies")]

    operations = [
        migrations.RunPython(repoint_agencies, migrations.RunPython.noop),
    ]
