"""Each briefing item, attendee and use of the briefing points at its own partnership's agency,
and each item at its own partnership's learning tags: an agency or tag two partnerships used is
now one per partnership (maca/migrations/_tenancy.py). The shared learning themes become each
partnership's own in findings 0013."""

from django.db import migrations, models

from maca.migrations._tenancy import Split, repoint_foreign_key, repoint_many_to_many

ITEMS = [
    ("Strength", "case__audit__partnership_id"),
    ("Finding", "case__audit__partnership_id"),
    ("GoodPractice", "audit__partnership_id"),
    ("Recommendation", "audit__partnership_id"),
]
FOREIGN_KEYS = [
    *((model, "agency", path) for model, path in ITEMS),
    *((f"Historical{model}", "agency", path) for model, path in ITEMS),
    ("MeetingAttendee", "agency", "audit__partnership_id"),
    ("HistoricalMeetingAttendee", "agency", "audit__partnership_id"),
    ("UsageRecord", "agency", "audit__partnership_id"),
]


def repoint_agencies_and_tags(apps, schema_editor):
    agencies = Split(apps, "maca", "Agency")
    for model_name, field, path in FOREIGN_KEYS:
        repoint_foreign_key(agencies, apps.get_model("findings", model_name), field, path)
    _repoint_usage_reminders(apps, agencies)
    tags = Split(apps, "findings", "Tag")
    for model_name, path in ITEMS:
        repoint_many_to_many(tags, apps.get_model("findings", model_name), "tags", path)


def _repoint_usage_reminders(apps, agencies):
    """The reminder to an agency that has not recorded a use of the briefing is remembered as
    "usage:<audit>:<agency>": kept under the agency that now stands for it, so it is not sent
    again."""
    SentReminder = apps.get_model("maca", "SentReminder")
    Audit = apps.get_model("cases", "Audit")
    partnership_of = dict(Audit.objects.values_list("pk", "partnership_id"))
    for reminder in SentReminder.objects.filter(key__startswith="usage:"):
        _, audit_id, agency_id = (reminder.key.split(":") + ["", ""])[:3]
        if not (audit_id.isdigit() and agency_id.isdigit()):
            continue
        partnership_id = partnership_of.get(int(audit_id))
        if partnership_id is None:
            continue
        new = agencies.standing_for(int(agency_id), partnership_id)
        if new != int(agency_id):
            reminder.key = f"usage:{audit_id}:{new}"
            reminder.save(update_fields=["key"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_agencies_of_partnerships"),
        ("findings", "0011_seven_minute_usage_impact"),
        ("maca", "0009_partnership_settings_and_its_agencies"),
    ]
    run_before = [("maca", "0010_share_unused_agencies")]

    operations = [
        # A shared tag's copies keep its slug, one per partnership.
        migrations.RemoveConstraint(model_name="tag", name="shared_tag_name_unique"),
        migrations.AlterField(
            model_name="tag", name="slug", field=models.SlugField(max_length=100)
        ),
        migrations.RunPython(repoint_agencies_and_tags, migrations.RunPython.noop),
    ]
