from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from actions.package import (
    PackageError,
    UnknownPartnership,
    looks_identifying_after_import,
    package_import,
    package_parse,
    package_validate,
    partnership_for_import,
)


class Command(BaseCommand):
    help = "Import an audit from a maca-audit/1 package (JSON). Writes everything or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the package file")
        parser.add_argument(
            "--partnership",
            metavar="NAME",
            help=(
                "the partnership to import into, whatever the package names (without it: the "
                "package's partnership, else the installation's default)"
            ),
        )
        parser.add_argument(
            "--create-partnership",
            action="store_true",
            help="create the partnership when there is none of that name (else that is an error)",
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
            with transaction.atomic():
                data = package_parse(raw)
                package_validate(data)
                into, created = partnership_for_import(
                    data=data, name=partnership, create=options["create_partnership"]
                )
                audit = package_import(data, into=into, publish=publish)
        except UnknownPartnership as error:
            raise CommandError(f"{path}: nothing was imported. {error}") from None
        except PackageError as error:
            lines = [f"{path}: {line}" for line in error.lines()]
            raise CommandError("The package was not imported.\n" + "\n".join(lines)) from None
        except ValidationError as error:
            raise CommandError(f"{path}: $: {'; '.join(error.messages)}") from None
        made = " (created for this import)" if created else ""
        self.stdout.write(f"Into the partnership '{into.name}'{made}.")
        self.stdout.write(f"Imported {audit.theme.name} with {audit.cases.count()} cases.")
        if audit.briefing_published_at:
            self.stdout.write("Published its briefing as version 1.")
        if flagged := looks_identifying_after_import(audit):
            self.stdout.write(flagged)
        self.stdout.write(audit.get_absolute_url())
