import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0014_tag_partnership_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="usagerecord",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
