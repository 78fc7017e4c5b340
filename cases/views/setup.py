"""Setting an audit up, its members, nominations, the selection of cases and its stages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cases import access
from cases.forms.setup import (
    AuditForm,
    CaseLabelsForm,
    DeclineForm,
    IdentityForm,
    MemberAddForm,
    NominationForm,
)
from cases.models import Audit, Nomination, NominationIdentity
from cases.selectors import nominations as nomination_selectors
from cases.selectors.progress import (
    agencies_without_coordinator,
    progress_matrix,
    returns_not_complete,
)
from cases.services import nominations as nomination_services
from cases.services import setup as setup_services
from cases.services import stages as stage_services
from maca.concurrency import NOTHING_CHANGED, no_lost_updates
from maca.invitations import invitation_withdraw, may_withdraw, open_invitations
from maca.models import Invitation, Membership
from maca.once import one_press
from maca.views import turned_away

Role = Membership.Role


def _add_errors(form, error: ValidationError) -> None:
    """Show a service's refusal on the form: next to its field when it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _refuse(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _render(request, template, audit, context):
    return render(request, template, {"audit": audit, "nav": "audits", **context})


# The audit's details -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@one_press(gate=access.chair_reached)
@no_lost_updates
def audit_create(request):
    partnerships = list(access.chaired_partnerships(request.user).distinct())
    if not partnerships:
        raise Http404("Not found.")
    form = AuditForm(request.POST or None, partnerships=partnerships)
    if request.method == "POST" and form.is_valid():
        try:
            audit = setup_services.audit_create(
                user=request.user,
                partnership=form.cleaned_data["partnership"],
                data=form.cleaned_data,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                "Audit created as a draft with the default audit tool. Add its members, then "
                "open nominations.",
            )
            return redirect("audit_detail", audit.pk)
    return render(request, "cases/setup/audit_form.html", {"form": form, "nav": "audits"})


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def audit_edit(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    form = AuditForm(request.POST or None, audit=audit)
    if request.method == "POST" and form.is_valid():
        try:
            changed = setup_services.audit_update(
                audit=audit, user=request.user, data=form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if changed:
                messages.success(request, "The audit's details were saved.")
            else:
                messages.info(request, NOTHING_CHANGED)
            return redirect("audit_detail", audit.pk)
    return _render(request, "cases/setup/audit_form.html", audit, {"form": form})


@require_POST
@one_press
def audit_stage(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    expected = request.POST.get("expected_status") or None
    # A second press, or a stale page, is told the audit moved on rather than asked to confirm.
    asking = (
        not request.POST.get("confirmed")
        and expected in (None, audit.status)
        and not stage_services.refusal(audit)
    )
    if asking and stage_services.next_status(audit.status) == Audit.Status.CLOSED:
        return _confirm_closing(request, audit)
    if asking and audit.status == Audit.Status.SUBMISSIONS:
        confirmation = _confirm_ending_submissions_early(request, audit)
        if confirmation is not None:
            return confirmation
    try:
        to = stage_services.audit_advance(
            audit=audit,
            user=request.user,
            expected_status=expected,
        )
    except ValidationError as error:
        _refuse(request, error)
    else:
        messages.success(request, f"The audit moved to the stage '{audit.Status(to).label}'.")
    return redirect("audit_detail", audit.pk)


def _confirm_ending_submissions_early(request, audit):
    """Before the deadline, or with returns missing, moving to the meeting is asked about first:
    it cannot be undone, and the deadline's reminders stop. None when nothing is early."""
    deadline = audit.submission_deadline
    days_left = (deadline - timezone.localdate()).days if deadline else -1
    early = [returns_not_complete(progress_matrix(audit))]
    if days_left >= 0:
        when = "today" if days_left == 0 else f"in {days_left} day{pluralize(days_left)}"
        early.append(f"The agencies' deadline is {date_format(deadline, 'j F Y')}, {when}.")
    early = [line for line in early if line]
    if not early:
        return None
    return _confirm_stage_move(
        request,
        audit,
        title="Move to the multi-agency meeting now?",
        button="Move to the meeting",
        lines=[
            "Agencies can still send what is missing during the meeting stage, but no more "
            "reminders about the deadline are sent. The audit cannot move back."
        ],
        warning="Submissions are not finished:",
        warning_places=early,
        cancel_text="Keep submissions open",
        page="Move to the meeting",
    )


def _confirm_closing(request, audit):
    """Closing cannot be undone: say what it means, and what is still missing, first."""
    lines = [
        "Once closed, the briefing, the meeting record and the agencies' work can no longer be "
        "changed, and no reminders are sent. Closing cannot be undone.",
        "The retention period starts today, and you can then delete the children's identifying "
        "details.",
    ]
    if missing := returns_not_complete(progress_matrix(audit)):
        lines.insert(0, missing)
    if audit.briefing_published_at is None:
        lines.insert(0, "The briefing has not been published yet.")
    if audit.meeting_date and timezone.localdate() < audit.meeting_date:
        lines.insert(
            0,
            f"The multi-agency meeting is on {date_format(audit.meeting_date, 'j F Y')}, after "
            "today: closing now leaves its record as it is.",
        )
    return _confirm_stage_move(
        request,
        audit,
        title="Close this audit?",
        button="Close the audit",
        lines=lines,
        danger=True,
        cancel_text="Keep it open",
        page="Close the audit",
    )


def _confirm_stage_move(request, audit, *, danger=False, **wording):
    """The page asking the chair to confirm the move to the next stage."""
    context = {
        "audit": audit,
        "action": reverse("audit_stage", args=[audit.pk]),
        "hidden": {"expected_status": audit.status, "confirmed": "1"},
        "danger": danger,
        "cancel_url": reverse("audit_detail", args=[audit.pk]),
        "nav": "audits",
        **wording,
    }
    return render(request, "cases/tool/confirm.html", context)


# Members -------------------------------------------------------------------------------------


def invited_message(invitation, *, sent: bool) -> str:
    """The same words whether or not the address has an account: nothing is revealed."""
    where = f" for {invitation.agency}" if invitation.agency_id else ""
    invited = f"An invitation to join as {invitation.get_role_display()}{where}"
    if not sent:
        return (
            f"{invited} was emailed to {invitation.email} moments ago: that email stands, and "
            "no second one was sent. They become a member when they accept it."
        )
    return f"{invited} was emailed to {invitation.email}. They become a member when they accept it."


@require_http_methods(["GET", "POST"])
@one_press
def audit_members(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    form = MemberAddForm(request.POST or None, audit=audit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, sent = setup_services.member_invite(
                audit=audit,
                user=request.user,
                email=data["email"],
                role=data["role"],
                agency=data["agency"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, invited_message(invitation, sent=sent))
            return redirect("audit_members", audit.pk)
    context = {
        "form": form,
        "members": nomination_selectors.audit_members(audit),
        "invitations": open_invitations(audit.partnership_id),
        "agencies_without_coordinator": agencies_without_coordinator(audit),
    }
    return _render(request, "cases/setup/members.html", audit, context)


@require_POST
@one_press
def audit_invitation_withdraw(request, pk, invitation_id):
    """The chair withdraws an open invitation to a role of the partnership's audits."""
    audit = access.get_audit_for(request, pk, "manage_audit")
    invitation = get_object_or_404(Invitation, pk=invitation_id, partnership=audit.partnership_id)
    access.require(may_withdraw(request.user, invitation))
    withdraw_and_say(request, invitation)
    return redirect("audit_members", audit.pk)


def withdraw_and_say(request, invitation) -> None:
    try:
        invitation_withdraw(invitation=invitation, user=request.user)
    except ValidationError as error:
        _refuse(request, error)
    else:
        messages.success(request, withdrawn_message(invitation))


def withdrawn_message(invitation) -> str:
    return (
        f"The invitation of {invitation.email} as {invitation.get_role_display()} was "
        "withdrawn: its link no longer works."
    )


@require_http_methods(["GET", "POST"])
@one_press
def audit_member_remove(request, pk, membership_id):
    audit = access.get_audit_for(request, pk, "manage_audit")
    members = {m.pk: m for m in nomination_selectors.audit_members(audit)}
    membership = members.get(membership_id)
    if membership is None:
        raise Http404("Not found.")
    refusal = setup_services.member_remove_refusal(membership=membership, user=request.user)
    if request.method == "POST":
        try:
            setup_services.member_remove(audit=audit, user=request.user, membership=membership)
        except ValidationError as error:
            _refuse(request, error)
        else:
            messages.success(
                request,
                f"{membership.user} no longer holds the role {membership.get_role_display()}.",
            )
        return redirect("audit_members", audit.pk)
    context = {"membership": membership, "refusal": refusal}
    return _render(request, "cases/setup/member_remove.html", audit, context)


# Nominations ---------------------------------------------------------------------------------


def nomination_list(request, pk):
    audit = access.get_audit_for(request, pk, "view_nominations")
    allowed = access.allowed_actions(request.user, audit)
    status = request.GET.get("status")
    if status not in nomination_selectors.STATUSES:
        status = ""
    counts = nomination_selectors.status_counts(audit)
    filters = [("", "All", counts["all"])] + [
        (value, label, counts[value]) for value, label in Nomination.Status.choices
    ]
    context = {
        "nominations": nomination_selectors.nomination_rows(audit, status or None),
        "status": status,
        "filters": filters,
        "counts": counts,
        "allowed": allowed,
        "is_chair": "manage_audit" in allowed,
    }
    return _render(request, "cases/setup/nomination_list.html", audit, context)


def _closed_to_nominations(request, audit):
    return turned_away(
        request,
        f"Nominations are closed: this audit is at the stage '{audit.get_status_display()}'. "
        "Cases can be nominated only while the audit is at 'Nominating cases'.",
        reverse("nomination_list", args=[audit.pk]),
    )


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def nomination_create(request, pk):
    audit = access.get_audit_for(request, pk, "nominate")
    if not audit.accepts_nominations:
        return _closed_to_nominations(request, audit)
    agencies = list(audit.agencies.all())
    form = NominationForm(request.POST or None, audit=audit)
    identity_form = IdentityForm(request.POST or None, agencies=agencies, prefix="identity")
    if request.method == "POST":
        valid = form.is_valid() & identity_form.is_valid()
        _check_against_identity(form, identity_form, involved_checked=valid)
        if valid and not identity_form.errors and not form.errors:
            try:
                nomination = nomination_services.nomination_create(
                    audit=audit,
                    user=request.user,
                    data=form.cleaned_data,
                    identity=identity_form.identity,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, f"{nomination.label} was nominated.")
                return redirect("nomination_list", audit.pk)
    context = {"form": form, "identity_form": identity_form, "creating": True}
    return _render(request, "cases/setup/nomination_form.html", audit, context)


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def nomination_edit(request, pk, nomination_id):
    audit = access.get_audit_for(request, pk, "nominate")
    nomination = get_object_or_404(audit.nominations, pk=nomination_id)
    is_chair = access.can(request.user, "manage_audit", audit)
    if not is_chair and nomination.nominated_by_id != request.user.pk:
        raise PermissionDenied
    if not audit.accepts_nominations:
        return _closed_to_nominations(request, audit)
    if nomination.status != Nomination.Status.NOMINATED:
        return turned_away(
            request,
            f"{nomination.current_label} is {nomination.get_status_display().lower()}: "
            "it can no longer be changed.",
            reverse("nomination_list", args=[audit.pk]),
        )
    form = NominationForm(request.POST or None, instance=nomination, audit=audit)
    if request.method == "POST" and is_chair:
        form.is_valid()  # and so, at once, a child's recorded details, even in what was asked about
        _check_no_identifiers(form, nomination)
    if request.method == "POST" and not form.errors:
        try:
            changed = nomination_services.nomination_update(
                nomination=nomination, user=request.user, data=form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if changed:
                messages.success(request, f"{nomination.label} was saved.")
            else:
                messages.info(request, NOTHING_CHANGED)
            return redirect("nomination_list", audit.pk)
    context = {"form": form, "nomination": nomination, "creating": False}
    return _render(request, "cases/setup/nomination_form.html", audit, context)


def _labels_valid(form, audit) -> bool:
    """The new labels are well formed and hold none of the audit's children's details: checked
    also when a label was asked about by its shape, so that the page says at once that a
    child's recorded name is to be taken out."""
    valid = form.is_valid()
    form.check_no_identifiers(audit)
    return valid and not form.errors


def _check_against_identity(form, identity_form, *, involved_checked: bool) -> None:
    """The nomination's words compared with the identifying details typed beside them, as
    soon as those are well formed (so that a label holding the child's name is refused at
    once, not first asked about); and the agencies with references among those involved,
    when the nomination is valid."""
    if identity_form.errors:
        return
    if involved_checked:
        identity_form.check_involved({a.pk for a in form.cleaned_data["agencies"]})
    identity = identity_form.identity
    form.check_no_identifiers(
        child_name=identity["child_name"],
        date_of_birth=identity["date_of_birth"],
        references=identity["references"].values(),
    )


def _check_no_identifiers(form, nomination) -> None:
    """The label and reason compared with the identifiers held: for the chair only, who may read
    them. Anyone else is asked only about what looks identifying by its shape (the form's own
    check), so that no one learns from a warning whether a guess at a child's details is right."""
    identity = (
        NominationIdentity.objects.filter(nomination=nomination)
        .prefetch_related("references")
        .first()
    )
    if identity:
        form.check_no_identifiers(
            child_name=identity.child_name,
            date_of_birth=identity.date_of_birth,
            references=[ref.reference for ref in identity.references.all()],
        )


@never_cache
@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def nomination_identifiers(request, pk, nomination_id):
    """The child's identifying details: the chair and co-ordinators of agencies involved only;
    anyone else is answered 404, as if there were nothing here. The chair alone changes them."""
    audit = access.get_audit_for(request, pk, "view_briefing")
    nomination = get_object_or_404(audit.nominations.prefetch_related("agencies"), pk=nomination_id)
    involved = list(nomination.agencies.all())
    access.require(
        access.can_view_identifiers(
            request.user,
            audit,
            [agency.pk for agency in involved],
            selected=nomination.case_id is not None,
        )
    )
    identity, references = nomination_selectors.identity_for(request.user, audit, nomination)
    form = None
    if access.can(request.user, "manage_audit", audit):
        form = _identity_form(request, identity, references, involved)
    elif request.method == "POST":
        raise PermissionDenied
    if request.method == "POST" and _identity_saved(request, form, nomination, involved):
        messages.success(request, f"The identifying details for {nomination.label} were saved.")
        return redirect("nomination_identifiers", audit.pk, nomination.pk)
    context = {
        "nomination": nomination,
        "identity": identity,
        "references": references,
        "involved": involved,
        "form": form,
        # Once deleted, none can be entered again: the page says so instead of offering a form
        # that would refuse them (a refused form is still shown, with its reason).
        "deleted_at": nomination_selectors.identifiers_deleted_at(audit),
    }
    return _render(request, "cases/setup/nomination_identifiers.html", audit, context)


def _identity_form(request, identity, references, involved) -> IdentityForm:
    """The chair's form of the child's details; a reference is held only for an agency involved
    in the case."""
    initial = {}
    if identity:
        initial = {"child_name": identity.child_name, "date_of_birth": identity.date_of_birth}
        initial.update({f"ref_{ref.agency_id}": ref.reference for ref in references})
    return IdentityForm(request.POST or None, agencies=involved, initial=initial, identity=identity)


def _identity_saved(request, form, nomination, involved) -> bool:
    if not form.is_valid():
        return False
    form.check_involved({agency.pk for agency in involved})
    if form.errors:
        return False
    try:
        nomination_services.identity_save(
            nomination=nomination, user=request.user, identity=form.identity
        )
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


@require_http_methods(["GET", "POST"])
@one_press
def nomination_decline(request, pk, nomination_id):
    audit = access.get_audit_for(request, pk, "manage_audit")
    nomination = get_object_or_404(audit.nominations, pk=nomination_id)
    if not audit.accepts_nominations:
        return _closed_to_nominations(request, audit)
    if nomination.status != Nomination.Status.NOMINATED:
        status = nomination.get_status_display().lower()
        return turned_away(
            request,
            f"{nomination.current_label} is already {status}.",
            reverse("nomination_list", args=[audit.pk]),
        )
    form = DeclineForm(request.POST or None)
    back = (request.POST.get("back") or request.GET.get("back")) == "selection" and "selection"
    if request.method == "POST" and form.is_valid():
        try:
            nomination_services.nomination_decline(
                nomination=nomination, user=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{nomination.label} was declined.")
            target = "selection" if back == "selection" else "nomination_list"
            return redirect(target, audit.pk)
    context = {"form": form, "nomination": nomination, "back": back}
    return _render(request, "cases/setup/nomination_decline.html", audit, context)


# Selection -----------------------------------------------------------------------------------


def _selection_audit(request, pk):
    audit = access.get_audit_for(request, pk, "manage_audit")
    if not audit.accepts_nominations:
        messages.warning(
            request,
            f"Cases are selected while the audit is at 'Nominating cases'; this audit is at "
            f"'{audit.get_status_display()}'.",
        )
        return audit, redirect("nomination_list", audit.pk)
    return audit, None


def _picked(values, pool) -> list[int]:
    ids = set()
    for value in values:
        try:
            ids.add(int(value))
        except (TypeError, ValueError):
            continue
    return [nomination.pk for nomination in pool if nomination.pk in ids]


def selection(request, pk):
    audit, refused = _selection_audit(request, pk)
    if refused:
        return refused
    pool = nomination_selectors.pool(audit)
    draws = nomination_selectors.draws_for(audit)
    if "update" in request.GET or "pick" in request.GET:
        proposed = _picked(request.GET.getlist("pick"), pool)
    elif draws and not draws[0].confirmed:
        proposed = _picked([n.pk for n in draws[0].nominations.all()], pool)
    else:
        proposed = []
    declined = nomination_selectors.nomination_rows(audit, Nomination.Status.DECLINED)
    summary = nomination_selectors.spread_summary(pool, proposed)
    context = {
        "pool": pool,
        "proposed": set(proposed),
        "proposed_count": len(proposed),
        "summary": summary,
        "gaps": [gap for group in summary for gap in group["gaps"]],
        "draws": draws,
        "declined": declined,
        "confirm_query": urlencode([("pick", pk) for pk in proposed]),
    }
    return _render(request, "cases/setup/selection.html", audit, context)


@require_POST
@one_press
def selection_draw(request, pk):
    audit, refused = _selection_audit(request, pk)
    if refused:
        return refused
    try:
        draw = nomination_services.selection_draw(audit=audit, user=request.user)
    except ValidationError as error:
        _refuse(request, error)
    else:
        count = draw.nominations.count()
        messages.success(
            request,
            f"{count} case{'s' if count != 1 else ''} drawn at random (seed {draw.seed}). "
            "Review the spread, change the ticks if you need to, then confirm the selection.",
        )
    return redirect("selection", audit.pk)


@require_http_methods(["GET", "POST"])
@one_press
def selection_confirm(request, pk):
    audit, refused = _selection_audit(request, pk)
    if refused:
        return refused
    pool = nomination_selectors.pool(audit)
    source = request.POST if request.method == "POST" else request.GET
    picked = _picked(source.getlist("pick"), pool)
    back = (
        reverse("selection", args=[audit.pk])
        + "?"
        + urlencode([("update", "1"), *(("pick", pk) for pk in picked)])
    )
    if not picked:
        messages.error(request, "Tick at least one nomination to select, then confirm.")
        return redirect(back)
    if request.method == "POST":
        try:
            cases = nomination_services.selection_confirm(
                audit=audit, user=request.user, nomination_ids=picked
            )
        except ValidationError as error:
            _refuse(request, error)
            return redirect(back)
        messages.success(
            request,
            f"{len(cases)} case{'s' if len(cases) != 1 else ''} selected. The audit moved to "
            "'Cases selected'; the other nominations were declined.",
        )
        return redirect("audit_detail", audit.pk)
    chosen = [n for n in pool if n.pk in set(picked)]
    others = [n for n in pool if n.pk not in set(picked)]
    context = {
        "chosen": chosen,
        "others": others,
        "back": back,
        "not_selected_reason": nomination_services.NOT_SELECTED_REASON,
    }
    return _render(request, "cases/setup/selection_confirm.html", audit, context)


# The selected cases' labels -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def case_labels(request, pk):
    """The chair renumbers or relabels the selected cases, until the briefing is published."""
    audit = access.get_audit_for(request, pk, "manage_audit")
    cases = list(audit.cases.all())
    if not cases:
        raise Http404("No cases selected yet.")
    in_order = request.method == "POST" and "in_order" in request.POST
    form = CaseLabelsForm(None if in_order else request.POST or None, cases=cases)
    if in_order:
        labels = nomination_services.cases_in_order_labels(audit)
    else:
        labels = form.labels() if form.is_bound and _labels_valid(form, audit) else None
    if labels is not None:
        try:
            loaded = form.loaded() if form.is_bound else None
            nomination_services.case_labels_update(audit=audit, labels=labels, loaded=loaded)
        except ValidationError as error:
            if form.is_bound:
                _add_errors(form, error)
                if getattr(error, "code", None) == "changed_meanwhile":
                    form.take_labels_now_saved()
            else:
                _refuse(request, error)
        else:
            messages.success(request, "The cases' labels were saved.")
            return redirect(reverse("audit_detail", args=[audit.pk]) + "#cases-heading")
    context = {
        "form": form,
        "allowed_now": nomination_services.case_labels_allowed(audit),
        "in_order": ", ".join(nomination_services.cases_in_order_labels(audit).values()),
    }
    status = 422 if form.errors else 200
    return render(
        request,
        "cases/setup/case_labels.html",
        {"audit": audit, "nav": "audits", **context},
        status=status,
    )
