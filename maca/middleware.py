"""Access logging: every successful look at case-level data leaves one entry. Sliding idle expiry
of sessions without a database write on every request, sign-in asked for on every page, and the
messages of a press answered in place."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme

from maca import access, looks
from maca.addresses import client_address
from maca.models import AccessLogEntry

# Routes below these prefixes show or return case-level data (an import's outcome names the audit
# it made and the package's problems; a requested document across audits, such as the board's
# assurance report, what its asker may read of the partnership's audits), or the access log
# itself (who looked, from which address).
CASE_LEVEL_PREFIXES = (
    "audits/<int:pk>/",
    "actions/",
    "audits/import/<int:import_id>/",
    "documents/<int:document_id>/",
    "access-log/",
)
# A partnership's own pages (its people, agencies, settings and logo) hold no case-level data, so
# looks at them are not logged; refusals are, as anyone trying them out should be seen.
REFUSALS_LOGGED_PREFIXES = ("partnerships/<int:partnership_id>/",)
# The administration pages of these apps show case-level data too (to staff, who are logged).
ADMIN_CASE_LEVEL_APPS = ("cases", "findings", "actions")
# Pages whose very purpose is a particular kind of look.
SPECIAL_ACTIONS = {
    "nomination_identifiers": AccessLogEntry.Action.REVEAL,
    "action_plan_export": AccessLogEntry.Action.EXPORT,
    "audit_package": AccessLogEntry.Action.EXPORT,
    "usage_export": AccessLogEntry.Action.EXPORT,
}
# Pages whose file, when they give one, is a particular kind of look: the access log's CSV.
FILE_ACTIONS = {
    "access_log": AccessLogEntry.Action.EXPORT,
}


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or not request.user.is_authenticated:
            return response
        refused = response.status_code in (403, 404)
        if _shows_case_level_data(match):
            # A form sent back with errors (422), or refused as in conflict (409), shows the
            # page's data as much as a GET does.
            if request.method in ANSWERED_METHODS and response.status_code in (200, 409, 422):
                # A progress page's "not yet": its own look was logged when it was opened.
                if not getattr(request, "still_waiting", False):
                    record_access(request, response, match)
            elif refused:
                record_refusal(request, response, match)
        elif refused and str(match.route).startswith(REFUSALS_LOGGED_PREFIXES):
            record_refusal(request, response, match)
        return response


def _shows_case_level_data(match) -> bool:
    if str(match.route).startswith(CASE_LEVEL_PREFIXES):
        return True
    app_label = (match.url_name or "").split("_", 1)[0]
    return match.namespace == "admin" and app_label in ADMIN_CASE_LEVEL_APPS


def record_access(request, response, match) -> list[AccessLogEntry]:
    """One look, filed under the audit it shows. A page across audits (the composite action
    plan, its exports) names no audit: the look is filed under each of the user's partnerships,
    whose data it may show them, so that each of their chairs sees it, whoever they belong to
    later."""
    audit_id, partnership_ids = filed_under(request, match.kwargs)
    look = _look(request, match, _action(match.url_name, response), audit_id)
    if detail := getattr(request, "look_detail", ""):
        look["what"] = looks.with_detail(look["what"], detail)[:WHAT_LENGTH]
    return record_looks(request, look, partnership_ids)


WHAT_LENGTH = AccessLogEntry._meta.get_field("what").max_length


def name_the_look(request, detail: str) -> None:
    """Says which document or record a look is at, in words kept in its entry after the page's
    name ("Integrated chronology of Case 3"): a requested document is deleted a day later, and
    the log must still tell one from another. Chairs read the words: a case's pseudonymous
    label may be among them, never a person's name, a file name or anything typed about a
    child. A refusal keeps none of them."""
    request.look_detail = detail


def still_waiting(request) -> None:
    """A progress page's part asking again whether a document or import is done, and answered
    "not yet": it shows nothing the page did not, whose look was logged when it was opened, so
    a minute's wait is not thirty entries. Its answer when done, or refused, is logged."""
    request.still_waiting = True


