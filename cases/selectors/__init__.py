"""Reads for the audit pages, each in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Subquery, Window
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import date_format as localised_date

from cases import access
from cases.models import Audit, Case
from cases.naming import audit_name
from maca.selectors import register_audit_choices

HOME_PAGE_SIZE = 25
# The most rows a query may skip and take, on every database: a signed 64-bit number.
MOST_ROWS = 2**63 - 1
# Newest meeting first, and audits with no meeting date yet (being set up) before them all, on
# every database alike.
NEWEST_FIRST = (F("meeting_date").desc(nulls_first=True), "-created_at", "-pk")


def audits_for_home(user, page_number) -> Page:
    """A page of the audits `user` may see, newest first, as values with their stage in words
    and their cases counted in the database: one query (the page, each row carrying the count)."""
    cases = (
        Case.objects.filter(audit=OuterRef("pk"))
        .order_by()
        .values("audit")
        .annotate(n=Count("pk"))
        .values("n")
    )
    audits = (
        Audit.objects.visible_to(user)
        .annotate(case_count=Coalesce(Subquery(cases), 0))
        .order_by(*NEWEST_FIRST)
        .values(
            "pk",
            "title",
            "status",
            "meeting_date",
            "case_count",
            "reaudit_of_id",
            theme_name=F("theme__name"),
            partnership_name=F("partnership__name"),
        )
    )
    page = page_counted_in_its_rows(audits, page_number, HOME_PAGE_SIZE)
    page.object_list = [_with_stage(row) for row in page.object_list]
    return page


def page_counted_in_its_rows(rows, number, per_page: int) -> Page:
    """Django's `Paginator(rows, per_page).get_page(number)`, with the count carried on each row
    of the page (a window over the whole list) rather than asked for in a query of its own; past
    the last page, as Django's, the last page."""
    paginator = Paginator(rows, per_page)
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    # A page beyond any list a database can count (a number typed into the address) is past the
    # end: not asked for, as the database would refuse to skip that many rows.
    found = (
        number >= 1
        and start + per_page <= MOST_ROWS
        and list(rows.annotate(rows_in_all=Window(Count("pk")))[start : start + per_page])
    )
    if not found and number != 1:
        return paginator.get_page(number)
    paginator.count = _rows_in_all(found[0]) if found else 0
    return Page(found, number, paginator)


def _rows_in_all(row) -> int:
    return row["rows_in_all"] if isinstance(row, dict) else row.rows_in_all


def audits_in_progress(user) -> list[dict]:
    """The audits `user` may see that are not closed yet, newest first, as values: one query."""
    audits = (
        Audit.objects.visible_to(user)
        .exclude(status=Audit.Status.CLOSED)
        .order_by(*NEWEST_FIRST)
        .values(
            "pk",
            "status",
            "meeting_date",
            "submission_deadline",
            "reaudit_of_id",
            theme_name=F("theme__name"),
            partnership_name=F("partnership__name"),
        )
    )
    return [_with_stage(row) for row in audits]


def _with_stage(row: dict) -> dict:
    row["stage"] = Audit.Status(row["status"]).label
    return row


@register_audit_choices
def access_log_audits(*, partnership_ids) -> list[tuple[int, str]]:
    """The partnerships' audits by name, newest first, for the access log's filter: one query."""
    audits = (
        Audit.objects.filter(partnership_id__in=partnership_ids)
        .select_related("theme", "partnership")
        .order_by("-created_at", "-pk")
    )
    several = len(set(partnership_ids)) > 1
    return [(audit.pk, _told_apart(audit, with_partnership=several)) for audit in audits]


def _told_apart(audit, *, with_partnership: bool) -> str:
    """An audit's name as a list of many tells it from the others of the same theme: whether it
    is a re-audit, its meeting's month (or its creation's) and, in several partnerships' lists,
    its partnership."""
    when = audit.meeting_date or timezone.localtime(audit.created_at).date()
    name = f"{audit_name(audit)} — {audit.title}, {date_format(when, 'F Y')}"
    return f"{name} · {audit.partnership.name}" if with_partnership else name


@dataclass(frozen=True)
class Original:
    """The audit a re-audit re-audits, as its page names it: its meeting's date, or its title when
    it had no meeting date; and whether the reader may open it."""

    pk: int
    name: str
    openable: bool


def original_of(audit: Audit, user) -> Original | None:
    """The original of the re-audit `audit` (None for any other audit): one query."""
    if audit.reaudit_of_id is None:
        return None
    readable = access.restrict_audits(Audit.objects.filter(pk=OuterRef("pk")), user)
    row = (
        Audit.objects.filter(pk=audit.reaudit_of_id)
        .annotate(openable=Exists(readable))
        .values("pk", "meeting_date", "title", "openable")
        .first()
    )
    if row is None:
        return None
    if not row["openable"]:  # another audit's date or title is for its own readers alone
        return Original(row["pk"], "an earlier audit of this theme", False)
    if row["meeting_date"]:
        name = f"the audit that met on {localised_date(row['meeting_date'], 'j F Y')}"
    else:
        name = f"the audit \u201c{row['title']}\u201d"
    return Original(row["pk"], name, row["openable"])
