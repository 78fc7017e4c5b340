from django.core.management.base import BaseCommand

from learning.indexing import library_rebuild


class Command(BaseCommand):
    help = (
        "Put every audit's latest published briefing into the learning library again: once, "
        "after upgrading to a version with the library (versions published before it are not "
        "in it). A version keeps its items while each reads as it did when the version was "
        "published. Any other is read as it is now, and only when its briefing, learning "
        "summary and actions read as they did when it was published: an audit changed since "
        "is left out, its items taken out, until it is published again."
    )

    def handle(self, *args, **options):
        count, left_out = library_rebuild()
        self.stdout.write(f"The learning library holds {count} published items.")
        if left_out:
            audits = (
                "audit changed since its latest version was"
                if left_out == 1
                else ("audits changed since their latest version were")
            )
            self.stdout.write(
                f"{left_out} {audits} left out: publish the briefing again to put it in."
            )
