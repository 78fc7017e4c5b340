import time
from argparse import ArgumentTypeError
from pathlib import Path

from django.conf import settings
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

# How often the command asks whether the worker has finished the import; after how long with
# the import not started it says that no worker seems to be running.
WAIT_SECONDS = 1
NOT_STARTED_HINT_SECONDS = 30


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
        parser.add_argument(
            "--wait-minutes",
            type=_positive_minutes,
            default=10,
            metavar="N",
            help="stop waiting after N minutes (default 10); the import stays queued",
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
        self._report(path, self._wait(job, minutes=options["wait_minutes"]))

    def _read(self, path) -> bytes:
        try:
            return Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: cannot read the file ({error.strerror}).") from None

    def _wait(self, job: PackageImport, *, minutes: float) -> PackageImport:
        """The job once finished; a CommandError when it is not within `minutes` or the operator
        stops waiting (Ctrl+C). Either way the import stays queued for the worker."""
        if job.finished:
            return job
        self.stderr.write(f"Waiting for the worker to import it (import {job.pk}).")
        started = time.monotonic()
        hinted = False
        try:
            while not job.finished:
                waited = time.monotonic() - started
                if waited >= minutes * 60:
                    raise _still_queued(job, f"The worker has not finished it in {minutes:g} min.")
                time.sleep(WAIT_SECONDS)
                job.refresh_from_db()
                waiting = job.status == PackageImport.Status.WAITING
                if waiting and not hinted and waited >= NOT_STARTED_HINT_SECONDS:
                    self.stderr.write(NO_WORKER_HINT)
                    hinted = True
        except KeyboardInterrupt:
            raise _still_queued(job, "Stopped waiting.") from None
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
        # An agency of the package named as none of the partnership's is added to it: the
        # names are listed so that one added beside its own (Police, Eastvale Police) is seen.
        names = ", ".join(audit.agencies.order_by("name").values_list("name", flat=True))
        self.stdout.write(f"Agencies taking part: {names or 'none'}.")
        if audit.briefing_published_at:
            self.stdout.write("Published its briefing as version 1.")
        if flagged := looks_identifying_after_import(audit):
            self.stdout.write(flagged)
        self.stdout.write(settings.SITE_URL + audit.get_absolute_url())


NO_WORKER_HINT = (
    "No worker has started it yet: is `manage.py db_worker` running? (With TASKS_BACKEND="
    "immediate there is no worker to run: imports are done at once.)"
)


def _positive_minutes(text: str) -> float:
    try:
        minutes = float(text)
    except ValueError:
        minutes = 0
    if not 0 < minutes <= 24 * 60:
        raise ArgumentTypeError("give a number of minutes from 0 to 1440, such as 10 or 0.5")
    return minutes


def _still_queued(job: PackageImport, why: str) -> CommandError:
    return CommandError(
        f"{why} Import {job.pk} stays queued: the worker imports it when it runs "
        "(`manage.py db_worker`), and `manage.py import_audit --no-wait` queues without waiting."
    )


def _not_imported(path, lines: list[str]) -> CommandError:
    return CommandError(
        "The package was not imported.\n" + "\n".join(f"{path}: {line}" for line in lines)
    )
