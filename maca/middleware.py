"""Access logging: every successful look at case-level data leaves one entry."""

from __future__ import annotations

from django.apps import apps

from maca.models import AccessLogEntry

# Routes below these prefixes show or return case-level data.
CASE_LEVEL_PREFIXES = ("audits/<int:pk>/", "actions/")
# Pages whose very purpose is a particular kind of look.
SPECIAL_ACTIONS = {
    "nomination_identifiers": AccessLogEntry.Action.REVEAL,
    "action_plan_export": AccessLogEntry.Action.EXPORT,
}


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            match is not None
            and request.method == "GET"
            and response.status_code == 200
            and request.user.is_authenticated
            and str(match.route).startswith(CASE_LEVEL_PREFIXES)
        ):
            record_access(request, response, match)
        return response


def record_access(request, response, match) -> AccessLogEntry:
    audit_id, partnership_id = _audit_of(match.kwargs)
    return AccessLogEntry.objects.create(
        user=request.user,
        username=request.user.get_username(),
        ip_address=_client_address(request),
        action=_action(match.url_name, response),
        what=match.url_name or "",
        path=request.get_full_path()[:500],
        audit_id=audit_id,
        partnership_id=partnership_id,
    )


def _action(url_name, response) -> str:
    if url_name in SPECIAL_ACTIONS:
        return SPECIAL_ACTIONS[url_name]
    if response.get("Content-Disposition", "").startswith("attachment"):
        return AccessLogEntry.Action.DOWNLOAD
    return AccessLogEntry.Action.VIEW


def _audit_of(kwargs) -> tuple[int | None, int | None]:
    Audit = apps.get_model("cases", "Audit")
    if "pk" in kwargs:
        audits = Audit.objects.filter(pk=kwargs["pk"])
    elif "action_id" in kwargs:
        audits = Audit.objects.filter(actions__pk=kwargs["action_id"])
    else:
        return None, None
    found = audits.values_list("pk", "partnership_id").first()
    return found if found else (None, None)


def _client_address(request) -> str | None:
    # Behind a proxy, set SECURE_PROXY_SSL_HEADER and have the proxy overwrite REMOTE_ADDR
    # (e.g. gunicorn --forwarded-allow-ips); X-Forwarded-For is not trusted here.
    return request.META.get("REMOTE_ADDR") or None
