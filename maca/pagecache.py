"""Pages served again from memory until anything they could show has changed.

A signed-in page that is asked for again in the same session, unchanged, is answered from this
worker's memory as soon as the session is read, instead of being built again (views marked
with `cached_page`, served by PageCacheMiddleware). Its key holds the session and its user, the
browser's CSRF cookie, the path with its query, today's date and the *data version*:

- In a request, a database execute wrapper sees every INSERT, UPDATE and DELETE: the first
  write to a table pages may show adds a `DataChange` row in the same transaction, so no other
  worker sees the write before the new version. Outside requests, model signals add one, and
  services that write without signals (`QuerySet.update`, `bulk_create`) call
  `note_data_change()`. The version is the highest row id with the number of rows, which
  changes with every commit, also when transactions commit out of order.
- So a stored page is found only by the session that every check (sign-in, two-step sign-in,
  the access gate) let see it, and only while no user, device, membership, role, audit, case or
  item has changed since. Whatever would make a check answer otherwise is such a change. Signing
  out deletes the session, and with it every key.
- Pages are kept at most PAGE_CACHE_SECONDS: that bounds what depends on the time alone, and
  changes made outside MACA (typed into the database, or a restored backup). Today's date is in
  the key, for overdue and due-soon. Pages with messages to show, pages over LARGEST_KEPT_PAGE,
  URLs with query parameters the page does not read and URLs spelled otherwise than MACA writes
  them (`/audits/01/`, `?&`) are never stored, and a session keeps at most PAGES_PER_SESSION.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import logging
import re

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.messages.storage import default_storage as message_storage
from django.core.cache import caches
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.http import HttpResponse
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone

from maca.middleware import record_look, refresh_idle_expiry

logger = logging.getLogger(__name__)
CACHE_ALIAS = "pages"
# A page larger than this is built every time rather than kept.
LARGEST_KEPT_PAGE = 256 * 1024
# Most pages one session may have kept at once (within PAGE_CACHE_SECONDS, give or take).
PAGES_PER_SESSION = 20
# Change rows kept when old ones are deleted, which is when a new row's id is a multiple of
# PRUNE_EVERY (ids may skip a multiple; the next one prunes).
KEEP_CHANGES = 50
PRUNE_EVERY = 200


def _change_model():
    from maca.models import DataChange

    return DataChange


def data_version() -> tuple[int, int]:
    """(highest change id, number of change rows) as committed now: both are read in one
    statement, so one snapshot."""
    connection.maca_change_marker = None  # a write after this read is recorded anew
    table = connection.ops.quote_name(_change_model()._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id), COUNT(*) FROM {table}")  # noqa: S608 (a model's table)
        highest, count = cursor.fetchone()
    return highest or 0, count


def note_data_change() -> None:
    """Record that the data changed, for writes that send no model signal (`QuerySet.update`,
    `bulk_create`). In a request the database watcher has seen the write already."""
    request_writes = _request_writes.get()
    if request_writes is not None:
        request_writes.changed = True
        return
    _record_with(connection)


def _record_change() -> None:
    """Add a change row in the current transaction. Now and then (see PRUNE_EVERY) the old rows
    are deleted and one more is added, so the highest id rises past any seen before and no earlier
    version can come back."""
    DataChange = _change_model()
    change = DataChange.objects.create()
    if change.pk % PRUNE_EVERY:
        return
    with transaction.atomic():
        # Rows another transaction is deleting are left to it (no waiting, no deadlock).
        old = list(
            DataChange.objects.select_for_update(skip_locked=True)
            .filter(pk__lte=change.pk - KEEP_CHANGES)
            .values_list("pk", flat=True)
        )
        DataChange.objects.filter(pk__in=old).delete()
        DataChange.objects.create()


# Tables whose changes no cached page shows: logs, sessions and sign-in bookkeeping.
IGNORED_MODELS = (
    "maca.AccessLogEntry",
    "maca.DataChange",
    "sessions.Session",
    "admin.LogEntry",
    "axes.AccessAttempt",
    "axes.AccessFailureLog",
    "axes.AccessLog",
)


@functools.cache
def _ignored_tables() -> frozenset[str]:
    return frozenset(django_apps.get_model(label)._meta.db_table for label in IGNORED_MODELS)


WRITE_STATEMENT = re.compile(
    r"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)"
    r'\s+["`]?(\w+)',
    re.IGNORECASE,
)


class _RequestWrites:
    """A database execute wrapper: records a change with the first write to a table pages may
    show in each transaction, in that transaction, so that no other worker can see the write
    before the new version."""

    changed = False

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        written = WRITE_STATEMENT.match(sql)
        if written and written.group(1) not in _ignored_tables():
            self.changed = True
            _record_with(context["connection"])
        return result


def _record_with(database) -> None:
    """Record a change with a write just made on `database`: at once in autocommit (the write
    has committed already), else once in the write's transaction. Whether this transaction has
    one is read from Django's on-commit list, which forgets what a rollback (to a savepoint, too)
    undid; reading the version forgets it as well, for a write after a read in one transaction."""
    if not database.in_atomic_block:
        _record_change()
        return
    marker = getattr(database, "maca_change_marker", None)
    if marker is not None and any(entry[1] is marker for entry in database.run_on_commit):
        return
    _record_change()

    def marker():
        """Marks the transaction as holding a change row; does nothing on commit."""

    database.maca_change_marker = marker
    transaction.on_commit(marker, using=database.alias)


_request_writes: contextvars.ContextVar[_RequestWrites | None] = contextvars.ContextVar(
    "request_writes", default=None
)


class DataChangeMiddleware:
    """A request that writes to a table pages show, in whatever way (saves, QuerySet.update(),
    bulk writes), records a change with its writes, and one more once it has been handled, as a
    second safeguard. Changes are recorded also where pages are not kept (PAGE_CACHE_SECONDS=0),
    for the workers that keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        writes = _RequestWrites()
        token = _request_writes.set(writes)
        try:
            with connection.execute_wrapper(writes):
                return self.get_response(request)
        finally:
            _request_writes.reset(token)
            if writes.changed:
                _record_after(request)


