from django.core.management.base import BaseCommand

from learning.indexing import library_rebuild


class Command(BaseCommand):
    help = (
        "Put every audit's latest published briefing into the learning library again: once, "
        "after upgrading to a version with the library (versions published before it are not "
        "in it). Items are read as they are now."
    )

    def handle(self, *args, **options):
        count = library_rebuild()
        self.stdout.write(f"The learning library holds {count} published items.")
