import json

from django.core.management.base import BaseCommand, CommandError

from actions.package import package_export
from cases.models import Audit


class Command(BaseCommand):
    help = "Write an audit as a maca-audit/1 package (JSON), to standard output or a file."

    def add_arguments(self, parser):
        parser.add_argument("audit_id", type=int)
        parser.add_argument("--output", "-o", help="file to write instead of standard output")

    def handle(self, *args, audit_id, output=None, **options):
        try:
            audit = Audit.objects.get(pk=audit_id)
        except Audit.DoesNotExist:
            raise CommandError(f"There is no audit {audit_id}.") from None
        text = json.dumps(package_export(audit), indent=2, ensure_ascii=False) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(text, ending="")
