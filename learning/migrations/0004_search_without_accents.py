"""On PostgreSQL, the library is searched without regard to accents ("cafe" finds "café", "Zoe"
finds "Zoë"): a text search configuration, maca_english, reads words through `unaccent` before
English stemming, and every row's vector is made again with it.

`unaccent` is one of PostgreSQL's trusted extensions (13 and newer): the database's owner may
create it. Where MACA's database user is not its owner, an administrator runs
`CREATE EXTENSION unaccent;` in MACA's database before this migration."""

from django.db import migrations

CREATE_CONFIGURATION = """
CREATE EXTENSION IF NOT EXISTS unaccent;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'maca_english') THEN
        CREATE TEXT SEARCH CONFIGURATION maca_english (COPY = english);
        ALTER TEXT SEARCH CONFIGURATION maca_english
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
    END IF;
END
$$;
"""


def configuration(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_CONFIGURATION)


def no_configuration(apps, schema_editor):
    """Back: English stemming as before. The extension stays (an administrator may have made
    it, and other configurations may use it)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    vectors(apps, schema_editor, "english")
    schema_editor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS maca_english")


def vectors_without_accents(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    vectors(apps, schema_editor, "maca_english")


def vectors(apps, schema_editor, configuration: str):
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
        search_vector=SearchVector("text", config=configuration, weight="A")
        + SearchVector(
            Coalesce(Subquery(names), Value(""), output_field=TextField()),
            config=configuration,
            weight="B",
        )
    )


class Migration(migrations.Migration):
    dependencies = [("learning", "0003_tags_in_the_search_vector")]

    operations = [
        migrations.RunPython(configuration, migrations.RunPython.noop),
        migrations.RunPython(vectors_without_accents, no_configuration),
    ]
