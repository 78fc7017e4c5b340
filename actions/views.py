from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from maca import access

from .forms import PackageUploadForm
from .package import PackageError, import_package, parse_package


def audit_import(request):
    """A partnership's chair brings a past audit into the record from a maca-audit/1 package."""
    partnerships = access.chaired_partnerships(request.user)
    if not partnerships.exists():
        raise Http404("Not found.")
    problems = []
    if request.method == "POST":
        form = PackageUploadForm(request.POST, request.FILES, partnerships=partnerships)
        if form.is_valid():
            try:
                data = parse_package(form.cleaned_data["package"].read())
                audit = import_package(data, into=form.cleaned_data["partnership"])
            except PackageError as error:
                problems = error.problems
            else:
                messages.success(request, f"Imported {audit.theme.name} with its briefing.")
                return redirect(audit)
    else:
        form = PackageUploadForm(partnerships=partnerships)
    context = {"form": form, "problems": problems, "nav": "audits"}
    status = 422 if (problems or form.errors) else 200
    return render(request, "actions/audit_import.html", context, status=status)
