"""Reads for the composite action plan, in a constant number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format

from cases.access import memberships_of
from cases.models import Audit
from findings.items import briefing_items, tag_uses
from findings.models import BriefingVersion
from maca.models import Agency, Partnership

from .access import restrict_actions
from .models import Action, Rag

OPEN_STATUSES = (Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS)
DASHBOARD_LIMIT = 10

SORTS = {
    "due": ("due_date", "pk"),
    "-due": ("-due_date", "-pk"),
    "status": ("status", "due_date"),
    "owner": ("owner_agency__name", "due_date"),
    "audit": ("audit__theme__name", "due_date"),
}


def plan_for(user, *, filters: dict | None = None, today: datetime.date | None = None):
    """The actions `user` may see, with RAG, filtered; and counts per RAG before the RAG filter."""
    today = today or timezone.localdate()
    filters = filters or {}
    actions = restrict_actions(
        _rated_actions(today, settings.MACA_RAG_AMBER_DAYS), user
    ).select_related("audit__theme", "audit__partnership", "owner_agency", "lead_user")
    if filters.get("audit"):
        actions = actions.filter(audit=filters["audit"])
    if filters.get("theme"):
        actions = actions.filter(audit__theme__name=filters["theme"])
    if filters.get("owner_agency"):
        actions = actions.filter(owner_agency=filters["owner_agency"])
    if filters.get("owner_agencies") is not None:
        actions = actions.filter(owner_agency__in=filters["owner_agencies"])
    if filters.get("status") == "open":
        actions = actions.filter(status__in=OPEN_STATUSES)
    elif filters.get("status"):
        actions = actions.filter(status=filters["status"])
    if filters.get("overdue"):
        actions = actions.filter(rag_rating=Rag.RED)
    if filters.get("due_from"):
        actions = actions.filter(due_date__gte=filters["due_from"])
    if filters.get("due_to"):
        actions = actions.filter(due_date__lte=filters["due_to"])
    counts = rag_counts(actions)
    if filters.get("rag"):
        actions = actions.filter(rag_rating=filters["rag"])
    return actions.order_by(*SORTS.get(filters.get("sort") or "due", SORTS["due"])), counts


# What a row of a list of actions shows (the downloads show more), and its RAG rating is made of.
ACTION_ROW_FIELDS = (
    "text",
    "due_date",
    "status",
    "at_risk",
    "lead",
    "lead_user__first_name",
    "lead_user__last_name",
    "lead_user__username",
    "owner_agency__name",
)
PLAN_ROW_FIELDS = (*ACTION_ROW_FIELDS, "audit__theme__name", "audit__partnership__name")


@lru_cache(maxsize=1)
def _rated_actions(today: datetime.date, amber_days: int):
    """Every action with its RAG rating on `today` (with an amber window of `amber_days`, the
    setting `with_rag` reads): built once a day, as the rating's expression costs more to build
    than the plan's query takes to run."""
    return Action.objects.with_rag(today)


def rag_counts(actions) -> dict[str, int]:
    """How many of `actions` have each RAG rating: one grouped query."""
    counts = {rag.value: 0 for rag in Rag}
    grouped = actions.order_by().values("rag_rating").annotate(number=Count("pk"))
    counts.update({row["rag_rating"]: row["number"] for row in grouped})
    return counts


@dataclass
class ActionList:
    """The first few of a list of actions, how many there are in all, and the plan's filter."""

    actions: list
    total: int
    query: dict


def dashboard_days() -> int:
    """How far ahead "due soon" looks: the amber window, so that the two always agree."""
    return settings.MACA_RAG_AMBER_DAYS


def dashboard_actions(user, *, today: datetime.date | None = None) -> dict[str, ActionList]:
    """Overdue actions and open actions due soon (within the amber window, RAG_AMBER_DAYS) that
    `user` may see: the first ten of each, as values, and how many there are, in one query
    whatever the number of actions (each row is numbered and counted within its list)."""
    today = today or timezone.localdate()
    soon_until = today + datetime.timedelta(days=dashboard_days())
    in_list = {"partition_by": [F("dashboard_list")]}
    rows = (
        restrict_actions(Action.objects.all(), user)
        # Open and due by the end of the window: overdue (red) or due soon. Plain conditions
        # rather than the RAG rating's, which cost more to build than the query takes to run.
        .filter(status__in=OPEN_STATUSES, due_date__lte=soon_until)
        .annotate(
            # Of these rows, the overdue are those due before today (the rest are due soon).
            dashboard_list=Case(
                When(due_date__lt=today, then=Value("overdue")),
                default=Value("due_soon"),
                output_field=CharField(),
            )
        )
        .annotate(
            place=Window(RowNumber(), order_by=[F("due_date").asc(), F("pk").asc()], **in_list),
            total=Window(Count("pk"), **in_list),
        )
        .filter(place__lte=DASHBOARD_LIMIT)
        .order_by("due_date", "pk")
        .values(
            "pk",
            "text",
            "due_date",
            "opens",
            "dashboard_list",
            "total",
            owner_name=F("owner_agency__name"),
            theme_name=F("audit__theme__name"),
            partnership_name=F("audit__partnership__name"),
        )
    )
    lists = {"overdue": [], "due_soon": []}
    totals = {"overdue": 0, "due_soon": 0}
    for action in rows:
        lists[action["dashboard_list"]].append(action)
        totals[action["dashboard_list"]] = action["total"]
    return {
        "overdue": ActionList(
            lists["overdue"], totals["overdue"], {"overdue": "on", "sort": "due"}
        ),
        "due_soon": ActionList(
            lists["due_soon"],
            totals["due_soon"],
            {
                "status": "open",
                "due_from": today.isoformat(),
                "due_to": soon_until.isoformat(),
                "sort": "due",
            },
        ),
    }


