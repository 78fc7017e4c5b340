"""Hand a partnership its data: every audit as a maca-audit/1 package, and its access log."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from learning.leaving import partnership_export
from maca.management.partnerships import partnership_required


class Command(BaseCommand):
    help = (
        "Write every audit of a partnership as a maca-audit/1 package (one JSON file each, named "
        "so that they sort by date), its access log as CSV, a manifest and a README, into a new "
        "or empty folder: what the partnership is handed when it leaves."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partnership", required=True, metavar="NAME")
        parser.add_argument("--output", required=True, metavar="DIR", help="a new or empty folder")

    def handle(self, *args, partnership, output, **options):
        chosen = partnership_required(partnership)
        try:
            export = partnership_export(partnership=chosen, directory=output)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except OSError as error:
            raise CommandError(f"Nothing was written: {error}.") from None
        self.stdout.write(
            f"Wrote {len(export.files)} audits of '{chosen.name}' and "
            f"{export.access_log_entries:,} access log entries to {export.directory}: "
            "README.txt says what is there."
        )
