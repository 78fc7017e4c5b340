from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.models import Audit
from findings import briefing


class Command(BaseCommand):
    help = (
        "Render an audit's 6-step briefing to a .pdf or .html file, exactly as the app serves it."
    )

    def add_arguments(self, parser):
        parser.add_argument("audit_id", type=int)
        parser.add_argument("--output", "-o", required=True, help="a .pdf or .html file")

    def handle(self, *args, audit_id, output, **options):
        target = Path(output)
        suffix = target.suffix.lower()
        if suffix not in {".pdf", ".html"}:
            raise CommandError(f"{output}: the file name must end in .pdf or .html.")
        try:
            audit = Audit.objects.select_related("theme", "partnership").get(pk=audit_id)
        except Audit.DoesNotExist:
            raise CommandError(f"There is no audit {audit_id}.") from None
        if suffix == ".pdf":
            target.write_bytes(briefing.render_pdf_bytes(audit))
        else:
            target.write_text(briefing.render_html(audit), encoding="utf-8")
        self.stdout.write(f"Wrote {target}")
