"""The case page, an agency's chronology for a case, and the integrated chronology."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from cases import access, chronology_pdf, uploads
from cases.forms.chronology import ChronologyEntryForm, ChronologyFileForm, ChronologyRowsForm
from cases.models import Case, ChronologyEntry, ChronologyFile
from cases.selectors import chronology as selectors
from cases.selectors.progress import asked_of, not_asked_message
from cases.services import chronology as services
from maca.concurrency import no_lost_updates
from maca.downloads import attachment_response
from maca.once import one_press
from maca.spreadsheets import csv_response
from maca.wording import possessive

# The case page ------------------------------------------------------------------------------


def case_detail(request, pk, case_id):
    audit = access.get_audit_for(request, pk, "view_audit")
    case = get_object_or_404(
        Case.objects.select_related("nomination").prefetch_related("agencies"),
        pk=case_id,
        audit=audit,
    )
    involved = list(case.agencies.all())
    taking_part = list(audit.agencies.all())
    visible = access.visible_agency_ids(request.user, audit, [a.pk for a in taking_part])
    nomination = case.nomination if hasattr(case, "nomination") else None
    context = {
        "audit": audit,
        "case": case,
        "involved": involved,
        "taking_part": taking_part,
        "work": selectors.case_page(case, visible, taking_part, {a.pk for a in involved}),
        "hidden_count": len(taking_part) - len(visible),
        "can_view_pack": access.can(request.user, "view_meeting_pack", audit),
        "nomination": nomination,
        "show_identifiers": nomination is not None
        and access.can_view_identifiers(request.user, audit, [a.pk for a in involved]),
        "nav": "audits",
    }
    return render(request, "cases/chronology/case_detail.html", context)


# An agency's chronology ---------------------------------------------------------------------


def _agency_scope(request, pk, case_id, agency_id):
    """The audit, case and agency, if the user may see this agency's work on the case."""
    audit = access.get_audit_for(request, pk, "view_audit")
    case = get_object_or_404(Case, pk=case_id, audit=audit)
    case.audit = audit
    agency = get_object_or_404(audit.agencies.all(), pk=agency_id)
    access.require(access.can_view_agency_work(request.user, audit, agency.pk))
    return audit, case, agency


def _refusal(request, audit, case, agency) -> str | None:
    """Why the user may not change this chronology now, or None when they may."""
    if not access.can_edit_agency_work(request.user, audit, agency.pk):
        return (
            f"You can read this chronology, but only {possessive(agency.name)} co-ordinators and "
            "the chair can change it."
        )
    if not audit.accepts_submissions:
        return services.SubmissionsClosed.message
    if not asked_of(case, agency):
        return not_asked_message(case, agency)
    return None


def _refused(request, audit, case, agency, reason):
    context = {"audit": audit, "case": case, "agency": agency, "reason": reason, "nav": "audits"}
    return render(request, "cases/chronology/refused.html", context, status=403)


def _page(request, audit, case, agency, **forms):
    """The agency's chronology page, with any bound form (and its errors) in place."""
    reason = _refusal(request, audit, case, agency)
    context = {
        "audit": audit,
        "case": case,
        "agency": agency,
        "can_edit": reason is None,
        "reason": reason,
        "file_form": ChronologyFileForm(),
        "rows_form": ChronologyRowsForm(),
        "entry_form": ChronologyEntryForm(),
        "row_problems": [],
        "nav": "audits",
        **selectors.agency_chronology(case, agency),
        **forms,
    }
    forms_on_page = (context["file_form"], context["rows_form"], context["entry_form"])
    # The error summary at the top speaks for whichever form was sent back with problems.
    context["form"] = next((f for f in forms_on_page if f.is_bound and f.errors), None)
    status = 200 if context["form"] is None else 422
    return render(request, "cases/chronology/agency_chronology.html", context, status=status)


