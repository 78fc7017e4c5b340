"""Teams of sessions recorded before teams were kept as shown: without the invisible characters
(zero-width spaces, direction marks) that let two teams' names look alike."""

from django.db import migrations

from maca.text import shown_name


def teams_as_shown(apps, schema_editor):
    UsageRecord = apps.get_model("findings", "UsageRecord")
    for pk, team in UsageRecord.objects.values_list("pk", "team").iterator():
        shown = shown_name(team)
        if shown and shown != team:
            UsageRecord.objects.filter(pk=pk).update(team=shown)


class Migration(migrations.Migration):
    dependencies = [("findings", "0017_usage_briefing")]

    operations = [migrations.RunPython(teams_as_shown, migrations.RunPython.noop)]
