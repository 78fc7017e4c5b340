from django.http import HttpResponse

from maca import access

from . import briefing


def briefing_html(request, pk):
    audit = access.get_audit_for(request, pk, "view_briefing")
    return HttpResponse(briefing.render_html(audit))


def briefing_pdf(request, pk):
    audit = access.get_audit_for(request, pk, "view_briefing")
    response = HttpResponse(briefing.render_pdf_bytes(audit), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{briefing.pdf_filename(audit)}"'
    return response