def record_refusal(request, response, match) -> list[AccessLogEntry]:
    """A case-level page or file, or a partnership administrator's page, refused to a signed-in
    user. Refused (403) or not found (404) after the access gate let them into an audit of one
    of their own partnerships, it is filed under that audit, as their looks are; a page of
    their own partnership's administrator, under that partnership. Anything else (an audit
    they are no member of, one that does not exist, or a refusal before the access gate, as a
    failed CSRF check is) is filed under each of the user's own partnerships: the audit asked
    for may be another partnership's, whose chair is not told of them. It is filed too under
    the partnerships whose chairs saw them before (`_watched_before`): a member removed a
    moment ago is seen trying to get back."""
    own = access.memberships_of(request.user).partnerships
    asked_for, its_partnership = _audit_of(request, match.kwargs)
    partnership_asked_for = match.kwargs.get("partnership_id")
    if asked_for is not None and its_partnership in own:
        audit_id, partnership_ids = asked_for, [its_partnership]
    elif partnership_asked_for in own:  # a page of their own partnership's administrator
        audit_id, partnership_ids = None, [partnership_asked_for]
    else:
        watched = _watched_before(request, match.kwargs.get("pk"), holds_roles=bool(own))
        audit_id, partnership_ids = None, sorted({*own, *watched})
    look = _look(request, match, AccessLogEntry.Action.REFUSED, audit_id)
    # What was typed into the address is not kept: the data asked for is not theirs to see.
    return record_looks(request, look, partnership_ids, with_query=False)


# How many of someone's latest looks say whose chairs watched them, once they hold no role.
LATEST_LOOKS = 50


def _watched_before(request, audit_pk, *, holds_roles: bool) -> set[int]:
    """The partnerships under which the user's earlier looks were filed, whose chairs see them
    already: that of the audit asked for, or of the very page, if they looked at it before (a
    member since removed from it), and, once they hold no role at all, those of their latest
    looks. Someone who never looked at a partnership's data is never filed under it."""
    earlier = AccessLogEntry.objects.filter(
        user_id=request.user.pk, partnership_id__isnull=False
    ).order_by()
    same_page = Q(path=request.path) | Q(path__startswith=request.path + "?")
    if str(audit_pk).isdigit():  # a number past a column's is found nowhere (Django 5)
        same_page |= Q(audit_id=int(audit_pk))
    found = set(earlier.filter(same_page).values_list("partnership_id").distinct())
    if not holds_roles:
        found.update(earlier.order_by("-at").values_list("partnership_id")[:LATEST_LOOKS])
    return {partnership_id for (partnership_id,) in found}


def _look(request, match, action, audit_id) -> dict:
    """Who looked at what, how, and the audit it is filed under."""
    return {
        "user_id": request.user.pk,
        "username": request.user.get_username(),
        "action": action,
        "what": match.url_name or "",
        "audit_id": audit_id,
    }


def record_looks(request, look: dict, partnership_ids, *, with_query=True) -> list[AccessLogEntry]:
    """`look` filed under each of `partnership_ids` (under none when there is none), its entries
    sharing one id: one write."""
    if len(partnership_ids) <= 1:
        only = partnership_ids[0] if partnership_ids else None
        fields = _request_fields(request, with_query=with_query)
        return [AccessLogEntry.objects.create(**look, **fields, partnership_id=only)]
    # Each partnership's chair reads the entry: the address goes without what was typed into
    # it (a search or a filter of one partnership's data is not the others' to read).
    shared = {**look, **_request_fields(request, with_query=False), "look": uuid.uuid4()}
    return AccessLogEntry.objects.bulk_create(
        AccessLogEntry(**shared, partnership_id=partnership_id)
        for partnership_id in partnership_ids
    )


def _request_fields(request, *, with_query: bool = True) -> dict:
    path = request.get_full_path() if with_query else request.path
    return {"ip_address": client_address(request), "path": path[:500]}


