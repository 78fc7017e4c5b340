from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from cases import access
from cases.models import SECTION_KEYS, Case
from cases.selectors.identifiers import identifying_details_in
from maca.concurrency import NOTHING_CHANGED, no_lost_updates
from maca.downloads import DOCX, PDF, attachment_response
from maca.once import led_to, one_press

from . import briefing, casepack, changes, publishing, services, sevenminute
from . import meeting as meeting_forms
from .forms import (
    DRAFT,
    BriefingChangesForm,
    BriefingLayoutForm,
    CopyCheckForm,
    PublishForm,
    TagForm,
    item_form_class,
)
from .selectors import (
    ACTIONS_ANNEX_HEADING,
    LEARNING_SUMMARY_HEADING,
    annex_waits_for_plan,
    authoring_context,
    briefing_sections,
    briefing_version_dates,
    briefing_version_pages,
    case_context,
)


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    return attachment_response(pdf, filename=filename, content_type=PDF)


def _latest_version_or_404(audit):
    version = audit.briefing_versions.first()
    if version is None:
        raise Http404("No published version.")
    return version


def briefing_html(request, pk):
    """The current draft for members; readers of published briefings get the latest version."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    if not access.can(request.user, "view_draft_briefing", audit):
        version = _latest_version_or_404(audit)
        return redirect("briefing_version", pk=audit.pk, number=version.number)
    return HttpResponse(briefing.render_html(audit))


def briefing_pdf(request, pk):
    """The latest published version for those who may not read drafts; for the authors, the
    draft, which the background worker makes (a large audit's takes a while)."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    if not access.can(request.user, "view_draft_briefing", audit):
        version = _latest_version_or_404(audit)
        return redirect("briefing_version_pdf", pk=audit.pk, number=version.number)
    return redirect("draft_briefing_pdf", pk=audit.pk)


def _docx_response(docx: bytes, audit, number: int | None = None) -> HttpResponse:
    filename = briefing.pdf_filename(audit, number).removesuffix(".pdf") + ".docx"
    return attachment_response(docx, filename=filename, content_type=DOCX)


def briefing_docx(request, pk):
    audit = access.get_audit_for(request, pk, "view_draft_briefing")
    from .word import render_docx

    return _docx_response(render_docx(audit), audit)


def briefing_versions(request, pk):
    """The published versions; a PDF sent in is checked against their fingerprints."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    versions = list(
        audit.briefing_versions.select_related("published_by").defer(
            "html",
            "pdf",
            "docx",
            "seven_minute_html",
            "seven_minute_pdf",
            "seven_minute_parts",
        )
    )
    posted = request.method == "POST"
    check_form = CopyCheckForm(request.POST if posted else None, request.FILES if posted else None)
    checked = None
    if versions and posted and check_form.is_valid():
        checked = _copy_checked(audit, versions, check_form.cleaned_data["copy"])
        check_form = CopyCheckForm()
    may_see_draft = access.can(request.user, "view_draft_briefing", audit)
    context = {
        "audit": audit,
        "versions": versions,
        # The draft is offered to its authors only when it differs from the latest version.
        "draft_differs": may_see_draft
        and (not versions or publishing.unchanged_since(audit) is None),
        "allowed": access.allowed_actions(request.user, audit),
        "check_form": check_form,
        "checked": checked,
        "nav": "audits",
    }
    return render(request, "findings/versions.html", context)


def _copy_checked(audit, versions, sha256: str) -> dict:
    """Which published version a copy is, and the latest of its kind (a 7-minute briefing is
    compared with the latest 7-minute briefing) to offer when it is not that one."""
    match, seven_minute = publishing.version_of_copy(versions, sha256)
    latest = next(v for v in versions if v.has_seven_minute) if seven_minute else versions[0]
    view = "seven_minute_version" if seven_minute else "briefing_version"
    return {
        "version": match,
        "seven_minute": seven_minute,
        "latest": latest,
        "latest_url": reverse(view, args=[audit.pk, latest.number]),
    }


def briefing_changes(request, pk):
    """What changed between two readings of the briefing, section by section."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    with_draft = access.can(request.user, "view_draft_briefing", audit)
    published = briefing_version_dates(audit)
    asked = BriefingChangesForm.asked(request.GET, published, with_draft)
    form = BriefingChangesForm(asked, published=published, with_draft=with_draft)
    context = {"audit": audit, "form": form, "published": published, "with_draft": with_draft}
    context["nav"] = "audits"
    if not form.is_bound:
        return render(request, "findings/changes.html", context)
    if not form.is_valid():
        return render(request, "findings/changes.html", context, status=422)
    since, until = form.cleaned_data["since"], form.cleaned_data["until"]
    pages = briefing_version_pages(audit, [int(n) for n in (since, until) if n != DRAFT])
    if until == DRAFT:
        pages[DRAFT] = briefing.render_html(audit)
    context["sections"] = changes.compared(pages[int(since)], pages[_number_or_draft(until)])
    context["since"], context["until"] = int(since), _number_or_draft(until)
    return render(request, "findings/changes.html", context)


def _number_or_draft(value: str) -> int | str:
    return DRAFT if value == DRAFT else int(value)


def briefing_version(request, pk, number):
    audit = access.get_audit_for(request, pk, "view_briefing")
    version = get_object_or_404(audit.briefing_versions.only("html"), number=number)
    return HttpResponse(version.html)


def briefing_version_pdf(request, pk, number):
    audit = access.get_audit_for(request, pk, "view_briefing")
    version = get_object_or_404(audit.briefing_versions.only("pdf"), number=number)
    return _pdf_response(bytes(version.pdf), briefing.pdf_filename(audit, number))


def briefing_version_docx(request, pk, number):
    """The Word file frozen with the version; for one published before Word files were kept, it
    is made again only while the briefing is still exactly as that version."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    version = get_object_or_404(audit.briefing_versions.defer("html", "pdf"), number=number)
    docx = bytes(version.docx)
    if not docx:
        if publishing.unchanged_since(audit) != version:
            raise Http404("The Word file of this version was not kept.")
        from .word import render_docx

        docx = render_docx(audit, version=_frozen(version))
    return _docx_response(docx, audit, number)


def _frozen(version) -> dict:
    return {"number": version.number, "published_at": version.published_at}


@one_press
def briefing_publish(request, pk):
    """Publishing asks for confirmation, then freezes the briefing as the next version."""
    audit = access.get_audit_for(request, pk, "publish_briefing")
    form = PublishForm(request.POST if request.method == "POST" else None, audit=audit)
    context = _publish_context(audit, form)
    if request.method == "POST" and form.is_valid():
        try:
            version = publishing.briefing_publish(
                audit=audit, user=request.user, with_plan=form.cleaned_data["with_plan"]
            )
        except publishing.BriefingHasIdentifiers as refused:
            context["places"] = refused.places
        except publishing.BriefingLooksIdentifying as refused:
            context["flags"] = refused.flags
        except publishing.SevenMinuteTooLong as refused:
            context["too_long"] = refused
        except publishing.BriefingChangedWhilePublishing as refused:
            context["changed"] = refused.message
        else:
            _say_published(request, audit, version, with_plan=form.cleaned_data["with_plan"])
            return redirect("briefing_versions", pk=audit.pk)
    # Whatever came back refused, the page reads as afresh: what would be published, and what
    # would be refused, as it stands now.
    context.update(_publish_checks(audit))
    refused = request.method == "POST"
    return render(request, "findings/publish.html", context, status=422 if refused else 200)


def _publish_checks(audit) -> dict:
    """Whether publishing now makes a new version, and what in it would be refused: a child's
    identifying details, and texts that look identifying (all the chair is asked about when
    pressing Publish, so listed before it is pressed)."""
    with_plan = audit.plan_published_at is not None
    places, flags = publishing.refusals_in_briefing(audit, with_plan=with_plan)
    return {
        "same_as": publishing.unchanged_since(audit),
        "holds_identifiers": places,
        "looks_identifying": flags,
    }


def _publish_context(audit, form) -> dict:
    seven_minute = publishing.seven_minute_parts(audit)
    parts = sevenminute.written_parts(seven_minute or {})
    annex_waits = annex_waits_for_plan(audit)
    return {
        "audit": audit,
        "form": form,
        "nav": "audits",
        "next_number": audit.briefing_versions.count() + 1,
        "left_out": _empty_sections(audit, annex_waits=annex_waits),
        "annex_waits_for_plan": annex_waits,
        "has_seven_minute": seven_minute is not None,
        "seven_minute_empty": [part for part in parts if not part.text],
        # Kept as typed, and published so while the page still fits: said before pressing.
        "seven_minute_over": [part for part in parts if part.over_limit],
    }


@require_POST
@one_press
def briefing_confirm_text(request, pk):
    """The chair confirms, text by text, that words which look identifying are not."""
    audit = access.get_audit_for(request, pk, "publish_briefing")
    try:
        flag = publishing.briefing_text_confirm(
            audit=audit, digest=request.POST.get("digest", ""), user=request.user
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Confirmed: {flag.place} identifies no one.")
    return redirect("briefing_publish", pk=audit.pk)


def _say_published(request, audit, version, *, with_plan: bool) -> None:
    if version.newly_published:
        messages.success(request, f"Version {version.number} of the briefing is published.")
        return
    text = (
        f"Nothing in the briefing has changed since version {version.number}, so no new "
        "version was made."
    )
    if with_plan and audit.plan_published_at is None:
        text += " The action plan is now published with it."
    elif not with_plan and audit.plan_published_at is not None:
        text += " The action plan is no longer published."
    messages.info(request, text)


def _empty_sections(audit, *, annex_waits: int) -> list[str]:
    """The headings of the sections the audit includes that have nothing in them yet, which the
    briefing leaves out (not the actions' annex when it waits only for the plan)."""
    present = {section.key for section in briefing_sections(audit)}
    included = [
        (key, audit.heading(key))
        for key in SECTION_KEYS
        if key != "good_practice" or audit.include_good_practice
    ]
    if audit.include_learning_summary:
        included.append(("learning_summary", LEARNING_SUMMARY_HEADING))
    if audit.include_actions_annex and not annex_waits:
        included.append(("actions_annex", ACTIONS_ANNEX_HEADING))
    return [heading for key, heading in included if key not in present]


# Authoring ------------------------------------------------------------------------------------


def _kind(slug):
    try:
        return services.KINDS[slug]
    except KeyError:
        raise Http404("No such kind of item.") from None


def _authoring_context(request, audit) -> dict:
    """The items, and beside each case the meeting's notes on it and, for those who may read
    the agencies' returns (the meeting pack), their audit-tool grades and answers."""
    context = authoring_context(audit)
    with_returns = access.can(request.user, "view_meeting_pack", audit)
    beside = case_context(audit, with_returns=with_returns)
    for case in context["cases"]:
        case.beside = beside.get(case.pk)
    return context


def _authoring_content(request, audit, status=200, *, said_at="", said="", said_level=""):
    """The authoring page's content alone: what htmx swaps in after a change (what it said
    shown beside the item or list at `said_at`), with the chair's list of identifying details
    found in it."""
    context = {"audit": audit, "allowed": access.allowed_actions(request.user, audit)}
    context.update(said_at=said_at, said=said, said_level=said_level)
    context.update(_authoring_context(request, audit))
    response = render(request, "findings/author/_content.html", context, status=status)
    places = {"identifying_places": _identifying_places(request, audit), "swapped": True}
    if places["identifying_places"]:
        messages.warning(request, IDENTIFYING_DETAILS_LEFT)
    response.content += render_to_string(
        "findings/author/_identifying_places.html", places, request=request
    ).encode()
    return reswap(retarget(response, "#authoring"), "outerHTML")


IDENTIFYING_DETAILS_LEFT = (
    "The briefing still holds identifying details: they are listed at the top of the page."
)


def _identifying_places(request, audit) -> list[str]:
    """Found while writing, not only when publishing; for the chair, who holds the details
    (shown to others, it would let them test guesses at what they may not see)."""
    if not access.can(request.user, "manage_audit", audit):
        return []
    return publishing.identifying_details_in_briefing(audit)


def _after_change(request, audit, anchor="", said="", level=messages.SUCCESS):
    shown_at = reverse("authoring", args=[audit.pk]) + (f"#{anchor}" if anchor else "")
    if said:
        messages.add_message(request, level, said)
    if request.htmx:
        level_tag = messages.DEFAULT_TAGS.get(level, "")
        content = _authoring_content(
            request, audit, said_at=anchor, said=said, said_level=level_tag
        )
        response = led_to(content, shown_at)
        # The page script puts the keyboard focus on what was just changed, not at the top.
        return trigger_client_event(response, "maca:focus", {"id": anchor}) if anchor else response
    return redirect(shown_at)


def authoring(request, pk):
    audit = access.get_audit_for(request, pk, "author_briefing")
    context = {
        "audit": audit,
        "allowed": access.allowed_actions(request.user, audit),
        "nav": "audits",
        "tag_form": TagForm(),
        "identifying_places": _identifying_places(request, audit),
    }
    context.update(_authoring_context(request, audit))
    return render(request, "findings/author/page.html", context)


def _item_form_response(request, audit, kind, form, action_url, anchor, status=200):
    context = {
        "audit": audit,
        "kind": kind,
        "form": form,
        "action_url": action_url,
        "anchor": anchor,
        "nav": "audits",
    }
    template = (
        "findings/author/_item_form.html" if request.htmx else "findings/author/item_form.html"
    )
    return render(request, template, context, status=status)


@one_press
@no_lost_updates
def item_add(request, pk, kind):
    audit = access.get_audit_for(request, pk, "author_briefing")
    kind = _kind(kind)
    case = None
    if kind.per_case:
        case_id = request.GET.get("case", "")
        # Digits that fit a database id: anything else is a broken address, not a missing case.
        if not (case_id.isascii() and case_id.isdigit() and len(case_id) <= 18):
            raise BadRequest("The case to add to is missing from the address.")
        case = get_object_or_404(Case, pk=int(case_id), audit=audit)
    anchor = f"case-{case.pk}" if case else f"list-{kind.slug}"
    action_url = reverse("item_add", args=[audit.pk, kind.slug]) + (
        f"?case={case.pk}" if case else ""
    )
    form_class = item_form_class(kind, audit)
    # Ids of their own: "Add a finding" may be open in several cases at once.
    ids = {"prefix": f"new-{kind.slug}", "auto_id": f"id_{anchor}_%s"}
    if request.method == "POST":
        form = form_class(request.POST, **ids)
        if form.is_valid():
            item = services.item_create(
                kind=kind, audit=audit, case=case, form=form, user=request.user
            )
            added = f"item-{kind.slug}-{item.pk}"
            return _after_change(request, audit, added, said=f"The {kind.label} was added.")
        return _item_form_response(request, audit, kind, form, action_url, anchor, status=422)
    form = form_class(**ids)
    form.owner_label = case.label if case else ""
    return _item_form_response(request, audit, kind, form, action_url, anchor)


def _item_for(audit, kind, item_id):
    return get_object_or_404(kind.for_audit(audit), pk=item_id)


@one_press
@no_lost_updates
def item_edit(request, pk, kind, item_id):
    audit = access.get_audit_for(request, pk, "author_briefing")
    kind = _kind(kind)
    item = _item_for(audit, kind, item_id)
    anchor = f"item-{kind.slug}-{item.pk}"
    action_url = reverse("item_edit", args=[audit.pk, kind.slug, item.pk])
    form_class = item_form_class(kind, audit)
    prefix = f"edit-{kind.slug}-{item.pk}"
    if request.method == "POST":
        form = form_class(request.POST, instance=item, prefix=prefix)
        if form.is_valid():
            if services.item_update(form=form, user=request.user):
                saved = f"The {kind.label} was saved."
                return _after_change(request, audit, anchor, said=saved)
            return _after_change(request, audit, anchor, said=NOTHING_CHANGED, level=messages.INFO)
        return _item_form_response(request, audit, kind, form, action_url, anchor, status=422)
    form = form_class(instance=item, prefix=prefix)
    return _item_form_response(request, audit, kind, form, action_url, anchor)


@one_press
def item_delete(request, pk, kind, item_id):
    audit = access.get_audit_for(request, pk, "author_briefing")
    kind = _kind(kind)
    item = _item_for(audit, kind, item_id)
    if request.method == "POST":
        services.item_delete(item=item)
        # Back to the list it was in, not the top of the page.
        in_list = f"list-{kind.slug}-{item.case_id}" if kind.per_case else f"list-{kind.slug}"
        return _after_change(request, audit, in_list, said=f"The {kind.label} was deleted.")
    context = {"audit": audit, "kind": kind, "item": item, "nav": "audits"}
    return render(request, "findings/author/item_delete.html", context)


@require_POST
@one_press
def item_move(request, pk, kind, item_id):
    audit = access.get_audit_for(request, pk, "author_briefing")
    kind = _kind(kind)
    item = _item_for(audit, kind, item_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction"))
    if offset is None:
        return HttpResponse("Say whether to move it up or down.", status=400)
    services.item_move(kind=kind, item=item, offset=offset)
    return _after_change(request, audit, f"item-{kind.slug}-{item.pk}")


@one_press
@no_lost_updates
def briefing_layout(request, pk):
    audit = access.get_audit_for(request, pk, "author_briefing")
    if request.method == "POST":
        form = BriefingLayoutForm(request.POST, audit=audit)
        if form.is_valid():
            services.briefing_layout_update(
                audit=audit,
                headings=form.headings(),
                included=form.included(),
                narrative=form.narrative(),
                confirmed_texts=form.texts_to_confirm,
                user=request.user,
            )
            messages.success(request, "The briefing's headings and opening sections were saved.")
            return redirect("authoring", pk=audit.pk)
    else:
        form = BriefingLayoutForm(audit=audit)
    context = {"audit": audit, "form": form, "nav": "audits"}
    return render(
        request, "findings/author/layout.html", context, status=422 if form.errors else 200
    )


@require_POST
@one_press
def tag_add(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["name"][0])
    elif identifying_details_in(audit, [("tag", form.cleaned_data["name"])]):
        messages.error(
            request,
            "Take out the child's name, date of birth or reference number: a tag is printed in "
            "every published briefing and the learning library.",
        )
    else:
        tag = services.tag_create(name=form.cleaned_data["name"], partnership=audit.partnership)
        messages.success(request, f"The tag “{tag.name}” can now be used.")
    return redirect(reverse("authoring", args=[audit.pk]) + "#tags")


@one_press
@no_lost_updates
def meeting(request, pk):
    """The meeting record: everyone in the audit reads it; the chair and QA members write it."""
    audit = access.get_audit_for(request, pk, "view_audit")
    can_edit = access.can(request.user, "author_briefing", audit)
    cases = list(audit.cases.select_related("meeting_note"))
    attendees_class = meeting_forms.attendee_formset_class(audit)
    data, adding_row = None, False
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        data, adding_row = meeting_forms.with_row_asked_for(
            request.POST, request.GET, prefix="attendees"
        )
    attendees = attendees_class(data, instance=audit, prefix="attendees")
    if adding_row:  # the page comes back with the row asked for, and the focus in it
        attendees.forms[-1].fields["name"].widget.attrs["autofocus"] = True
    form = meeting_forms.MeetingForm(data, audit=audit, cases=cases, attendees=attendees)
    if data is not None and not adding_row and _meeting_valid(request, audit, form, attendees):
        meeting_forms.meeting_record_save(
            audit=audit,
            meeting_date=form.cleaned_data["meeting_date"],
            learning_summary=form.cleaned_data["learning_summary"],
            notes=form.notes(),
            attendees=attendees,
            members_attending=form.ticked_members(),
            confirmed_texts=form.texts_to_confirm,
            user=request.user,
        )
        messages.success(request, "The meeting record was saved.")
        return redirect("meeting", pk=audit.pk)
    context = {"audit": audit, "form": form, "attendees": attendees, "can_edit": can_edit}
    context |= {"record": getattr(audit, "meeting_record", None), "cases": cases, "nav": "audits"}
    status = 422 if data is not None and not adding_row else 200
    return render(request, "findings/meeting.html", context, status=status)


def _meeting_valid(request, audit, form, attendees) -> bool:
    """The record and its attendees are valid and, written by the chair (who may read them),
    its notes hold none of the children's recorded details."""
    if not (form.is_valid() and attendees.is_valid()):
        return False
    return not access.can(request.user, "manage_audit", audit) or form.check_no_identifiers()


# The confidential case pack -------------------------------------------------------------------


def _confidential(response: HttpResponse) -> HttpResponse:
    """Case-level material: never kept by a shared cache or the browser's back-forward store."""
    response["Cache-Control"] = "private, no-store"
    return response


def case_pack(request, pk):
    """Per case: strengths, findings, grade summary and integrated chronology, for members."""
    audit = access.get_audit_for(request, pk, "view_meeting_pack")
    context = {
        **casepack.case_pack_context(audit),
        "allowed": access.allowed_actions(request.user, audit),
        "nav": "audits",
    }
    return _confidential(render(request, "findings/casepack.html", context))
