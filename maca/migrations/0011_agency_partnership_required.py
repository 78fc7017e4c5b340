"""Every agency belongs to a partnership, and its name is unique in that partnership only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("maca", "0010_share_unused_agencies"),
    ]

    operations = [
        migrations.AlterField(
            model_name="agency",
            name="partnership",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="agencies",
                to="maca.partnership",
            ),
        ),
        migrations.AddConstraint(
            model_name="agency",
            constraint=models.UniqueConstraint(
                fields=("partnership", "name"), name="agency_name_unique_in_partnership"
            ),
        ),
        migrations.AddConstraint(
            model_name="agency",
            constraint=models.CheckConstraint(
                condition=models.Q(("name", ""), _negated=True), name="agency_name_not_empty"
            ),
        ),
    ]