def audit_plan(audit, user, *, today: datetime.date | None = None) -> dict:
    """One audit's actions that `user` may see, grouped under its recommendations, with counts
    per RAG: two queries whatever the number of recommendations and actions."""
    today = today or timezone.localdate()
    actions = (
        restrict_actions(audit.actions.all(), user)
        .select_related("owner_agency", "lead_user")
        .only(*ACTION_ROW_FIELDS, "recommendation_id", "audit_id")
        .order_by("order", "pk")
        .rated(today)
    )
    counts = {rag.value: 0 for rag in Rag}
    for action in actions:  # all of them are listed, so counted here rather than in SQL
        counts[action.rag_rating] += 1
    by_recommendation: dict[int | None, list] = {}
    for action in actions:
        by_recommendation.setdefault(action.recommendation_id, []).append(action)
    recommendations = list(audit.recommendations.select_related("agency"))
    groups = [(r, by_recommendation.pop(r.pk, [])) for r in recommendations]
    unlinked = [a for actions_ in by_recommendation.values() for a in actions_]
    return {
        "groups": groups,
        "unlinked": unlinked,
        "counts": counts,
        "total": sum(counts.values()),
    }


def plan_partnerships(user, groups) -> list:
    """The partnerships whose actions the plan's PDF holds, by name; with none, those whose plan
    the user reads (so that an empty plan still says whose it is)."""
    found = {audit.partnership_id: audit.partnership for audit, _ in groups}
    if not found:
        ids = memberships_of(user).partnerships
        return list(Partnership.objects.filter(pk__in=ids).order_by("name"))
    return sorted(found.values(), key=lambda partnership: partnership.name)


def group_by_audit(actions) -> list[tuple]:
    """(audit, [actions]) in the order the audits first appear, for the plan PDF."""
    groups: dict[int, tuple] = {}
    for action in actions:
        groups.setdefault(action.audit_id, (action.audit, []))[1].append(action)
    return list(groups.values())


def audit_overview(audit: Audit, *, plan_agency_ids: frozenset[int] | None) -> dict:
    """Cases with their strengths and findings (`strength_list`, `finding_list`), good practice,
    recommendations with the cases they draw on (`case_list`), how the learning tags are used,
    the audit's actions (only those of `plan_agency_ids` unless None), and the agencies taking
    part, for the audit page: three queries whatever the size of the audit."""
    items = briefing_items(audit, with_tags=True)
    cases = items.cases
    actions = Action.objects.filter(audit=audit)
    if plan_agency_ids is not None:
        actions = actions.filter(owner_agency_id__in=plan_agency_ids)
    return {
        "cases": cases,
        "recommendations": items.recommendations,
        "good_practice": items.good_practice,
        "tag_uses": tag_uses(items, cases),
        "actions": actions.select_related("owner_agency", "lead_user")
        .only(*ACTION_ROW_FIELDS)
        .order_by("order", "id")
        .rated(),
    }


@dataclass(frozen=True, slots=True)
class AgencyTakingPart:
    pk: int
    name: str


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    number: int
    with_seven_minute: bool  # a 7-minute briefing was published with this version or an earlier


@dataclass(frozen=True, slots=True)
class OpenReaudit:
    pk: int


@dataclass(frozen=True)
class AuditFacts:
    """What the audit page shows around its items: the agencies taking part by name, the
    latest published version of the briefing (None before the first) and the re-audit of it
    scheduled and not yet closed (None when there is none)."""

    agencies: list[AgencyTakingPart]
    published_version: PublishedVersion | None
    open_reaudit: OpenReaudit | None


def audit_facts(audit: Audit) -> AuditFacts:
    """The audit page's facts of `audit` (as read by the access gate): one query, a row per
    agency taking part (one row when none does), each carrying the version and re-audit."""
    rows = list(_audit_facts_query().filter(pk=audit.pk))
    if not rows:  # deleted since the gate read it
        raise Http404("No such audit.")
    agencies = [AgencyTakingPart(pk, name) for pk, name, *_ in rows if pk is not None]
    _, _, latest_number, open_reaudit_id, with_seven_minute = rows[0]
    published = audit.briefing_published_at is not None and latest_number is not None
    return AuditFacts(
        agencies=agencies,
        published_version=PublishedVersion(latest_number, with_seven_minute) if published else None,
        open_reaudit=OpenReaudit(open_reaudit_id) if open_reaudit_id is not None else None,
    )


