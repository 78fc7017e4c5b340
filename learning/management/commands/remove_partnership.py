"""Delete a partnership that has left the hosted service, and everything of it."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from learning.leaving import LeftBehind, RowsOfOthers, partnership_removal, partnership_remove
from learning.models import PartnershipRemoval
from maca.management.partnerships import partnership_named


class Command(BaseCommand):
    help = (
        "Delete a partnership and everything of it: its audits and all their data, its people's "
        "roles, invitations, agencies, tags, settings, logo, stored files, history and access "
        "log. Export it first (export_partnership). Without --confirm giving its exact name, "
        "only says what would be deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partnership", required=True, metavar="NAME")
        parser.add_argument(
            "--confirm", metavar="EXACT NAME", help="the partnership's name exactly as it is"
        )

    def handle(self, *args, partnership, confirm=None, **options):
        chosen = partnership_named(partnership)
        if chosen is None:
            removed = PartnershipRemoval.objects.filter(
                partnership_name__iexact=partnership.strip()
            )
            when = removed.values_list("removed_at", flat=True).first()
            self.stdout.write(
                f"No partnership is named '{partnership}': nothing to remove"
                + (f" (it was removed on {when:%d %B %Y})." if when else " (removed already?).")
            )
            return
        if confirm != chosen.name:
            self._refuse(chosen)
        try:
            removal = partnership_remove(partnership=chosen)
        except (ValidationError, RowsOfOthers, LeftBehind) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None
        if removal is None:
            self.stdout.write(f"'{chosen.name}' was removed already: nothing to remove.")
            return
        self.stdout.write(f"Removed '{removal.partnership}'. Deleted:")
        self._list(removal.lines())
        if left := removal.files_left():
            raise CommandError(
                f"{len(left)} stored files could not be deleted (is the file store answering?); "
                "delete them by hand: " + ", ".join(left)
            )

    def _refuse(self, chosen) -> None:
        removal = partnership_removal(partnership=chosen)
        self.stdout.write(f"Removing '{chosen.name}' would delete:")
        self._list(removal.lines())
        for held in removal.held:
            self.stdout.write(f"Under legal hold, so refused until lifted: {held}")
        raise CommandError(
            f'Nothing was deleted. To delete it, give its name exactly: --confirm "{chosen.name}"'
        )

    def _list(self, lines: list[str]) -> None:
        for line in lines:
            self.stdout.write(f"  {line}")
