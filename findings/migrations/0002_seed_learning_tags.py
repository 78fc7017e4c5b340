from django.db import migrations
from django.utils.text import slugify

# The learning themes partnerships use in multi-agency case audits; the chair can add more.
LEARNING_TAGS = [
    "drift and delay",
    "management oversight and supervision",
    "contingency planning",
    "disguised compliance",
    "voice of the child",
    "Think Family",
    "use of chronologies",
    "escalation",
    "information sharing",
    "domestic abuse",
    "neglect",
    "housing",
    "parental mental health",
    "substance misuse",
    "child exploitation",
    "missing children",
    "trauma-informed practice",
]


def seed(apps, schema_editor):
    Tag = apps.get_model("findings", "Tag")
    for name in LEARNING_TAGS:
        if not Tag.objects.filter(name__iexact=name).exists():
            Tag.objects.create(name=name, slug=slugify(name))


class Migration(migrations.Migration):
    dependencies = [("findings", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
