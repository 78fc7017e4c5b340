"""Every learning tag belongs to a partnership; its slug is unique in that partnership."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0013_share_unused_learning_tags"),
    ]

    operations = [
        migrations.AlterField(
            model_name="tag",
            name="partnership",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tags",
                to="maca.partnership",
            ),
        ),
        migrations.AddConstraint(
            model_name="tag",
            constraint=models.UniqueConstraint(
                fields=("partnership", "slug"), name="tag_slug_unique_in_partnership"
            ),
        ),
    ]
