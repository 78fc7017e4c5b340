"""The re-audit's impact verdicts and its comparison with the original audit."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cases import access
from findings.forms import ImpactForm
from findings.services import impact_verdicts_save
from maca.concurrency import no_lost_updates
from maca.once import one_press

from . import impact


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def impact_page(request, pk):
    """At the re-audit's meeting: for each of the original's recommendations, how we would know
    it worked, whether that is now seen, and the evidence; its actions listed beside it."""
    reaudit = access.get_audit_for(request, pk, "record_impact")
    recommendations = impact.recommendations_with_impact(reaudit.reaudit_of, reaudit)
    verdicts = {r.pk: r.verdict for r in recommendations if r.verdict}
    data = request.POST if request.method == "POST" else None
    form = ImpactForm(data, recommendations=recommendations, verdicts=verdicts, reaudit=reaudit)
    if request.method == "POST" and form.is_valid():
        held = impact_verdicts_save(
            reaudit=reaudit,
            user=request.user,
            verdicts=form.verdicts(),
            confirmed_texts=form.texts_to_confirm,
        )
        messages.success(request, f"Saved. {held} of {len(recommendations)} have a verdict.")
        return redirect("impact", pk=reaudit.pk)
    context = {"audit": reaudit, "original": reaudit.reaudit_of, "form": form, "nav": "audits"}
    return render(request, "actions/impact.html", context, status=422 if form.errors else 200)


def comparison(request, pk):
    reaudit = access.get_audit_for(request, pk, "view_comparison")
    context = {
        **impact.comparison_context(reaudit),
        "allowed": access.allowed_actions(request.user, reaudit),
        "nav": "audits",
    }
    return render(request, "actions/comparison.html", context)


def comparison_pdf(request, pk):
    reaudit = access.get_audit_for(request, pk, "view_comparison")
    if reaudit.reaudit_of_id is None:
        raise Http404("Not a re-audit.")
    response = HttpResponse(impact.render_comparison_pdf(reaudit), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{impact.comparison_filename(reaudit)}"'
    )
    return response