def _record_after(request) -> None:
    try:
        _record_change()
    except DatabaseError:
        # The request's own writes were recorded with them; this one is a second safeguard,
        # and the pages it would refresh expire within PAGE_CACHE_SECONDS anyway.
        logger.exception("A change could not be recorded after %s %s", request.method, request.path)


# The apps whose records pages show, and the two-step sign-in devices that let a session see
# them (a page served from memory does not read the device again). Signals are connected for
# their models only, so that Django still deletes other records (sessions, sign-in attempts)
# without loading them.
APPS_WATCHED = ("maca", "cases", "findings", "actions", "otp_totp", "otp_static")


def connect_signals() -> None:
    for label in APPS_WATCHED:
        for model in django_apps.get_app_config(label).get_models():
            if model._meta.db_table in _ignored_tables():
                continue
            uid = f"maca_page_data_{model._meta.label_lower}"
            post_save.connect(on_model_change, sender=model, dispatch_uid=f"{uid}_saved")
            post_delete.connect(on_model_change, sender=model, dispatch_uid=f"{uid}_deleted")
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    on_model_change, sender=field.remote_field.through, dispatch_uid=f"{uid}_m2m"
                )
    post_migrate.connect(on_migrated, dispatch_uid="maca_page_data_migrated")


def on_model_change(sender, **kwargs) -> None:
    """post_save, post_delete and m2m_changed outside requests (commands, the shell): inside
    one, DataChangeMiddleware sees every write."""
    if _request_writes.get() is not None:
        return
    if kwargs.get("action", "post_").startswith("pre_"):  # m2m_changed fires before and after
        return
    _record_with(connection)


def on_migrated(sender, **kwargs) -> None:
    """post_migrate: data migrations may have changed what pages show. Not when migrating back
    to before the change rows' table."""
    table = _change_model()._meta.db_table
    if sender.name == "maca" and table in connection.introspection.table_names():
        _record_change()


def _has_messages(request) -> bool:
    """Messages waiting to be shown, read before or after MessageMiddleware has run."""
    storage = getattr(request, "_messages", None) or message_storage(request)
    return len(storage) > 0


def cached_page(view=None, *, query: tuple[str, ...] = ()):
    """Marks a view whose page PageCacheMiddleware may serve again from memory while its key
    holds (see the module's docstring). Only for views whose page depends on nothing but the
    user, the data, the URL and the date. `query`: the names of the URL's query parameters the
    page reads; with any other, it is built every time. The mark is read from the view the URL
    resolves to: a view that hands over to a marked one must be marked itself."""
    if view is None:
        return functools.partial(cached_page, query=query)
    view.kept_page_query = frozenset(query)
    return view


