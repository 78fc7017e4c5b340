import itertools
import time

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from maca import access
from maca.middleware import SEEN_SESSION_KEY
from maca.models import AccessLogEntry, Membership, Partnership
from maca.spreadsheets import csv_response, neutralise
from maca.widgets import DateInput


@login_not_required
def health(request):
    """For load balancers: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_POST
def session_keepalive(request):
    """Asked by the page while someone is typing, or when they choose to stay signed in: like any
    request, it moves the session's idle expiry forward, here always rather than at most once a
    minute (maca.middleware)."""
    request.session[SEEN_SESSION_KEY] = int(time.time())
    return HttpResponse(status=204)


class AccessLogFilter(forms.Form):
    username = forms.CharField(required=False, label="User name")
    audit = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Audit", choices=[("", "Any audit")]
    )
    action = forms.ChoiceField(
        required=False, choices=[("", "Any"), *AccessLogEntry.Action.choices]
    )
    since = forms.DateField(required=False, label="From", widget=DateInput())
    until = forms.DateField(required=False, label="To", widget=DateInput())

    def __init__(self, *args, partnership_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audit"].choices = [("", "Any audit"), *_audit_choices(partnership_ids)]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "'To' must be on or after 'From'")
        return data


def _audit_choices(partnership_ids) -> list[tuple[int, str]]:
    """The partnerships' audits by name, newest first. The audit model is reached through the
    partnership's reverse relation: this core app does not import the apps built on it."""
    Audit = Partnership._meta.get_field("audits").related_model
    audits = (
        Audit.objects.filter(partnership_id__in=partnership_ids)
        .select_related("theme")
        .order_by("-created_at", "-pk")
    )
    return [(audit.pk, f"{audit.theme.name} — {audit.title}") for audit in audits]


# Pages that show several partnerships' data at once: a look is filed under no partnership when
# the person belongs to several, and each of their chairs sees it.
ACROSS_PARTNERSHIPS = ("action_plan", "my_actions", "action_plan_pdf", "action_plan_export")


def access_log(request):
    """Who looked at what: the chair's view of their partnerships' access log, read-only."""
    partnership_ids = list(access.chaired_partnerships(request.user).values_list("pk", flat=True))
    if not partnership_ids:
        raise Http404("Not found.")
    members = Membership.objects.filter(partnership_id__in=partnership_ids).values("user_id")
    entries = AccessLogEntry.objects.filter(
        Q(partnership_id__in=partnership_ids)
        | Q(
            partnership_id__isnull=True,
            audit_id__isnull=True,
            what__in=ACROSS_PARTNERSHIPS,
            user_id__in=members,
        )
    )
    form = AccessLogFilter(request.GET or None, partnership_ids=partnership_ids)
    if form.is_valid():
        data = form.cleaned_data
        if data["username"]:
            entries = entries.filter(username__icontains=data["username"])
        if data["audit"]:
            entries = entries.filter(audit_id=data["audit"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["since"]:
            entries = entries.filter(at__date__gte=data["since"])
        if data["until"]:
            entries = entries.filter(at__date__lte=data["until"])
    if form.errors:
        # Neither the page nor the download pretends a filter it could not apply was applied.
        context = {"form": form, "page": None, "nav": "access_log"}
        return render(request, "maca/access_log.html", context, status=422)
    if request.GET.get("format") == "csv":
        return _access_log_csv(entries)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": Paginator(entries, 50).get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "nav": "access_log",
    }
    return render(request, "maca/access_log.html", context)


def _access_log_csv(entries) -> HttpResponse:
    header = ["When", "User", "Action", "What", "Page name", "Path", "Audit", "Address"]
    rows = (
        [
            entry.at.isoformat(),
            neutralise(entry.username),
            entry.get_action_display(),
            entry.what_display,
            entry.what,
            neutralise(entry.path),
            entry.audit_id or "",
            entry.ip_address or "",
        ]
        for entry in entries.iterator()
    )
    return csv_response(itertools.chain([header], rows), filename="access-log.csv")
