from django.db import migrations
from django.db.models import Min


def fill_briefing_published_at(apps, schema_editor):
    """An audit whose briefing was published before the audit kept the time itself."""
    Audit = apps.get_model("cases", "Audit")
    BriefingVersion = apps.get_model("findings", "BriefingVersion")
    first = BriefingVersion.objects.values("audit_id").annotate(at=Min("published_at"))
    for row in first:
        Audit.objects.filter(pk=row["audit_id"]).update(briefing_published_at=row["at"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_briefing_published_at"),
        ("findings", "0007_tags_in_alphabetical_order"),
    ]

    operations = [
        migrations.RunPython(fill_briefing_published_at, migrations.RunPython.noop),
    ]
