"""The 7-minute briefing's pages and files, and the records of where the briefing was used."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from cases import access
from maca.concurrency import (
    FIELD,
    NOTHING_CHANGED,
    VALUES,
    no_lost_updates,
    version_of,
    was_loaded_with,
)
from maca.downloads import DOCX, attachment_response
from maca.models import DEFAULT_MARKING, Agency
from maca.once import AlreadyAdded, one_press
from maca.spreadsheets import csv_response, xlsx_response

from . import services, sevenminute, usage
from .forms import SevenMinuteForm, UsageEditForm, UsageForm
from .models import SevenMinuteBriefing, UsageRecord
from .word import render_seven_minute_docx

ALREADY_RECORDED = "This session was already recorded: it is not recorded twice."


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    return attachment_response(content, filename=filename, content_type=content_type)


def _saved(audit) -> SevenMinuteBriefing | None:
    return SevenMinuteBriefing.objects.filter(audit=audit).first()


def _draft_parts(audit, record: SevenMinuteBriefing | None) -> dict[str, str]:
    """The draft as saved; before its first save, parts 6 and 7 as its form starts them."""
    if record is None:
        return {**sevenminute.parts_of(None), **sevenminute.standard_parts(audit.partnership)}
    return sevenminute.parts_of(record)


def _published_or_404(audit, number=None):
    versions = audit.briefing_versions.exclude(seven_minute_sha256="")
    version = versions.filter(number=number).first() if number else versions.first()
    if version is None:
        raise Http404("No 7-minute briefing has been published for this audit.")
    return version


def seven_minute(request, pk):
    """The draft for members; readers of published briefings get the latest published one."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    if not access.can(request.user, "view_draft_briefing", audit):
        version = audit.briefing_versions.exclude(seven_minute_sha256="").only("number").first()
        if version is None:
            messages.info(request, "No 7-minute briefing has been published for this audit yet.")
            return redirect("briefing_versions", pk=audit.pk)
        return redirect("seven_minute_version", pk=audit.pk, number=version.number)
    saved = _saved(audit)
    page = sevenminute.render_html(
        audit,
        _draft_parts(audit, saved),
        can_edit=access.can(request.user, "write_seven_minute", audit),
        can_record_use=access.can(request.user, "record_usage", audit),
        unsaved=saved is None,
    )
    return HttpResponse(page)


def seven_minute_pdf(request, pk):
    audit = access.get_audit_for(request, pk, "view_briefing")
    if not access.can(request.user, "view_draft_briefing", audit):
        version = _published_or_404(audit)
        return redirect("seven_minute_version_pdf", pk=audit.pk, number=version.number)
    pdf, _ = sevenminute.render_pdf(audit, _draft_parts(audit, _saved(audit)))
    return _download(pdf, "application/pdf", sevenminute.filename(audit, "pdf"))


def seven_minute_docx(request, pk):
    audit = access.get_audit_for(request, pk, "view_draft_briefing")
    docx = render_seven_minute_docx(audit, _draft_parts(audit, _saved(audit)))
    return _download(docx, DOCX, sevenminute.filename(audit, "docx"))


def seven_minute_version(request, pk, number):
    audit = access.get_audit_for(request, pk, "view_briefing")
    return HttpResponse(_published_or_404(audit, number).seven_minute_html)


def seven_minute_version_pdf(request, pk, number):
    audit = access.get_audit_for(request, pk, "view_briefing")
    version = _published_or_404(audit, number)
    filename = sevenminute.filename(audit, "pdf", number)
    return _download(bytes(version.seven_minute_pdf), "application/pdf", filename)


def seven_minute_version_docx(request, pk, number):
    audit = access.get_audit_for(request, pk, "view_briefing")
    version = _published_or_404(audit, number)
    frozen = {"number": version.number, "published_at": version.published_at}
    docx = render_seven_minute_docx(audit, version.seven_minute_parts, version=frozen)
    return _download(docx, DOCX, sevenminute.filename(audit, "docx", number))


@one_press
@no_lost_updates
def seven_minute_edit(request, pk):
    audit = access.get_audit_for(request, pk, "write_seven_minute")
    record = SevenMinuteBriefing.objects.filter(audit=audit).first()
    can_set_standard = access.can(request.user, "manage_audit", audit)
    data = request.POST if request.method == "POST" else None
    form = SevenMinuteForm(data, instance=record, audit=audit, can_set_standard=can_set_standard)
    if request.method == "POST" and form.is_valid():
        services.seven_minute_save(
            audit=audit,
            parts=form.cleaned_data,
            confirmed_texts=form.texts_to_confirm,
            user=request.user,
        )
        if form.cleaned_data.get("make_standard"):
            services.partnership_seven_minute_text_update(
                partnership=audit.partnership,
                questions=form.cleaned_data["questions"],
                find_out_more=form.cleaned_data["find_out_more"],
            )
        messages.success(request, "The 7-minute briefing was saved.")
        return redirect("seven_minute_edit", pk=audit.pk)
    context = {
        "audit": audit,
        "form": form,
        "record": record,
        "parts": sevenminute.written_parts(sevenminute.parts_of(record)),
        "nav": "audits",
    }
    return render(request, "findings/seven/edit.html", context, status=422 if form.errors else 200)


