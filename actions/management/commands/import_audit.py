from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from actions.package import (
    PackageError,
    looks_identifying_after_import,
    package_import,
    package_parse,
)


class Command(BaseCommand):
    help = "Import an audit from a maca-audit/1 package (JSON). Writes everything or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the package file")
        parser.add_argument(
            "--partnership",
            help="the partnership to import into when the package names none",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="publish the briefing (and its plan) as version 1, dated from the meeting date",
        )

    def handle(self, *args, path, partnership=None, publish=False, **options):
        try:
            raw = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: cannot read the file ({error.strerror}).") from None
        try:
            audit = package_import(
                package_parse(raw), partnership_name=partnership, publish=publish
            )
        except PackageError as error:
            lines = [f"{path}: {line}" for line in error.lines()]
            raise CommandError("The package was not imported.\n" + "\n".join(lines)) from None
        except ValidationError as error:
            raise CommandError(f"{path}: $: {'; '.join(error.messages)}") from None
        self.stdout.write(f"Imported {audit.theme.name} with {audit.cases.count()} cases.")
        if audit.briefing_published_at:
            self.stdout.write("Published its briefing as version 1.")
        if flagged := looks_identifying_after_import(audit):
            self.stdout.write(flagged)
        self.stdout.write(audit.get_absolute_url())
