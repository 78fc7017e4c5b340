import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from actions.imports import package_import_queue
from actions.models import PackageImport
from actions.package import (
    PackageError,
    UnknownPartnership,
    looks_identifying_after_import,
    package_parse,
    partnership_chosen,
    unknown_partnership,
)

# How often the command asks whether the worker has finished the import.
WAIT_SECONDS = 1


class Command(BaseCommand):
    help = (
        "Import an audit from a maca-audit/1 package (JSON). Writes everything or nothing. The "
        "background worker imports it; the command waits for it unless --no-wait is given."
    )

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
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="only queue the import and print its number; the worker imports it later",
        )

    def handle(self, *args, path, partnership=None, publish=False, no_wait=False, **options):
        create = options["create_partnership"]
        raw = self._read(path)
        try:
            data = package_parse(raw)
            into, chosen = partnership_chosen(data=data, name=partnership)
            if into is None and not create:
                raise unknown_partnership(chosen)
        except UnknownPartnership as error:
            raise CommandError(f"{path}: nothing was imported. {error}") from None
        except PackageError as error:
            raise _not_imported(path, error.lines()) from None
        try:
            job = package_import_queue(
                content=raw,
                original_name=Path(path).name,
                partnership=into,
                partnership_name="" if into else chosen,
                create_partnership=into is None,
                publish=publish,
            )
        except ValidationError as error:
            raise CommandError(f"{path}: {' '.join(error.messages)}") from None
        if no_wait:
            made = " (to be created for this import)" if into is None else ""
            self.stdout.write(f"Into the partnership '{into.name if into else chosen}'{made}.")
            self.stdout.write(f"Queued as import {job.pk}: the worker imports it.")
            return
        self._report(path, self._wait(job))

    def _read(self, path) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: cannot read the file ({error.strerror}).") from None

    def _wait(self, job: PackageImport) -> PackageImport:
        if not job.finished:
            self.stderr.write(f"Waiting for the worker to import it (import {job.pk}).")
        while not job.finished:
            time.sleep(WAIT_SECONDS)
            job.refresh_from_db()
        return job

    def _report(self, path, job: PackageImport) -> None:
        if job.status == PackageImport.Status.FAILED:
            if not job.problems:
                raise CommandError(f"{path}: the package could not be imported (see the log).")
            lines = [f"{location}: {message}" for location, message in job.problems]
            raise _not_imported(path, lines + ([job.more_line()] if job.more_problems else []))
        audit = job.audit
        made = " (created for this import)" if job.partnership_created else ""
        self.stdout.write(f"Into the partnership '{job.partnership.name}'{made}.")
        self.stdout.write(f"Imported {audit.theme.name} with {audit.cases.count()} cases.")
        if audit.briefing_published_at:
            self.stdout.write("Published its briefing as version 1.")
        if flagged := looks_identifying_after_import(audit):
            self.stdout.write(flagged)
        self.stdout.write(audit.get_absolute_url())


def _not_imported(path, lines: list[str]) -> CommandError:
    return CommandError(
        "The package was not imported.\n" + "\n".join(f"{path}: {line}" for line in lines)
    )
