"""On PostgreSQL, each library row's search vector holds its tags' names too (weighing less
than its words), as rows indexed from now on do."""

from django.db import migrations


def vectors_with_tags(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.contrib.postgres.aggregates import StringAgg
    from django.contrib.postgres.search import SearchVector
    from django.db.models import OuterRef, Subquery, TextField, Value
    from django.db.models.functions import Coalesce

    LibraryEntry = apps.get_model("learning", "LibraryEntry")
    names = (
        LibraryEntry.tags.through.objects.filter(libraryentry_id=OuterRef("pk"))
        .values("libraryentry_id")
        .annotate(names=StringAgg("tag__name", " "))
        .values("names")
    )
    LibraryEntry.objects.update(
        search_vector=SearchVector("text", config="english", weight="A")
        + SearchVector(
            Coalesce(Subquery(names), Value(""), output_field=TextField()),
            config="english",
            weight="B",
        )
    )


class Migration(migrations.Migration):
    dependencies = [("learning", "0002_agencies_and_tags_of_partnerships")]

    operations = [migrations.RunPython(vectors_with_tags, migrations.RunPython.noop)]
