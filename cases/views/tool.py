"""The audit tool (its questions, and each agency's answers per case), the completeness matrix
with its reminders, and the meeting pack."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from cases import access
from cases.forms.tool import QuestionForm, ReopenForm, SectionForm, ToolAnswerForm
from cases.models import AgencySubmission, Case, Grade, ToolQuestion, ToolSection
from cases.selectors import tool as tool_selectors
from cases.selectors.identifiers import identifying_details_in_pack
from cases.selectors.pack import pack_context
from cases.selectors.progress import (
    agencies_taking_part,
    agencies_without_coordinator,
    asked_of,
    missing_by_agency,
    not_asked_message,
    progress_matrix,
    returns_not_complete,
)
from cases.services import reminders
from cases.services import tool as services
from maca.concurrency import NOTHING_CHANGED, no_lost_updates, version_of
from maca.once import one_press
from maca.wording import possessive

# The questionnaire ---------------------------------------------------------------------------


def _sections(audit):
    return list(audit.tool_sections.order_by("order", "id").prefetch_related("questions"))


def _edit_url(audit, anchor=""):
    url = reverse("tool_edit", args=[audit.pk])
    return f"{url}#{anchor}" if anchor else url


def _error(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def tool_edit(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    sections = list(audit.tool_sections.order_by("order", "id").prefetch_related("questions"))
    # Answers are counted, not read: one query for all questions.
    answered = set(
        ToolQuestion.objects.filter(section__audit=audit, answers__isnull=False).values_list(
            "pk", flat=True
        )
    )
    started = AgencySubmission.objects.filter(case__audit=audit).aggregate(
        total=Count("pk"), submitted=Count("pk", filter=Q(status=AgencySubmission.Status.SUBMITTED))
    )
    context = {
        "audit": audit,
        "sections": sections,
        "answered": answered,
        "started": started,
        "can_change": access.can(request.user, "change_tool", audit),
        "nav": "audits",
    }
    return render(request, "cases/tool/edit.html", context)


@require_POST
@one_press
def tool_use_default(request, pk):
    audit = access.get_audit_for(request, pk, "change_tool")
    if audit.tool_sections.exists():
        messages.error(request, "This audit already has questions.")
    else:
        services.default_tool_create(audit=audit)
        messages.success(request, "The default questions have been added. You can change them.")
    return redirect("tool_edit", pk=audit.pk)


def _form_page(request, audit, form, *, title, submit, intro="", page=None):
    context = {
        "audit": audit,
        "form": form,
        "title": title,
        "intro": intro,
        "submit": submit,
        "page": page or title,
        "cancel_url": _edit_url(audit),
        "nav": "audits",
    }
    return render(request, "cases/tool/form_page.html", context)


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def tool_section_add(request, pk):
    audit = access.get_audit_for(request, pk, "change_tool")
    form = SectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        section = services.section_add(audit=audit, title=form.cleaned_data["title"])
        messages.success(request, f"Section “{section.title}” added. Now add its questions.")
        return redirect(_edit_url(audit, f"section-{section.pk}"))
    return _form_page(request, audit, form, title="Add a section", submit="Add section")


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def tool_section_edit(request, pk, section_id):
    audit = access.get_audit_for(request, pk, "change_tool")
    section = get_object_or_404(ToolSection, pk=section_id, audit=audit)
    form = SectionForm(request.POST or None, instance=section)
    if request.method == "POST" and form.is_valid():
        services.section_rename(section=section, title=form.cleaned_data["title"])
        messages.success(request, "Section renamed.")
        return redirect(_edit_url(audit, f"section-{section.pk}"))
    return _form_page(request, audit, form, title="Rename a section", submit="Save")


@require_POST
@one_press
def tool_section_move(request, pk, section_id):
    audit = access.get_audit_for(request, pk, "change_tool")
    section = get_object_or_404(ToolSection, pk=section_id, audit=audit)
    services.section_move(section=section, direction=request.POST.get("direction", ""))
    return redirect(_edit_url(audit, f"section-{section.pk}"))


@require_http_methods(["GET", "POST"])
@one_press
def tool_section_delete(request, pk, section_id):
    audit = access.get_audit_for(request, pk, "change_tool")
    section = get_object_or_404(ToolSection, pk=section_id, audit=audit)
    if request.method == "POST":
        try:
            services.section_delete(section=section)
        except ValidationError as error:
            _error(request, error)
            return redirect(_edit_url(audit, f"section-{section.pk}"))
        messages.success(request, f"Section “{section.title}” deleted.")
        return redirect(_edit_url(audit))
    questions = section.questions.count()
    blocked = (
        "Agencies have already answered questions in this section, so it cannot be deleted. "
        "You can rename it or reword its questions instead."
        if services.section_has_answers(section)
        else ""
    )
    return _confirm_page(
        request,
        audit,
        title=f"Delete the section “{section.title}”?",
        lines=[
            f"Its {questions} question{'s' if questions != 1 else ''} will be deleted with it."
            if questions
            else "It has no questions.",
            "This cannot be undone.",
        ],
        button="Delete section",
        danger=True,
        action=reverse("tool_section_delete", args=[audit.pk, section.pk]),
        cancel_url=_edit_url(audit, f"section-{section.pk}"),
        blocked=blocked,
        page="Delete a section",
    )


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def tool_question_add(request, pk, section_id):
    audit = access.get_audit_for(request, pk, "change_tool")
    section = get_object_or_404(ToolSection, pk=section_id, audit=audit)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        question = services.question_add(section=section, **form.question_fields())
        messages.success(request, "Question added.")
        return redirect(_edit_url(audit, f"question-{question.pk}"))
    return _form_page(
        request,
        audit,
        form,
        title=f"Add a question to “{section.title}”",
        submit="Add question",
        page="Add a question",
    )


def _question(audit, question_id):
    return get_object_or_404(
        ToolQuestion.objects.select_related("section"), pk=question_id, section__audit=audit
    )


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def tool_question_edit(request, pk, question_id):
    audit = access.get_audit_for(request, pk, "change_tool")
    question = _question(audit, question_id)
    form = QuestionForm(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        if services.question_update(question=question, **form.question_fields()):
            messages.success(request, "Question saved.")
        else:
            messages.info(request, NOTHING_CHANGED)
        return redirect(_edit_url(audit, f"question-{question.pk}"))
    intro = ""
    if question.answers.exists():
        intro = (
            "Agencies have already answered this question. Keep its meaning: their answers "
            "will appear under the new wording."
        )
    return _form_page(
        request, audit, form, title="Edit a question", submit="Save question", intro=intro
    )


@require_POST
@one_press
def tool_question_move(request, pk, question_id):
    audit = access.get_audit_for(request, pk, "change_tool")
    question = _question(audit, question_id)
    services.question_move(question=question, direction=request.POST.get("direction", ""))
    return redirect(_edit_url(audit, f"question-{question.pk}"))


@require_http_methods(["GET", "POST"])
@one_press
def tool_question_delete(request, pk, question_id):
    audit = access.get_audit_for(request, pk, "change_tool")
    question = _question(audit, question_id)
    if request.method == "POST":
        try:
            services.question_delete(question=question)
        except ValidationError as error:
            _error(request, error)
            return redirect(_edit_url(audit, f"question-{question.pk}"))
        messages.success(request, "Question deleted.")
        return redirect(_edit_url(audit, f"section-{question.section_id}"))
    answers = question.answers.count()
    blocked = ""
    if answers:
        blocked = (
            f"Agencies have already answered this question ({answers} "
            f"answer{'s' if answers != 1 else ''}), so it cannot be deleted: their answers would "
            "be lost. You can change its wording instead."
        )
    return _confirm_page(
        request,
        audit,
        title="Delete this question?",
        quote=question.text,
        lines=["This cannot be undone."],
        button="Delete question",
        danger=True,
        action=reverse("tool_question_delete", args=[audit.pk, question.pk]),
        cancel_url=_edit_url(audit, f"question-{question.pk}"),
        blocked=blocked,
        page="Delete a question",
    )


def _confirm_page(request, audit, *, title, button, action, cancel_url, page, **extra):
    context = {
        "audit": audit,
        "title": title,
        "button": button,
        "action": action,
        "cancel_url": cancel_url,
        "page": page,
        "nav": "audits",
        **extra,
    }
    return render(request, "cases/tool/confirm.html", context)


# Answering -----------------------------------------------------------------------------------


def _agency_work(request, pk, case_id, agency_id):
    """The audit, case and agency of one audit tool, or 404 to anyone who may not see it."""
    audit = access.get_audit_for(request, pk, "view_audit")
    agency = get_object_or_404(audit.agencies.all(), pk=agency_id)
    access.require(access.can_view_agency_work(request.user, audit, agency.pk))
    case = get_object_or_404(Case, pk=case_id, audit=audit)
    return audit, case, agency


def _tool_page(
    request, audit, case, agency, submission, *, form=None, reopen_form=None, refused=None
):
    can_edit = access.can_edit_agency_work(request.user, audit, agency.pk)
    locked = submission is not None and submission.is_locked
    asked = asked_of(case, agency)
    editable = asked and can_edit and audit.accepts_submissions and not locked
    answers = {a.question_id: a for a in submission.answers.all()} if submission else {}
    read_only = []
    if editable:
        if form is None:
            form = ToolAnswerForm(sections=_sections(audit), submission=submission, answers=answers)
        sections = form.sections
    else:
        sections = read_only = tool_selectors.answered_sections(_sections(audit), answers)
    is_chair = access.can(request.user, "manage_audit", audit)
    may_reopen = access.can(request.user, "change_tool", audit)  # not once the audit is closed
    context = {
        "audit": audit,
        "case": case,
        "agency": agency,
        "submission": submission,
        "form": form if editable else None,
        "read_only": read_only,
        "editable": editable,
        "can_edit": can_edit,
        "has_questions": any(rows for _section, rows in sections),
        "is_chair": is_chair,
        "reopen_form": (reopen_form or ReopenForm()) if locked and may_reopen else None,
        "submission_version": version_of(submission) if locked else "",
        "reopenings": tool_selectors.reopenings(audit, case, agency),
        "not_asked": "" if asked else not_asked_message(case, agency),
        "refused": refused,
        "unsent": _unsent_answers(request, _sections(audit)) if refused else [],
        "nav": "audits",
    }
    status = 409 if refused else 422 if reopen_form is not None and reopen_form.errors else 200
    return render(request, "cases/tool/answer.html", context, status=status)


def _unsent_answers(request, sections) -> list[tuple[str, str, str]]:
    """The answers a refused save carried, each (question, answer, grade), to copy elsewhere."""
    grades = dict(Grade.choices)
    unsent = []
    for section in sections:
        for question in section.questions.all():
            text = request.POST.get(f"q{question.pk}_text", "").strip()
            grade = grades.get(request.POST.get(f"q{question.pk}_grade", ""), "")
            if text or grade:
                unsent.append((question.text, text, grade))
    return unsent


def _submission(case, agency):
    return (
        AgencySubmission.objects.select_related("submitted_by")
        .filter(case=case, agency=agency)
        .first()
    )


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def tool_answer(request, pk, case_id, agency_id):
    audit, case, agency = _agency_work(request, pk, case_id, agency_id)
    submission = _submission(case, agency)
    if request.method == "GET" and _asks_to_confirm(request, audit, case, agency, submission):
        return _submit_confirm_page(request, audit, case, agency, submission)
    if request.method == "GET":
        return _tool_page(request, audit, case, agency, submission)
    if not access.can_edit_agency_work(request.user, audit, agency.pk):
        raise PermissionDenied
    here = reverse("tool_answer", args=[audit.pk, case.pk, agency.pk])
    action = request.POST.get("action", "save")
    try:
        services.check_answerable(audit=audit, case=case, agency=agency, submission=submission)
        if action == "confirm":
            if submission is None:
                raise ValidationError("Answer the questions and save them before submitting.")
            services.submission_submit(
                submission=submission,
                user=request.user,
                loaded_version=request.POST.get("loaded_version"),
            )
            messages.success(request, f"The audit tool for {case.label} has been submitted.")
            return redirect(here)
        return _tool_save(request, audit, case, agency, submission, submitting=action == "submit")
    except ValidationError as error:
        if action == "confirm":
            _error(request, error)
            return redirect(here)
        submission = _submission(case, agency)  # as it is now, perhaps submitted meanwhile
        refused = " ".join(error.messages)
        return _tool_page(request, audit, case, agency, submission, refused=refused)


def _tool_save(request, audit, case, agency, submission, *, submitting: bool):
    """Save the answers as a draft; to submit, every question needs a grade, then a confirmation.
    Answers sent to be submitted without every grade are kept as a draft all the same."""
    here = reverse("tool_answer", args=[audit.pk, case.pk, agency.pk])
    sections = _sections(audit)
    if submitting and not any(section.questions.all() for section in sections):
        raise ValidationError("This audit tool has no questions yet.")
    form = ToolAnswerForm(
        request.POST,
        sections=sections,
        submission=submission,
        require_grades=submitting,
        case=case,
        writer=request.user,
    )
    if not form.is_valid():
        if submitting:
            submission = _keep_as_draft(request, form, sections, case, agency, submission)
        return _tool_page(request, audit, case, agency, submission, form=form)
    saved = services.answers_save(case=case, agency=agency, answers=form.answers())
    if not submitting:
        messages.success(request, "Draft saved. You can come back and change it until you submit.")
        return redirect(here)
    # Asked on a page of its own address, so that Back from what follows never sends again. It
    # carries the version this person saved: answers saved by anyone since are not submitted.
    return redirect(f"{here}?{urlencode({'confirm': 'submit', 'saved': version_of(saved)})}")


def _asks_to_confirm(request, audit, case, agency, submission) -> bool:
    """The confirmation of a submission, asked for by its address: only of someone who may
    submit it, while there is a saved draft to submit and the audit takes it."""
    if request.GET.get("confirm") != "submit" or not request.GET.get("saved"):
        return False
    if submission is None or submission.is_locked:
        return False
    if not access.can_edit_agency_work(request.user, audit, agency.pk):
        return False
    try:
        services.check_answerable(audit=audit, case=case, agency=agency, submission=submission)
    except ValidationError:
        return False
    return True


def _submit_confirm_page(request, audit, case, agency, submission):
    here = reverse("tool_answer", args=[audit.pk, case.pk, agency.pk])
    return _confirm_page(
        request,
        audit,
        title=f"Submit {possessive(agency.name)} audit tool for {case.label}?",
        lines=[
            "Your answers have been saved.",
            "Once submitted you cannot change it; the chair can reopen it.",
        ],
        button="Submit the audit tool",
        action=here,
        hidden={"action": "confirm", "loaded_version": request.GET["saved"][:100]},
        cancel_url=here,
        cancel_text="Go back to the answers",
        page=case.label,
    )


def _keep_as_draft(request, form, sections, case, agency, submission):
    """Answers sent to be submitted with a grade missing: saved as a draft where they can be."""
    lenient = ToolAnswerForm(
        request.POST, sections=sections, submission=submission, case=case, writer=request.user
    )
    if not lenient.is_valid():
        return submission
    try:
        submission = services.answers_save(case=case, agency=agency, answers=lenient.answers())
    except ValidationError:
        return submission
    form.carry_saved_version(submission)
    messages.info(
        request,
        "Your answers have been saved as a draft, but the audit tool cannot be submitted "
        "until every question has a grade.",
    )
    return submission


@require_POST
@one_press
def tool_reopen(request, pk, case_id, agency_id):
    audit = access.get_audit_for(request, pk, "change_tool")
    agency = get_object_or_404(audit.agencies.all(), pk=agency_id)
    case = get_object_or_404(Case, pk=case_id, audit=audit)
    submission = get_object_or_404(AgencySubmission, case=case, agency=agency)
    here = reverse("tool_answer", args=[audit.pk, case.pk, agency.pk])
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.submission_reopen(
                submission=submission,
                user=request.user,
                reason=form.cleaned_data["reason"],
                loaded_version=request.POST.get("loaded_version"),
            )
        except ValidationError as error:
            form.add_error(None, error)  # shown with the reason typed, while there is a lock
    now = _submission(case, agency)
    if form.errors and now.is_locked:
        return _tool_page(request, audit, case, agency, now, reopen_form=form)
    if form.errors:  # reopened meanwhile: nothing left to reopen
        _error(request, ValidationError(form.non_field_errors()))
        return redirect(here)
    messages.success(
        request, f"Reopened: {agency.name} can change its audit tool for {case.label}."
    )
    return redirect(here)


# Progress ------------------------------------------------------------------------------------


def progress(request, pk):
    audit = access.get_audit_for(request, pk, "view_progress")
    agencies = agencies_taking_part(audit)
    linkable = access.visible_agency_ids(request.user, audit, [agency.pk for agency in agencies])
    # A co-ordinator sees the agencies whose work they may read: their own, and every agency's
    # once the chair has released the meeting pack (which lets them read every return).
    every_column = access.can(request.user, "view_all_progress", audit)
    released_to_me = not every_column and access.can(request.user, "view_meeting_pack", audit)
    see_all = every_column or released_to_me
    can_remind = access.can(request.user, "manage_audit", audit)
    last_reminder = reminders.last_manual_reminder(audit) if can_remind else None
    matrix = progress_matrix(
        audit,
        agencies=agencies,
        agency_ids=None if see_all else linkable,
        linkable_ids=linkable,
    )
    context = {
        "audit": audit,
        "matrix": matrix,
        "see_all": see_all,
        "released_to_me": released_to_me,
        "can_remind": can_remind,
        "last_reminder": last_reminder,
        "reminders_again_at": reminders.reminders_again_at(last_reminder),
        "reminding": _reminding(matrix, agencies) if can_remind else "",
        "can_manage": can_remind,
        "agencies_without_coordinator": [a for a in agencies if not a.reachable] if see_all else [],
        "nav": "audits",
    }
    return render(request, "cases/tool/progress.html", context)


def _reminding(matrix, agencies) -> str:
    """What the chair's reminders would do: "send" (an agency with something missing has a
    co-ordinator with an email address), "nobody" (what is missing is with agencies nobody
    can be reminded at) or "nothing" (nothing is missing)."""
    missing = missing_by_agency(matrix)
    if any(agency.pk in missing and agency.reachable for agency in agencies):
        return "send"
    return "nobody" if missing else "nothing"


@require_POST
@one_press
def progress_remind(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    if not audit.accepts_submissions:
        messages.error(request, "Reminders go out only while the audit takes submissions.")
        return redirect("progress", pk=audit.pk)
    try:
        sent = reminders.progress_reminders_send(audit=audit, user=request.user)
    except ValidationError as refused:
        messages.error(request, refused.messages[0])
        return redirect("progress", pk=audit.pk)
    missing = missing_by_agency(progress_matrix(audit))
    if sent:
        messages.success(
            request, f"Reminders sent to {sent} co-ordinator{'s' if sent != 1 else ''}."
        )
    elif not missing:
        messages.info(request, "Nothing is missing: no reminders sent.")
    unreached = [a.name for a in agencies_without_coordinator(audit) if a.pk in missing]
    if unreached:
        messages.warning(
            request,
            f"Nobody to remind at {', '.join(unreached)}: "
            f"{'it has' if len(unreached) == 1 else 'they have'} something missing but no "
            "co-ordinator with an email address. Add one on the Members page.",
        )
    return redirect("progress", pk=audit.pk)


# The meeting pack ----------------------------------------------------------------------------


def meeting_pack(request, pk):
    audit = access.get_audit_for(request, pk, "view_meeting_pack")
    context = {
        "audit": audit,
        "is_chair": access.can(request.user, "manage_audit", audit),
        "nav": "audits",
        **pack_context(audit),
    }
    return render(request, "cases/tool/pack.html", context)


def _returns_missing(audit) -> list[str]:
    """What the pack will not hold yet, for the chair deciding whether to release it."""
    missing = returns_not_complete(progress_matrix(audit))
    if missing is None:
        return []
    return [f"{missing} The pack shows what has come in so far, and what comes in later."]


@require_http_methods(["GET", "POST"])
@one_press
def pack_release(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    pack_url = reverse("meeting_pack", args=[audit.pk])
    if audit.pack_released_at is not None:
        messages.error(request, "The meeting pack has already been released.")
        return redirect(pack_url)
    if request.method == "POST":
        try:
            services.pack_release(audit=audit, user=request.user)
        except ValidationError as error:
            _error(request, error)
            return redirect(pack_url)
        messages.success(request, "The meeting pack has been released: members can now read it.")
        return redirect(pack_url)
    return _confirm_page(
        request,
        audit,
        title="Release the meeting pack to members?",
        lines=[
            *_returns_missing(audit),
            "QA members and the co-ordinators of every agency taking part will be able to read "
            "every agency's audit tool and chronology for every case in this audit.",
            "Once released, the pack cannot be withdrawn.",
        ],
        warning=(
            "The pack holds a child's identifying details. QA members, and co-ordinators of "
            "agencies not involved with the child, may not see them. Ask the agency to replace "
            "them with the case label before you release the pack:"
        ),
        warning_places=identifying_details_in_pack(audit),
        button="Release the meeting pack",
        action=reverse("pack_release", args=[audit.pk]),
        cancel_url=pack_url,
        page="Release the meeting pack",
        parent_url=pack_url,
        parent_title="Meeting pack",
    )
