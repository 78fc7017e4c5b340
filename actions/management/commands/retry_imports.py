"""Queue again the audit packages still waiting to be imported, and delete the outcomes of
finished ones after a day: run every few minutes."""

import datetime

from django.core.management.base import BaseCommand

from actions.imports import finished_imports_forget, unfinished_imports_retry


class Command(BaseCommand):
    help = (
        "Queue again every audit package still not imported after a while: one whose worker "
        "stopped mid-import. A package already imported is never imported again. "
        "Then delete the outcomes of imports finished over a day ago."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=int, default=10, metavar="MINUTES",
            help="Only imports queued at least this many minutes ago (default 10).",
        )  # fmt: skip

    def handle(self, *args, older_than=10, **options):
        # First: outcomes may quote the package, and a queue that is down must not keep them.
        forgotten = finished_imports_forget()
        self.stdout.write(f"Deleted {forgotten} outcomes of imports finished over a day ago")
        count = unfinished_imports_retry(older_than=datetime.timedelta(minutes=older_than))
        self.stdout.write(f"Queued {count} unfinished imports again")
