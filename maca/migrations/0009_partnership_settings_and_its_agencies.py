"""A partnership's own settings and logo, the partnership administrator's role, and agencies
that belong to a partnership. The agencies that memberships name go to those memberships'
partnerships here; each app above re-points its own rows in its next migration (each declares
that it runs before 0008, which then makes the partnership required)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import maca.models

from ._tenancy import Split, repoint_foreign_key


def give_agencies_to_their_members_partnerships(apps, schema_editor):
    split = Split(apps, "maca", "Agency")
    Membership = apps.get_model("maca", "Membership")
    repoint_foreign_key(split, Membership, "agency", "partnership_id")
    Invitation = apps.get_model("maca", "Invitation")
    repoint_foreign_key(split, Invitation, "agency", "partnership_id")


class Migration(migrations.Migration):
    dependencies = [
        ("maca", "0008_used_form_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="partnership",
            name="protective_marking",
            field=models.CharField(
                blank=True,
                default="OFFICIAL-SENSITIVE",
                help_text="Given to each new audit, printed on every page of its documents.",
                max_length=100,
            ),
        ),
        migrations.AddField(
            model_name="partnership",
            name="standard_theme_and_cases",
            field=models.TextField(
                blank=True,
                help_text="One point a line, copied into each new audit's briefing.",
                max_length=5000,
                verbose_name="standard Theme / Cases points",
            ),
        ),
        migrations.AddField(
            model_name="partnership",
            name="standard_process",
            field=models.TextField(
                blank=True,
                help_text="One point a line, copied into each new audit's briefing.",
                max_length=5000,
                verbose_name="standard Process points",
            ),
        ),
        migrations.AddField(
            model_name="partnership",
            name="heading_theme_and_cases",
            field=models.CharField(default="Theme / Cases", max_length=200),
        ),
        migrations.AddField(
            model_name="partnership",
            name="heading_process",
            field=models.CharField(default="Process", max_length=200),
        ),
        migrations.AddField(
            model_name="partnership",
            name="heading_strengths",
            field=models.CharField(default="Strengths identified per case", max_length=200),
        ),
        migrations.AddField(
            model_name="partnership",
            name="heading_findings",
            field=models.CharField(default="Findings identified per case", max_length=200),
        ),
        migrations.AddField(
            model_name="partnership",
            name="heading_good_practice",
            field=models.CharField(
                default="Good Practice and Evidence as a Result of this Audit and similar Reviews",
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="partnership",
            name="heading_recommendations",
            field=models.CharField(
                default="Recommendations – Issues Identified Across Multiple Cases",
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="partnership",
            name="logo",
            field=models.FileField(
                blank=True, editable=False, max_length=300, upload_to=maca.models.logo_path
            ),
        ),
        migrations.AddField(
            model_name="partnership",
            name="logo_kind",
            field=models.CharField(blank=True, editable=False, max_length=10),
        ),
        migrations.AddField(
            model_name="partnership",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[
                    ("chair", "Chair"),
                    ("qa_member", "QA member"),
                    ("coordinator", "Agency co-ordinator"),
                    ("viewer", "Viewer"),
                    ("partnership_admin", "Partnership administrator"),
                ],
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="agency",
            name="name",
            field=models.CharField(max_length=200),
        ),
        migrations.AddField(
            model_name="agency",
            name="partnership",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="agencies",
                to="maca.partnership",
            ),
        ),
        migrations.AddField(
            model_name="agency",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.RunPython(give_agencies_to_their_members_partnerships, migrations.RunPython.noop),
    ]
