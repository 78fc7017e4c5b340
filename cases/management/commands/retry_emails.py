"""Queue again the emails still waiting to be sent: run every few minutes (cron or a timer)."""

import datetime

from django.core.management.base import BaseCommand

from cases.services.emails import waiting_emails_retry


class Command(BaseCommand):
    help = (
        "Queue again every email still waiting to be sent after a few minutes: one whose "
        "sending failed, whose worker stopped mid-task or whose queue did not answer. An email "
        "already sent is never sent again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than", type=int, default=5, metavar="MINUTES",
            help="Only emails waiting at least this many minutes (default 5).",
        )  # fmt: skip

    def handle(self, *args, older_than=5, **options):
        count = waiting_emails_retry(older_than=datetime.timedelta(minutes=older_than))
        self.stdout.write(f"Queued {count} waiting emails again")
