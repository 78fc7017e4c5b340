from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.models import Audit
from findings import services, sevenminute


class Command(BaseCommand):
    help = (
        "Render an audit's 7-minute briefing (the current draft) to a .pdf or .html file, as the "
        "app serves it. An audit whose parts were never written has them drafted from its "
        "briefing first."
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
        parts = services.seven_minute_parts_or_draft(audit)
        if suffix == ".pdf":
            pdf, pages = sevenminute.render_pdf(audit, parts)
            target.write_bytes(pdf)
            if pages != 1:
                part = sevenminute.part_to_shorten(parts)
                self.stderr.write(
                    f"It runs to {pages} pages: shorten part {part.number} ({part.title})."
                )
        else:
            target.write_text(sevenminute.render_html(audit, parts), encoding="utf-8")
        self.stdout.write(f"Wrote {target}")
