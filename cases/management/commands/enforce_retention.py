import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cases.services.retention import retention_enforce
from maca.once import used_tokens_delete


class Command(BaseCommand):
    help = (
        "Delete the case-level data of audits closed longer than the retention period "
        "(RETENTION_YEARS), except audits under legal hold, delete the requested documents past "
        "their keeping time, and forget the create forms sent more than a day ago. Run it daily "
        "from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would go; delete nothing"
        )
        parser.add_argument("--today", help="the date to count from, YYYY-MM-DD (default: today)")

    def handle(self, *args, dry_run=False, today=None, **options):
        try:
            day = datetime.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today must be a date like 2026-11-23, not {today!r}.") from None
        report = retention_enforce(today=day, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        for line in report.deleted:
            self.stdout.write(f"{verb}: {line}")
        for line in report.expired:
            self.stdout.write(f"{verb}: {line}")
        for line in report.held:
            self.stdout.write(f"Kept (legal hold): {line}")
        if not report.deleted and not report.expired:
            self.stdout.write("Nothing is due for deletion.")
        if not dry_run and (forgotten := used_tokens_delete()):
            self.stdout.write(f"Forgot {forgotten} create form(s) sent more than a day ago.")