def _back(audit, case, agency, anchor=""):
    url = reverse("agency_chronology", args=[audit.pk, case.pk, agency.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def agency_chronology(request, pk, case_id, agency_id):
    audit, case, agency = _agency_scope(request, pk, case_id, agency_id)
    return _page(request, audit, case, agency)


@require_POST
@one_press
def chronology_file_upload(request, pk, case_id, agency_id):
    audit, case, agency = _agency_scope(request, pk, case_id, agency_id)
    if reason := _refusal(request, audit, case, agency):
        return _refused(request, audit, case, agency, reason)
    form = ChronologyFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = services.chronology_file_upload(
                case=case,
                agency=agency,
                user=request.user,
                uploaded_file=form.cleaned_data["document"],
            )
        except services.SubmissionsClosed as refusal:
            return _refused(request, audit, case, agency, str(refusal))
        except ValidationError as error:
            form.add_error("document", error)
        else:
            messages.success(
                request, f"“{document.original_name}” is now the current chronology document."
            )
            if document.kind in (uploads.CSV, uploads.XLSX):
                messages.info(
                    request,
                    "A spreadsheet kept as a document is not read. If it lists your events, add "
                    "it under “Structured chronology” with “Add rows from file” too: only rows "
                    "join the case's integrated chronology.",
                )
            return _back(audit, case, agency, "document")
    return _page(request, audit, case, agency, file_form=form)


@require_POST
@one_press
def chronology_rows_import(request, pk, case_id, agency_id):
    audit, case, agency = _agency_scope(request, pk, case_id, agency_id)
    if reason := _refusal(request, audit, case, agency):
        return _refused(request, audit, case, agency, reason)
    form = ChronologyRowsForm(request.POST, request.FILES)
    problems = []
    if form.is_valid():
        try:
            entries = services.chronology_rows_import(
                case=case,
                agency=agency,
                user=request.user,
                uploaded_file=form.cleaned_data["rows_file"],
                if_already_there=form.cleaned_data.get("if_already_there", ""),
            )
        except services.SubmissionsClosed as refusal:
            return _refused(request, audit, case, agency, str(refusal))
        except services.RowsAlreadyThere as error:
            asked = {"asking": True, "nothing_new": not error.new}
            form = ChronologyRowsForm(request.POST, request.FILES, **asked)
            form.is_valid()  # which asks for the choice next to it
            form.add_error("rows_file", error.message)
        except services.RowProblems as error:
            problems = error.problems
            form.add_error("rows_file", error.message)
        except ValidationError as error:
            form.add_error("rows_file", error)
        else:
            count = len(entries)
            messages.success(request, f"{count:,} row{'' if count == 1 else 's'} added.")
            return _back(audit, case, agency, "rows")
    return _page(request, audit, case, agency, rows_form=form, row_problems=problems)


@require_POST
@one_press
@no_lost_updates
def chronology_entry_add(request, pk, case_id, agency_id):
    audit, case, agency = _agency_scope(request, pk, case_id, agency_id)
    if reason := _refusal(request, audit, case, agency):
        return _refused(request, audit, case, agency, reason)
    form = ChronologyEntryForm(request.POST)
    if form.is_valid():
        try:
            entry = services.chronology_entry_save(
                case=case, agency=agency, user=request.user, **form.service_fields()
            )
        except services.SubmissionsClosed as refusal:
            return _refused(request, audit, case, agency, str(refusal))
        except services.RowHoldsIdentifiers as refusal:
            for field, message in refusal.fields.items():
                form.add_error(field, message)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, "Row added.")
            return _back(audit, case, agency, f"entry-{entry.pk}")
    return _page(request, audit, case, agency, entry_form=form)


def _entry(case, agency, entry_id):
    return get_object_or_404(ChronologyEntry, pk=entry_id, case=case, agency=agency)


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def chronology_entry_edit(request, pk, case_id, agency_id, entry_id):
    """Change a row: on its own page, or in place in the rows table when htmx asks."""
    audit, case, agency = _agency_scope(request, pk, case_id, agency_id)
    entry = _entry(case, agency, entry_id)
    if reason := _refusal(request, audit, case, agency):
        return _refused(request, audit, case, agency, reason)
    inline = bool(getattr(request, "htmx", False))
    # In place, the form's ids must not clash with the "Add a row" form on the same page.
    auto_id = f"id_entry{entry.pk}_%s" if inline else "id_%s"
    if request.method == "POST":
        form = ChronologyEntryForm(request.POST, entry=entry, auto_id=auto_id)
    else:
        form = ChronologyEntryForm(entry=entry, auto_id=auto_id)
    if form.is_bound and form.is_valid():
        try:
            saved = services.chronology_entry_save(
                case=case, agency=agency, user=request.user, entry=entry, **form.service_fields()
            )
        except services.SubmissionsClosed as refusal:
            return _refused(request, audit, case, agency, str(refusal))
        except services.RowHoldsIdentifiers as refusal:
            for field, message in refusal.fields.items():
                form.add_error(field, message)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return _entry_saved(request, audit, case, agency, saved, inline=inline)
    context = {"audit": audit, "case": case, "agency": agency, "entry": entry, "form": form}
    if inline:
        return render(request, "cases/chronology/_entry_edit_row.html", context)
    return render(request, "cases/chronology/entry_form.html", {**context, "nav": "audits"})


def _entry_saved(request, audit, case, agency, entry, *, inline: bool):
    """In place, the row as it now reads; on its own page, back to the rows. Both say so."""
    messages.success(request, "Row saved.")
    if inline:
        context = {"audit": audit, "case": case, "agency": agency, "entry": entry}
        return render(request, "cases/chronology/_entry_row.html", {**context, "can_edit": True})
    return _back(audit, case, agency, f"entry-{entry.pk}")


@require_http_methods(["GET", "POST"])
@one_press
def chronology_entry_delete(request, pk, case_id, agency_id, entry_id):
    audit, case, agency = _agency_scope(request, pk, case_id, agency_id)
    entry = _entry(case, agency, entry_id)
    if reason := _refusal(request, audit, case, agency):
        return _refused(request, audit, case, agency, reason)
    if request.method == "POST":
        try:
            services.chronology_entry_delete(entry=entry, user=request.user)
        except services.SubmissionsClosed as refusal:
            return _refused(request, audit, case, agency, str(refusal))
        messages.success(request, "Row deleted.")
        return _back(audit, case, agency, "rows")
    context = {"audit": audit, "case": case, "agency": agency, "entry": entry, "nav": "audits"}
    return render(request, "cases/chronology/entry_confirm_delete.html", context)


# Files out ----------------------------------------------------------------------------------


def chronology_file_download(request, pk, file_id):
    audit = access.get_audit_for(request, pk, "view_audit")
    document = get_object_or_404(ChronologyFile, pk=file_id, case__audit=audit)
    access.require(access.can_view_agency_work(request.user, audit, document.agency_id))
    return uploads.download_response(document)


def chronology_template(request, pk, fmt):
    audit = access.get_audit_for(request, pk, "view_audit")
    name = f"{slugify(audit.theme.name) or 'audit'}-chronology-template.{fmt}"
    if fmt == "csv":
        rows = [services.TEMPLATE_HEADINGS, services.TEMPLATE_EXAMPLE]
        return csv_response(rows, filename=name)
    if fmt != "xlsx":
        raise Http404("No such format.")
    return attachment_response(
        _template_xlsx(), filename=name, content_type=uploads.CONTENT_TYPES["xlsx"]
    )


def _template_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Chronology"
    sheet.append(services.TEMPLATE_HEADINGS)
    sheet.append(services.TEMPLATE_EXAMPLE)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (16, 60, 24, 12, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    # Dates typed as text ("11/2026") stay as typed rather than becoming 1 November 2026.
    sheet.column_dimensions["A"].number_format = "@"
    sheet["A2"].number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# The integrated chronology ------------------------------------------------------------------


def _integrated(request, pk, case_id):
    audit = access.get_audit_for(request, pk, "view_meeting_pack")
    case = get_object_or_404(Case, pk=case_id, audit=audit)
    agency_ids, impacts = chronology_pdf.chosen_filters(
        audit, request.GET.getlist("agency"), request.GET.getlist("impact")
    )
    context = chronology_pdf.integrated_context(
        audit,
        case,
        agency_ids=agency_ids,
        impacts=impacts,
        page_number=request.GET.get("page", "1"),
    )
    return {**context, "nav": "audits"}


def integrated_chronology(request, pk, case_id):
    context = _integrated(request, pk, case_id)
    return render(request, "cases/chronology/integrated.html", context)