@lru_cache(maxsize=1)
def _audit_facts_query():
    """Built once: the query is the same for every audit but the one it is filtered to."""
    latest_number = BriefingVersion.objects.filter(audit_id=OuterRef("pk")).order_by("-number")
    open_reaudit = (
        Audit.objects.filter(reaudit_of_id=OuterRef("pk"))
        .exclude(status=Audit.Status.CLOSED)
        .order_by("pk")
    )
    return (
        Audit.objects.order_by("agencies__name")
        .annotate(
            latest_number=Subquery(latest_number.values("number")[:1]),
            open_reaudit_id=Subquery(open_reaudit.values("pk")[:1]),
            with_seven_minute=Exists(latest_number.exclude(seven_minute_sha256="")),
        )
        .values_list(
            "agencies__pk",
            "agencies__name",
            "latest_number",
            "open_reaudit_id",
            "with_seven_minute",
        )
    )


HISTORY_LIMIT = 50
# What an entry of an action's history says changed, field by field, as a sentence part.
_CHANGED_TEXTS = {
    "text": "the action's wording",
    "intended_outcome": "the intended outcome",
    "impact_measure": "the impact measure",
    "outcome_statement": "the outcome statement",
    "cancel_reason": "the reason for cancelling",
}
# The reasons a change is saved with name the chair; the entry names them itself.
_BY_THE_CHAIR = " by the chair"


@dataclass
class HistoryEntry:
    """One change to an action: when, why, by whom, and what it changed (or, for its first
    entry, what it started as)."""

    when: datetime.datetime
    reason: str
    by: object
    said: str


def action_history(action) -> list[HistoryEntry]:
    """The latest changes to `action`, newest first, each saying what it changed from the entry
    before it: two queries, whatever the number of entries."""
    records = list(
        action.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_LIMIT + 1
        ]
    )
    agency_names = dict(
        Agency.objects.filter(
            pk__in={r.owner_agency_id for r in records if r.owner_agency_id}
        ).values_list("pk", "name")
    )
    entries = []
    for newer, older in zip(records, [*records[1:], None], strict=True):
        if len(entries) == HISTORY_LIMIT:
            break
        entries.append(
            HistoryEntry(
                when=newer.history_date,
                reason=_reason(newer),
                by=newer.history_user,
                said=_what_changed(newer, older, agency_names),
            )
        )
    return entries


def _reason(record) -> str:
    reason = record.history_change_reason or record.get_history_type_display()
    return reason.removesuffix(_BY_THE_CHAIR) if record.history_user_id else reason


def _state(record) -> str:
    due = f", due {date_format(record.due_date, 'j F Y')}" if record.due_date else ""
    return f"{record.get_status_display()}{due}"


def _what_changed(newer, older, agency_names: dict[int, str]) -> str:
    if older is None:
        return _state(newer)
    changes = []
    if newer.status != older.status:
        changes.append(f"{older.get_status_display()} → {newer.get_status_display()}")
    if newer.due_date != older.due_date:
        changes.append(_due_change(older.due_date, newer.due_date))
    if newer.owner_agency_id != older.owner_agency_id:
        before = agency_names.get(older.owner_agency_id, "no agency")
        after = agency_names.get(newer.owner_agency_id, "no agency")
        changes.append(f"owner {before} → {after}")
    if newer.at_risk != older.at_risk:
        changes.append("marked at risk" if newer.at_risk else "no longer at risk")
    # The lead is a MACA user or a named officer: one lead, whichever it is.
    older_lead, newer_lead = (older.lead_user_id, older.lead), (newer.lead_user_id, newer.lead)
    if newer_lead != older_lead:
        changes.append("the lead changed" if any(older_lead) else "the lead added")
    said = {
        _text_change(what, getattr(older, field), getattr(newer, field))
        for field, what in _CHANGED_TEXTS.items()
        if getattr(newer, field) != getattr(older, field)
    }
    order = list(_CHANGED_TEXTS.values())
    changes += sorted(said, key=lambda change: order.index(change.rsplit(" ", 1)[0]))
    if not changes:
        return f"still {_state(newer)}"
    return "; ".join(changes)


def _text_change(what: str, before, after) -> str:
    if before in ("", None):
        return f"{what} added"
    if after in ("", None):
        return f"{what} removed"
    return f"{what} changed"


def _due_change(before, after) -> str:
    if before is None:
        return f"due date set to {date_format(after, 'j F Y')}"
    if after is None:
        return f"due date {date_format(before, 'j F Y')} taken away"
    return f"due {date_format(before, 'j F Y')} → {date_format(after, 'j F Y')}"
