import datetime
import logging
import time
import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from maca import access, selectors
from maca.middleware import SEEN_SESSION_KEY, file_the_look_under
from maca.models import AccessLogEntry
from maca.spreadsheets import csv_response
from maca.text import typed_texts
from maca.widgets import DateInput

logger = logging.getLogger(__name__)


@login_not_required
def health(request):
    """Liveness, for process supervisors: the process is up and answering."""
    return JsonResponse({"status": "ok"})


@login_not_required
def readiness(request):
    """Readiness, for load balancers: 200 while this server can serve pages (its database and
    file storage answer), 503 when it cannot. Each part is named "ok" or what is wrong with it;
    a part pages can do without (the cache, the task queue's worker) makes the status
    "degraded", still 200, so that a Redis or worker outage does not take every server out of
    the load balancer. The reason goes to the log, not to the caller."""
    parts = {name: _answers(name, check) for name, check in readiness_checks().items()}
    essential_down = any(parts[name] != "ok" for name in ESSENTIAL_PARTS)
    status = "unavailable" if essential_down else "ok"
    if status == "ok" and any(state != "ok" for state in parts.values()):
        status = "degraded"
    return JsonResponse({"status": status, **parts}, status=503 if essential_down else 200)


ESSENTIAL_PARTS = ("database", "storage")
# A job ready this long and not taken means no worker is taking jobs.
TASK_WAIT_MINUTES = 10


def _answers(name, check) -> str:
    try:
        return check() or "ok"
    except Exception:  # any failure means not ready; the log says which and why
        logger.exception("Readiness check failed: %s", name)
        return "unavailable"


def _database_answers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache_answers():
    key = f"maca:readiness:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("The cache did not keep a value.")
    cache.delete(key)


def _storage_answers():
    default_storage.exists("readiness-probe")


def _task_queue_answers():
    """ "waiting" when a job has been ready for TASK_WAIT_MINUTES and no worker took it."""
    from django_tasks_db.models import DBTaskResult, get_date_max

    cutoff = timezone.now() - datetime.timedelta(minutes=TASK_WAIT_MINUTES)
    overdue = DBTaskResult.objects.ready().filter(
        Q(run_after=get_date_max()) | Q(run_after__lt=cutoff), enqueued_at__lt=cutoff
    )
    if overdue.exists():
        logger.warning("Jobs have waited over %s minutes for a worker.", TASK_WAIT_MINUTES)
        return "waiting"
    return "ok"


def readiness_checks() -> dict:
    checks = {
        "database": _database_answers,
        "cache": _cache_answers,
        "storage": _storage_answers,
    }
    # The task queue is a part of its own only when jobs wait in the database for a worker.
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        checks["tasks"] = _task_queue_answers
    return checks


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
        self.fields["audit"].choices = [
            ("", "Any audit"),
            *selectors.audit_choices(partnership_ids=partnership_ids),
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "'To' must be on or after 'From'")
        return data


def access_log(request):
    """Who looked at what: the chair's view of their partnerships' access log, read-only."""
    chaired = dict(access.chaired_partnerships(request.user).values_list("pk", "name"))
    partnership_ids = list(chaired)
    # A chair of several is told whose each entry is; of one, the page says nothing new.
    names = chaired if len(chaired) > 1 else {}
    if not partnership_ids:
        raise Http404("Not found.")
    file_the_look_under(request, partnership_ids)  # the log it shows: of those they chair
    form = AccessLogFilter(request.GET or None, partnership_ids=partnership_ids)
    if form.errors:
        # Neither the page nor the download pretends a filter it could not apply was applied.
        context = {"form": form, "page": None, "nav": "access_log"}
        return render(request, "maca/access_log.html", context, status=422)
    filters = form.cleaned_data if form.is_bound else {}
    entries = selectors.access_log_entries(partnership_ids, **filters)
    if request.GET.get("format") == "csv":
        return _access_log_csv(entries, names)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": Paginator(entries, 50).get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "partnership_names": names,
        "nav": "access_log",
    }
    return render(request, "maca/access_log.html", context)


def _access_log_csv(entries, partnership_names: dict[int, str]) -> HttpResponse:
    rows = selectors.access_log_table(entries, partnership_names)
    return csv_response(rows, filename="access-log.csv")


def csrf_failure(request, reason=""):
    """A form sent with an out-of-date security token (the person signed in again in another
    tab, or the page was open a long time): nothing was saved, and what they wrote, when the form
    came from this site, is given back to copy."""
    return render(request, "403_csrf.html", {"typed": typed_texts(request)}, status=403)


def turned_away(request, message: str, to: str):
    """A change refused because the audit moved on while the form was open. Asked with nothing
    typed, the message is shown on the page at `to`; with words typed, a page (409) says why and
    gives them back to copy, so that nothing written is lost."""
    typed = typed_texts(request)
    if not typed:
        messages.warning(request, message)
        return redirect(to)
    return render(request, "turned_away.html", {"message": message, "back": to}, status=409)