def _kept_query_names(request) -> frozenset[str] | None:
    """The query names of the page at this path, when its view is marked with cached_page."""
    urlconf = getattr(request, "urlconf", None)
    try:
        match = resolve(request.path_info, urlconf)
    except Resolver404:
        return None
    names = getattr(match.func, "kept_page_query", None)
    if names is None:
        return None
    try:
        written = reverse(match.view_name, urlconf, match.args, match.kwargs)
    except NoReverseMatch:
        return None
    # Not /audits/01/: the page of /audits/1/ under another spelling.
    return names if written == request.path else None


def _page_key(request) -> str | None:
    """None when the request may not be answered from memory. Reads the session (as signing in
    would next): an unknown or expired one holds no user."""
    if (
        request.method != "GET"
        or not settings.PAGE_CACHE_SECONDS
        or request.headers.get("HX-Request")
        or settings.SESSION_COOKIE_NAME not in request.COOKIES
    ):
        return None
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if not csrf_cookie:  # the page's form tokens are made from this cookie
        return None
    query_names = _kept_query_names(request)
    if query_names is None or not set(request.GET).issubset(query_names):
        return None  # not a kept page, or no copies under made-up queries
    if request.META.get("QUERY_STRING", "") != request.GET.urlencode():
        return None  # '?&', '?%73tatus=': one page under many spellings
    user_id = request.session.get(SESSION_KEY)
    session_key = request.session.session_key
    if user_id is None or not session_key or _has_messages(request):
        return None
    parts = (
        session_key,
        str(user_id),
        csrf_cookie,
        request.get_full_path(),
        timezone.localdate().isoformat(),
        *map(str, data_version()),
    )
    return "page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class PageCacheMiddleware:
    """Answers a GET for a page kept in memory (see the module's docstring) as soon as the
    session is read: the page was built, through every check, for this same session, and
    nothing has changed since that could make any check answer otherwise. The look is written to
    the access log as the first one was. Sits inside SessionMiddleware, so the session's idle
    expiry still moves, and inside CommonMiddleware, so the Host header is still checked. The
    response carries every header the page was built with, but for the CSRF cookie, which the
    browser already holds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = _page_key(request)
        if key is None:
            return self.get_response(request)
        pages = caches[CACHE_ALIAS]
        stored = pages.get(key)
        if stored is not None:
            return _served_again(request, *stored)
        response = self.get_response(request)
        if _may_store(request, response) and _room_for(request.session.session_key):
            headers = list(response.items())
            look = getattr(request, "access_logged", None)
            pages.set(key, (response.content, headers, look), settings.PAGE_CACHE_SECONDS)
        return response


def _room_for(session_key) -> bool:
    """Whether one more page may be kept for this session: one session cannot fill the
    worker's PAGE_CACHE_ENTRIES with copies of a page under different URLs."""
    counter = "kept:" + hashlib.sha256(session_key.encode()).hexdigest()
    counts = caches["default"]
    counts.add(counter, 0, settings.PAGE_CACHE_SECONDS)
    try:
        return counts.incr(counter) <= PAGES_PER_SESSION
    except ValueError:  # expired in between
        return False


def _served_again(request, content, headers, look) -> HttpResponse:
    response = HttpResponse(content)
    for name, value in headers:
        response[name] = value
    if look is not None:
        record_look(request, look)
    refresh_idle_expiry(request.session)
    return response


def _may_store(request, response) -> bool:
    user = getattr(request, "user", None)
    return (
        response.status_code == 200
        and not response.streaming
        and _sets_no_cookie_but_the_same_csrf_one(request, response)
        and len(response.content) <= LARGEST_KEPT_PAGE
        and user is not None
        and user.is_authenticated
        and str(user.pk) == str(request.session.get(SESSION_KEY))
        and not _has_messages(request)
        and response.get("Content-Type", "").startswith("text/html")
    )


def _sets_no_cookie_but_the_same_csrf_one(request, response) -> bool:
    """A page with a form sends the CSRF cookie again (it is in the key) to renew its expiry;
    served from memory it is not sent, as the browser holds it for a year. Any other cookie (a
    new CSRF cookie, messages) makes the response one of a kind."""
    csrf_name = settings.CSRF_COOKIE_NAME
    others = set(response.cookies) - {csrf_name}
    if others:
        return False
    sent = response.cookies.get(csrf_name)
    return sent is None or sent.value == request.COOKIES.get(csrf_name)
