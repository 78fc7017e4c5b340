"""The partnership administrator's pages: the partnership's people and their roles, its agencies,
its settings and its logo; and the logo itself, for every member of the partnership.

Every page fetches its partnership through `maca.access.get_partnership_for`: anyone who holds
no role in the partnership gets 404, a member who is not its administrator 403. None of these
pages shows an audit.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cases.forms.partnership import (
    AgencyForm,
    LogoForm,
    PartnershipMemberForm,
    PartnershipSettingsForm,
)
from cases.selectors import partnership as selectors
from cases.services import partnership as services
from cases.views.setup import invited_message, withdraw_and_say
from maca import access
from maca.concurrency import no_lost_updates
from maca.files import FETCH_UNAVAILABLE, STORAGE_ERRORS
from maca.invitations import lapsed_invitations, open_invitations
from maca.models import Invitation
from maca.once import one_press

logger = logging.getLogger(__name__)
ADMINISTER = "administer_partnership"
LOGO_TYPES = {"png": "image/png", "jpeg": "image/jpeg"}


def _add_errors(form, error: ValidationError) -> None:
    """Show a service's refusal on the form: next to its field when it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _render(request, template, partnership, tab, context, status=200):
    request.partnership = partnership  # the page is the partnership's: its name and logo head it
    context = {"partnership": partnership, "tab": tab, "nav": "partnership", **context}
    return render(request, template, context, status=status)


def partnership_list(request):
    """The partnerships the user administers; straight to the one when there is only one."""
    partnerships = list(access.administered_partnerships(request.user))
    if not partnerships:
        raise Http404("Not found.")
    if len(partnerships) == 1:
        return redirect("partnership_people", partnerships[0].pk)
    return render(
        request, "cases/partnership/list.html", {"partnerships": partnerships, "nav": "partnership"}
    )


@require_http_methods(["GET", "POST"])
@one_press
def partnership_people(request, partnership_id):
    partnership = access.get_partnership_for(request, partnership_id, ADMINISTER)
    form = PartnershipMemberForm(request.POST or None, partnership=partnership)
    if request.method == "POST" and form.is_valid():
        try:
            invitation, sent = services.partnership_member_invite(
                partnership=partnership, user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, invited_message(invitation, sent=sent))
            return redirect("partnership_people", partnership.pk)
    people = selectors.partnership_people(partnership)
    status = 422 if form.errors else 200
    return _render(
        request,
        "cases/partnership/people.html",
        partnership,
        "people",
        {
            "form": form,
            "people": people,
            "invitations": open_invitations(partnership.pk),
            "lapsed": lapsed_invitations(partnership.pk),
        },
        status,
    )


@require_POST
@one_press
def partnership_invitation_withdraw(request, partnership_id, invitation_id):
    """The administrator withdraws an open invitation to any role of the partnership."""
    partnership = access.get_partnership_for(request, partnership_id, ADMINISTER)
    invitation = get_object_or_404(Invitation, pk=invitation_id, partnership=partnership)
    withdraw_and_say(request, invitation)
    return redirect("partnership_people", partnership.pk)


@require_http_methods(["GET", "POST"])
@one_press
def partnership_member_remove(request, partnership_id, membership_id):
    partnership = access.get_partnership_for(request, partnership_id, ADMINISTER)
    membership = selectors.partnership_membership(partnership, membership_id)
    if membership is None:
        raise Http404("Not found.")
    if request.method == "POST":
        try:
            services.partnership_member_remove(
                partnership=partnership, user=request.user, membership=membership
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            role = membership.get_role_display()
            messages.success(request, f"{membership.user} no longer holds the role {role}.")
        return redirect("partnership_people", partnership.pk)
    refusal = services.partnership_member_remove_refusal(membership=membership, user=request.user)
    context = {"membership": membership, "refusal": refusal}
    return _render(request, "cases/partnership/member_remove.html", partnership, "people", context)


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def partnership_agencies(request, partnership_id):
    partnership = access.get_partnership_for(request, partnership_id, ADMINISTER)
    form = AgencyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agency = services.agency_create(partnership=partnership, **_agency_fields(form))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{agency.name} is now one of the partnership's agencies.")
            return redirect("partnership_agencies", partnership.pk)
    context = {"form": form, "agencies": selectors.partnership_agencies(partnership)}
    status = 422 if form.errors else 200
    return _render(
        request, "cases/partnership/agencies.html", partnership, "agencies", context, status
    )


def _agency_fields(form) -> dict:
    return {"name": form.cleaned_data["name"], "sector": form.cleaned_data["sector"]}


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def partnership_agency_edit(request, partnership_id, agency_id):
    partnership = access.get_partnership_for(request, partnership_id, ADMINISTER)
    agency = selectors.partnership_agency(partnership, agency_id)
    if agency is None:
        raise Http404("Not found.")
    form = AgencyForm(request.POST or None, instance=agency)
    if request.method == "POST" and form.is_valid():
        try:
            agency = services.agency_update(
                agency=agency,
                loaded_version=form.cleaned_data["loaded_version"],
                **_agency_fields(form),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"{agency.name} was saved.")
            return redirect("partnership_agencies", partnership.pk)
    context = {"form": form, "agency": agency}
    status = 422 if form.errors else 200
    return _render(
        request, "cases/partnership/agency_edit.html", partnership, "agencies", context, status
    )


@require_http_methods(["GET", "POST"])
@one_press
@no_lost_updates
def partnership_settings(request, partnership_id):
    partnership = access.get_partnership_for(request, partnership_id, ADMINISTER)
    form = PartnershipSettingsForm(request.POST or None, instance=partnership)
    if request.method == "POST" and form.is_valid():
        try:
            services.partnership_settings_update(partnership=partnership, data=form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "The partnership's settings were saved.")
            return redirect("partnership_settings", partnership.pk)
    status = 422 if form.errors else 200
    return _render(
        request, "cases/partnership/settings.html", partnership, "settings", {"form": form}, status
    )


@require_http_methods(["GET", "POST"])
def partnership_logo_edit(request, partnership_id):
    partnership = access.get_partnership_for(request, partnership_id, ADMINISTER)
    form = LogoForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.partnership_logo_set(
                partnership=partnership, uploaded_file=form.cleaned_data["logo"]
            )
        except ValidationError as error:
            form.add_error("logo", error)
        else:
            messages.success(request, "The logo was saved.")
            return redirect("partnership_logo_edit", partnership.pk)
    status = 422 if form.errors else 200
    return _render(
        request, "cases/partnership/logo.html", partnership, "logo", {"form": form}, status
    )


@require_POST
def partnership_logo_remove(request, partnership_id):
    partnership = access.get_partnership_for(request, partnership_id, ADMINISTER)
    services.partnership_logo_remove(partnership=partnership)
    messages.success(request, "The logo was removed.")
    return redirect("partnership_logo_edit", partnership.pk)


def partnership_logo(request, partnership_id):
    """The logo, for every member of the partnership (404 to anyone else, and when it has none)."""
    partnership = access.get_partnership_for(request, partnership_id, "view_logo")
    if not partnership.logo:
        raise Http404("No logo.")
    try:
        handle = partnership.logo.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The logo is missing.") from None
    except STORAGE_ERRORS:
        logger.exception("Fetching a logo failed")
        return HttpResponse(FETCH_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
    response = FileResponse(handle, content_type=LOGO_TYPES.get(partnership.logo_kind, "image/png"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
