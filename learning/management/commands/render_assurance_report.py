import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from learning import report
from maca.models import Partnership
from maca.wording import counted


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date written as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Write the board's assurance report for a partnership and period as PDF or Word, from "
        "published briefings and plans only (as the partnership's viewers read them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partnership", required=True, help="the partnership's name")
        parser.add_argument("--from", dest="start", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="YYYY-MM-DD")
        parser.add_argument("--output", required=True, help="FILE.pdf or FILE.docx")

    def handle(self, *args, partnership, start, end, output, **options):
        start, end = _day(start), _day(end)
        if end < start:
            raise CommandError("--to must be on or after --from.")
        path = Path(output)
        kind = path.suffix.lower().lstrip(".")
        if kind not in ("pdf", "docx"):
            raise CommandError("--output must end in .pdf or .docx.")
        found = Partnership.objects.filter(name=partnership.strip()).first()
        if found is None:
            raise CommandError(f"No partnership is called {partnership!r}.")
        context = report.assurance_context(
            report.PartnershipReader(found), partnership=found, start=start, end=end
        )
        render = report.render_pdf_bytes if kind == "pdf" else report.render_docx_bytes
        try:
            path.write_bytes(render(context))
        except OSError as error:
            raise CommandError(f"{output}: cannot write the file ({error.strerror}).") from None
        self.stdout.write(
            f"Wrote {output}: {counted(len(context['audits']), 'audit')} held {context['period']}."
        )