def filed_under(request, kwargs) -> tuple[int | None, list[int]]:
    """The audit a look at this page is filed under, and the partnerships whose chairs see it:
    the audit's; else those the view named (`file_the_look_under`); else each of the user's own
    when the page names no audit."""
    audit_id, partnership_id = _audit_of(request, kwargs)
    if audit_id is not None:
        return audit_id, [partnership_id]
    named = getattr(request, "look_partnerships", None)
    return None, named if named is not None else access.memberships_of(request.user).partnerships


def file_the_look_under(request, partnership_ids) -> None:
    """For a page of no audit that shows one partnership's data or some of the user's
    partnerships' (the board's report of one, the access log of those they chair): its look is
    filed under those alone, so that the chair of another partnership of theirs learns nothing
    of what they read elsewhere."""
    request.look_partnerships = sorted(partnership_ids)


def _action(url_name, response) -> str:
    if url_name in SPECIAL_ACTIONS:
        return SPECIAL_ACTIONS[url_name]
    if response.get("Content-Disposition", "").startswith("attachment"):
        return FILE_ACTIONS.get(url_name, AccessLogEntry.Action.DOWNLOAD)
    return AccessLogEntry.Action.VIEW


def _audit_of(request, kwargs) -> tuple[int | None, int | None]:
    """The audit the view named as the one it shows (the access gate, an administration page of
    one record), when it is the audit the URL asks for."""
    audit = getattr(request, "audit", None)
    if audit is not None and str(kwargs.get("pk", audit.pk)) == str(audit.pk):
        return audit.pk, audit.partnership_id
    return None, None


SEEN_SESSION_KEY = "_seen"


def mark_session_seen(sender, request, user, **kwargs):
    """Signing in starts the idle clock, so the next request need not rewrite the session."""
    if getattr(request, "session", None) is not None:
        request.session[SEEN_SESSION_KEY] = int(time.time())


class SessionIdleRefreshMiddleware:
    """Keeps a signed-in session alive while it is used: its expiry moves to SESSION_COOKIE_AGE
    from now at most once every SESSION_REFRESH_SECONDS, so a session ends after that long idle
    (give or take the refresh interval) without rewriting the session on every request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key and request.user.is_authenticated:
            refresh_idle_expiry(session)
        return self.get_response(request)


def refresh_idle_expiry(session) -> None:
    """Moves a signed-in session's expiry on, at most once every SESSION_REFRESH_SECONDS."""
    now = int(time.time())
    if now - session.get(SEEN_SESSION_KEY, 0) >= settings.SESSION_REFRESH_SECONDS:
        session[SEEN_SESSION_KEY] = now  # marks the session for saving, with a new expiry


# The methods MACA's pages answer: GET (HEAD, the same without its body, and logged as a look as
# GET is: the page was built for it) and POST, the only ones its links and forms use. A view
# answers any other as it answers GET, and OPTIONS and TRACE pass the CSRF check as GET does: a
# page or file asked for so would be shown without the look the access log records of a GET.
ANSWERED_METHODS = ("GET", "HEAD", "POST")


class AnsweredMethodsMiddleware:
    """Refuses (405) every request by a method MACA's pages do not answer, before any page
    runs; and says, on a page, why an address that only takes a press was opened for nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ANSWERED_METHODS:
            return HttpResponseNotAllowed(ANSWERED_METHODS)
        response = self.get_response(request)
        if response.status_code == 405 and request.method == "GET" and not response.content:
            # An address only a button posts to, opened (after signing in again, say): a page
            # that says so, not the browser's blank "method not allowed".
            response.content = render_to_string("405.html", request=request)
            response["Content-Type"] = "text/html; charset=utf-8"
            # Set, for the empty body, by CommonMiddleware within: a server sends only as many
            # bytes as it says.
            response["Content-Length"] = str(len(response.content))
        return response


class NoStoreMiddleware:
    """Nothing sent to a signed-in user is kept by the browser or anything between: on a shared
    computer, the back button or the browser's cache must not show case details after sign-out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        kept_by_nobody = "no-store" in response.get("Cache-Control", "")  # downloads say so
        if request.user.is_authenticated and not kept_by_nobody:
            add_never_cache_headers(response)
        return response


