"""Send the reminder emails that are due: run once a day (cron or a scheduled task)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.services.reminders import due_reminders_send


class Command(BaseCommand):
    help = (
        "Email agency co-ordinators whose chronologies or audit tools are missing, before, on "
        "and after the submission deadline. Each reminder goes to each person once."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be sent; send nothing."
        )
        parser.add_argument(
            "--today", metavar="YYYY-MM-DD", help="Act as if today were this date (for testing)."
        )

    def handle(self, *args, dry_run=False, today=None, **options):
        if today:
            try:
                today = datetime.date.fromisoformat(today)
            except ValueError:
                raise CommandError(
                    f"--today must be a date as YYYY-MM-DD, not {today!r}."
                ) from None
        else:
            today = timezone.localdate()
        result = due_reminders_send(today=today, dry_run=dry_run)
        if dry_run:
            for reminder in result.would_send:
                self.stdout.write(f"Would send “{reminder.subject}” to {reminder.user.email}")
            self.stdout.write(
                f"Dry run: would send {_reminders(len(result.would_send))} "
                f"({result.already_sent} already sent)"
            )
        else:
            self.stdout.write(
                f"Sent {_reminders(result.sent)} ({result.already_sent} already sent)"
            )
            if result.failed:
                self.stderr.write(
                    f"{result.failed} reminders could not be sent; the next run will try again."
                )


def _reminders(count: int) -> str:
    return f"{count} reminder" if count == 1 else f"{count} reminders"