@require_POST
@one_press
@no_lost_updates
def seven_minute_draft(request, pk):
    audit = access.get_audit_for(request, pk, "write_seven_minute")
    typed = {name: request.POST.get(name, "") for name in sevenminute.PART_FIELDS}
    # The first draft's button sends the form it sits in: a 7-minute briefing saved since that
    # form was drawn (in another tab) is not replaced by its press.
    saved_since = FIELD in request.POST and SevenMinuteBriefing.objects.filter(audit=audit).exists()
    # Parts 6 and 7 as the form offered them, the partnership's standard text, are not typed.
    own = [t for n, t in typed.items() if not sevenminute.as_standard(n, t, audit.partnership)]
    if saved_since or any(text.strip() for text in own):
        return _drafted_around(request, audit, typed)
    services.seven_minute_draft(audit=audit)
    messages.success(
        request, "Parts 1 to 5 were drafted from the briefing. Read them through and edit them."
    )
    return redirect("seven_minute_edit", pk=audit.pk)


def _drafted_around(request, audit, typed: dict[str, str]):
    """A first draft asked for with words already typed: the parts left empty are drafted from
    the briefing (6 and 7 from the partnership's standard text) into the form, the typed ones
    kept, and nothing is saved until Save. Saved meanwhile in another tab, the 7-minute
    briefing is not overwritten: Save then shows what differs, keeping what is typed."""
    partnership = audit.partnership
    drafted = {**sevenminute.drafted_parts(audit), **sevenminute.standard_parts(partnership)}
    parts = {name: text if text.strip() else drafted.get(name, "") for name, text in typed.items()}
    can_set_standard = access.can(request.user, "manage_audit", audit)
    parts["make_standard"] = bool(request.POST.get("make_standard"))
    form = SevenMinuteForm(initial=parts, audit=audit, can_set_standard=can_set_standard)
    # Loaded from nothing saved: should someone save one meanwhile, Save lists every part that
    # differs and keeps all that is in the form, rather than taking the drafted parts for ones
    # left alone.
    form.fields[VALUES].initial = ""
    # Said in the page's messages, which a screen reader is taken to as the page opens.
    messages.info(
        request,
        "The parts you had left empty are drafted below, from the briefing and the partnership's "
        "standard text, and what you typed is kept. Nothing is saved yet: read them through, "
        "edit them and save.",
    )
    context = {"audit": audit, "form": form, "record": None, "nav": "audits"}
    return render(request, "findings/seven/edit.html", context)


# Where the briefing was used -----------------------------------------------------------------


def _recording_agencies(request, audit):
    """The agencies `request.user` may record sessions for: the chair any taking part, a
    co-ordinator their own."""
    if not access.can(request.user, "record_usage", audit):
        return Agency.objects.none()
    taking_part = Agency.objects.filter(audits=audit)
    if access.can(request.user, "manage_audit", audit):
        return taking_part
    return taking_part.filter(pk__in=access.agency_ids_for(request.user, audit))


@one_press
def usage_page(request, pk):
    audit = access.get_audit_for(request, pk, "view_usage")
    agencies = _recording_agencies(request, audit)
    data = request.POST if request.method == "POST" else None
    form = UsageForm(data, agencies=agencies, audit=audit)
    if request.method == "POST":
        if not agencies.exists():
            raise Http404("Nothing to record here.")
        if form.is_valid():
            try:
                services.usage_record(audit=audit, user=request.user, **form.service_fields())
            except ValidationError as error:
                form.add_error(None, error)
            except AlreadyAdded:
                messages.info(request, ALREADY_RECORDED)
                return redirect("usage", pk=audit.pk)
            else:
                messages.success(request, "The session was recorded.")
                return redirect("usage", pk=audit.pk)
    context = _usage_context(request, audit, agencies)
    context["form"] = form if context["changeable"] else None
    status = 422 if form.errors else 200
    return render(request, "findings/usage.html", context, status=status)


def _usage_context(request, audit, agencies) -> dict:
    sees_all = access.can(request.user, "view_all_usage", audit)
    return {
        "audit": audit,
        "published": audit.briefing_published_at is not None,
        "sees_all": sees_all,
        # The agencies whose sessions `request.user` may record, and so correct or delete
        # (the chair: any session, `changes_any`).
        "changeable": set(agencies.values_list("pk", flat=True)),
        "changes_any": _changes_any_session(request, audit),
        "nav": "audits",
        **usage.usage_context(
            audit,
            agency_ids=None if sees_all else access.agency_ids_for(request.user, audit),
            today=timezone.localdate(),
        ),
    }