SIGNED_OUT = (
    "You were signed out because MACA was not used for a while. Sign in again to carry on; "
    "anything you had typed and not saved is offered back to you."
)


class SignInRequiredMiddleware(LoginRequiredMiddleware):
    """Every page asks for sign-in (Django's LoginRequiredMiddleware), and says so when a session
    ran out. A request from a page part (htmx) gets 401 with HX-Redirect, so the sign-in page
    replaces the whole page, never the part, and returns to the page the person was on."""

    def handle_no_permission(self, request, view_func):
        # A session cookie whose session holds nothing: it has ended (signing out removes it).
        if settings.SESSION_COOKIE_NAME in request.COOKIES and not request.session.keys():
            messages.info(request, SIGNED_OUT)
        if request.headers.get("HX-Request") != "true":
            if request.method == "POST" and (page := _form_page_of(request)):
                # A whole-page form sent to an address that takes only a press (a row added to a
                # chronology, an audit moved on): after signing in, the page the form was on,
                # where what was typed is offered back, not that address, which shows nothing.
                login = resolve_url(self.get_login_url(view_func))
                return redirect_to_login(page, login, self.get_redirect_field_name(view_func))
            return super().handle_no_permission(request, view_func)
        response = HttpResponse("Sign in again to carry on.", status=401)
        login = resolve_url(self.get_login_url(view_func))
        response["HX-Redirect"] = f"{login}?{urlencode({'next': _page_of(request)})}"
        return response


def _page_of(request) -> str:
    """The address of the page a page part was asked for from, when it is one of MACA's own;
    else the home page (never the page part itself, which is no page to land on)."""
    return _own_page(request, request.headers.get("HX-Current-URL", "")) or "/"


def _form_page_of(request) -> str | None:
    """The address of the page a whole-page form was sent from (the browser's Referer), when it
    is one of MACA's own; else None."""
    return _own_page(request, request.headers.get("Referer", ""))


def _own_page(request, address: str) -> str | None:
    """`address`, a whole address the browser sent, as a path of this site to return to; None
    when it is another site's, or a path that a browser would read as another site's ("//")."""
    parts = urlsplit(address)
    same_site = url_has_allowed_host_and_scheme(
        parts.geturl(), allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not (same_site and parts.path) or not url_has_allowed_host_and_scheme(
        parts.path, allowed_hosts=set()
    ):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


# An htmx answer carrying one of these is followed to a whole page, which shows the messages.
HTMX_LEADS_ELSEWHERE = ("HX-Redirect", "HX-Location", "HX-Refresh")


class HtmxMessagesMiddleware:
    """What a press answered in place says ("The finding was saved.") appears where a whole page
    shows its messages: the page's message area is swapped (htmx out of band) along with the part
    that changed. A press that says nothing empties it, so an earlier message never stands
    beside a later change."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if _answers_a_press_in_place(request, response):
            area = render_to_string("_messages.html", {"swapped": True}, request=request)
            response.content += area.encode()
        return response


class ErrorTitleMiddleware:
    """A whole page showing what is wrong with a form (its error summary) says so first in its
    title ("Error: New audit · MACA"), the first thing a screen reader announces of a page.
    Done here, once, as the summary is shown from within each page's content, after the title."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and any(mark in response.content for mark in ERROR_MARKS)
        ):
            response.content = response.content.replace(b"<title>", b"<title>Error: ", 1)
        return response


# A form's error summary, and the refused sign-in's reason (the sign-in page has no summary).
ERROR_MARKS = (b'id="error-summary"', b'id="login-error"')


def _answers_a_press_in_place(request, response) -> bool:
    return (
        getattr(request, "htmx", False)
        and request.method == "POST"
        and response.status_code in (200, 422)
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and not any(header in response for header in HTMX_LEADS_ELSEWHERE)
    )
