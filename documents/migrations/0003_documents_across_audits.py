import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_draft_briefing"),
        ("maca", "0006_partnership_seven_minute_text"),
    ]

    operations = [
        migrations.AlterField(
            model_name="requesteddocument",
            name="kind",
            field=models.CharField(
                choices=[
                    ("case_pack", "Case pack"),
                    ("integrated_chronology", "Integrated chronology"),
                    ("draft_briefing", "Draft briefing"),
                    ("assurance_report", "Board assurance report"),
                ],
                max_length=30,
            ),
        ),
        migrations.RenameField("requesteddocument", "pdf", "content"),
        migrations.AddField(
            model_name="requesteddocument",
            name="content_type",
            field=models.CharField(default="application/pdf", max_length=100),
        ),
        migrations.AlterField(
            model_name="requesteddocument",
            name="audit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="cases.audit",
            ),
        ),
        migrations.AddField(
            model_name="requesteddocument",
            name="partnership",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="maca.partnership",
            ),
        ),
    ]