def _changes_any_session(request, audit) -> bool:
    """Whoever manages the audit corrects or deletes any session recorded for it, one of an
    agency since taken out of the audit too: the board's report still counts it."""
    return access.can(request.user, "record_usage", audit) and access.can(
        request.user, "manage_audit", audit
    )


def _usage_scope(request, pk):
    """The audit and the agencies `request.user` may record sessions for in it."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    return audit, _recording_agencies(request, audit)


def _changeable_record(request, audit, agencies, usage_id) -> UsageRecord | None:
    """The recorded use `usage_id` if `request.user` may correct or delete it at this moment
    (the co-ordinators of its agency, the chair); None when it is not there for them."""
    record = UsageRecord.objects.filter(audit=audit, pk=usage_id).select_related("agency").first()
    if record is None:
        return None
    if _changes_any_session(request, audit) or agencies.filter(pk=record.agency_id).exists():
        return record
    return None


def _changeable_record_or_404(request, audit, agencies, usage_id) -> UsageRecord:
    record = _changeable_record(request, audit, agencies, usage_id)
    if record is None:
        raise Http404("No such session.")
    return record


def _was_editing_a_session_here(request, audit, agencies) -> bool:
    """Whether the correction sent comes from the edit page of a session `request.user` may
    still change: one of the partnership's agencies' for the chair, of their own agency's for a
    co-ordinator (the form's fingerprints of what it showed say which agency). Anyone else is
    told nothing more than that no such session is theirs to see."""
    if _changes_any_session(request, audit):
        agencies = Agency.objects.filter(partnership=audit.partnership_id)
    shown = agencies.values_list("pk", flat=True)
    return any(was_loaded_with(request.POST, "agency", agency_id) for agency_id in shown)


def _session_gone(request, audit, agencies):
    """A correction sent for a session deleted, or moved out of reach, since its page was
    opened: the form again with what was typed, to whoever was editing it and still may."""
    if request.method != "POST" or not _was_editing_a_session_here(request, audit, agencies):
        raise Http404("No such session.")
    form = UsageForm(request.POST, agencies=agencies, audit=audit)
    form.is_valid()
    form.add_error(None, "This session was deleted or moved by someone else; nothing was saved.")
    context = {"audit": audit, "record": None, "form": form, "nav": "audits"}
    return render(request, "findings/usage_edit.html", context, status=422)


@one_press
@no_lost_updates
def usage_edit(request, pk, usage_id):
    audit, agencies = _usage_scope(request, pk)
    record = _changeable_record(request, audit, agencies, usage_id)
    if record is None:
        return _session_gone(request, audit, agencies)
    data = request.POST if request.method == "POST" else None
    form = UsageEditForm(data, record=record, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.usage_record_update(
                record=record, user=request.user, **form.service_fields()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if changed:
                messages.success(request, "The session was saved.")
            else:
                messages.info(request, NOTHING_CHANGED)
            return redirect("usage", pk=audit.pk)
    context = {"audit": audit, "record": record, "form": form, "nav": "audits"}
    status = 422 if form.errors else 200
    return render(request, "findings/usage_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
@one_press
def usage_delete(request, pk, usage_id):
    audit, agencies = _usage_scope(request, pk)
    record = _changeable_record_or_404(request, audit, agencies, usage_id)
    conflict = None
    if request.method == "POST":
        try:
            services.usage_record_delete(
                record=record, loaded_version=request.POST.get("loaded_version")
            )
        except ValidationError as error:
            conflict = " ".join(error.messages)
            # Shown as it is now, to confirm again or keep.
            record = _changeable_record_or_404(request, audit, agencies, usage_id)
        else:
            messages.success(request, "The session was deleted.")
            return redirect("usage", pk=audit.pk)
    context = {
        "audit": audit,
        "record": record,
        "version": version_of(record),
        "conflict": conflict,
        "nav": "audits",
    }
    return render(request, "findings/usage_delete.html", context, status=422 if conflict else 200)


def usage_export(request, pk, fmt):
    audit = access.get_audit_for(request, pk, "view_all_usage")
    records = UsageRecord.objects.filter(audit=audit).select_related("agency")
    name = f"{audit.file_stem}-briefing-use"
    if fmt == "csv":
        return csv_response([usage.HEADERS, *usage.rows(records)], filename=f"{name}.csv")
    if fmt == "xlsx":
        marking = audit.protective_marking or DEFAULT_MARKING
        rows = usage.rows(records)
        return xlsx_response("Where it was used", usage.COLUMNS, rows, name, marking=marking)
    raise Http404("No such format.")
