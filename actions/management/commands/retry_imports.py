"""Queue again the audit packages still waiting to be imported: run every few minutes."""

import datetime

from django.core.management.base import BaseCommand

from actions.imports import unfinished_imports_retry


class Command(BaseCommand):
    help = (
        "Queue again every audit package still not imported after a while: one whose worker "
        "stopped mid-import. A package already imported is never imported again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=int, default=10, metavar="MINUTES",
            help="Only imports queued at least this many minutes ago (default 10).",
        )  # fmt: skip

    def handle(self, *args, older_than=10, **options):
        count = unfinished_imports_retry(older_than=datetime.timedelta(minutes=older_than))
        self.stdout.write(f"Queued {count} unfinished imports again")
