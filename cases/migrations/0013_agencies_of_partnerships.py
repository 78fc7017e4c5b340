"""Each row of an audit points at its own partnership's agency: an agency two partnerships used
is now one per partnership (maca/migrations/_tenancy.py)."""

from django.db import migrations

from maca.migrations._tenancy import Split, repoint_foreign_key, repoint_many_to_many

# (model, field, the path from a row to its partnership)
MANY_TO_MANY = [
    ("Audit", "agencies", "partnership_id"),
    ("Case", "agencies", "audit__partnership_id"),
    ("Nomination", "agencies", "audit__partnership_id"),
]
FOREIGN_KEYS = [
    ("LocalReference", "agency", "identity__nomination__audit__partnership_id"),
    ("ChronologyFile", "agency", "case__audit__partnership_id"),
    ("ChronologyEntry", "agency", "case__audit__partnership_id"),
    ("AgencySubmission", "agency", "case__audit__partnership_id"),
    ("HistoricalChronologyFile", "agency", "case__audit__partnership_id"),
    ("HistoricalChronologyEntry", "agency", "case__audit__partnership_id"),
    ("HistoricalAgencySubmission", "agency", "case__audit__partnership_id"),
]


def repoint_agencies(apps, schema_editor):
    split = Split(apps, "maca", "Agency")
    for model_name, field, path in MANY_TO_MANY:
        repoint_many_to_many(split, apps.get_model("cases", model_name), field, path)
    for model_name, field, path in FOREIGN_KEYS:
        repoint_foreign_key(split, apps.get_model("cases", model_name), field, path)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_confirmed_texts"),
        ("maca", "0009_partnership_settings_and_its_agencies"),
    ]
    run_before = [("maca", "0010_share_unused_agencies")]

    operations = [
        migrations.RunPython(repoint_agencies, migrations.RunPython.noop),
    ]
