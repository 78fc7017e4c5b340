"""Reads for nominations, the selection of cases and the audit's members.

Lists never touch the child's identifying details (NominationIdentity); each read runs a fixed
number of queries however many nominations there are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db.models import Count, Q
from django.urls import reverse

from cases import access
from cases.models import (
    Audit,
    Case,
    Nomination,
    NominationIdentity,
    PurgeRecord,
    SelectionDraw,
)
from maca.models import Membership

Role = Membership.Role
STATUSES = [value for value, _ in Nomination.Status.choices]


def nomination_rows(audit: Audit, status: str | None = None) -> list[Nomination]:
    """The audit's nominations (optionally of one status) with their agencies and nominator."""
    queryset = audit.nominations.select_related("nominated_by", "case").prefetch_related("agencies")
    if status in STATUSES:
        queryset = queryset.filter(status=status)
    return list(queryset.order_by("created_at", "id"))


def status_counts(audit: Audit) -> dict[str, int]:
    """How many nominations there are of each status, and in all ("all"), in one query."""
    counts = audit.nominations.aggregate(
        all=Count("pk"),
        **{value: Count("pk", filter=Q(status=value)) for value in STATUSES},
    )
    return counts


def pool(audit: Audit) -> list[Nomination]:
    """Nominations still in the running, in the order they were made, with their agencies."""
    return list(
        audit.nominations.filter(status=Nomination.Status.NOMINATED)
        .prefetch_related("agencies")
        .order_by("created_at", "id")
    )


def draws_for(audit: Audit) -> list[SelectionDraw]:
    return list(audit.draws.select_related("drawn_by").prefetch_related("nominations"))


# The spread summary --------------------------------------------------------------------------

CHARACTERISTICS = [
    ("age_band", "Age band", Nomination.AgeBand),
    ("gender", "Gender", Nomination.Gender),
    ("ethnicity", "Ethnicity", Nomination.Ethnicity),
    ("disability", "Disability", Nomination.Disability),
    ("legal_status", "Legal status", Nomination.LegalStatus),
]

GAP_WORDING = {
    ("age_band", "unborn"): "No unborn babies selected",
    ("age_band", "under_1"): "No babies under 1 selected",
    ("age_band", "18_plus"): "No care leavers aged 18 and over selected",
    ("gender", "girl"): "No girls selected",
    ("gender", "boy"): "No boys selected",
    ("gender", "other"): "No children of other or self-described gender selected",
    ("gender", "unknown"): "No children whose gender is not known selected",
    ("ethnicity", "unknown"): "No children whose ethnicity is not known selected",
    ("disability", "yes"): "No disabled children selected",
    ("disability", "no"): "No children without a disability selected",
    ("disability", "unknown"): "No children whose disability is not known selected",
}


def gap_text(key: str, value: str, label: str) -> str:
    """How to say that nominations with this value exist but none is selected."""
    if (key, value) in GAP_WORDING:
        return GAP_WORDING[(key, value)]
    if key == "age_band":
        return f"No {label} year olds selected"
    if key == "ethnicity":
        return f"No children from the group “{label}” selected"
    if key == "legal_status":
        return f"No cases with legal status “{label}” selected"
    if key == "agencies":
        return f"No cases involving {label} selected"
    if key == "tags":
        return f"No cases tagged “{label}” selected"
    return f"None selected with {key} “{label}”"


def _rows(key, labelled: list[tuple[str, str]], nominated: Counter, proposed: Counter):
    rows, gaps = [], []
    for value, label in labelled:
        if not nominated[value]:
            continue
        gap = bool(value) and not proposed[value]
        rows.append(
            {"label": label, "nominated": nominated[value], "proposed": proposed[value], "gap": gap}
        )
        if gap:
            gaps.append(gap_text(key, value, label))
    return rows, gaps


def _tag_keys(nomination: Nomination) -> set[str]:
    return {str(tag).lower() for tag in nomination.tags or []}


def spread_summary(nominations: list[Nomination], proposed_ids: Iterable[int]) -> list[dict]:
    """For each characteristic, how many nominations and how many of the proposed selection have
    each value, and the values nominated but not selected, said in words ("gaps").

    Works on already-fetched nominations (with prefetched agencies): no queries.
    """
    proposed_ids = set(proposed_ids)
    chosen = [n for n in nominations if n.pk in proposed_ids]
    summary = []
    for key, name, choices in CHARACTERISTICS:
        labelled = [*choices.choices, ("", "Not recorded")]
        rows, gaps = _rows(
            key,
            labelled,
            Counter(getattr(n, key) for n in nominations),
            Counter(getattr(n, key) for n in chosen),
        )
        summary.append({"key": key, "name": name, "rows": rows, "gaps": gaps})

    agency_names = {a.pk: a.name for n in nominations for a in n.agencies.all()}
    labelled = sorted(((str(pk), name) for pk, name in agency_names.items()), key=lambda x: x[1])
    rows, gaps = _rows(
        "agencies",
        labelled,
        Counter(str(a.pk) for n in nominations for a in n.agencies.all()),
        Counter(str(a.pk) for n in chosen for a in n.agencies.all()),
    )
    summary.append({"key": "agencies", "name": "Agencies involved", "rows": rows, "gaps": gaps})

    spelling: dict[str, str] = {}
    for n in nominations:
        for tag in n.tags or []:
            spelling.setdefault(str(tag).lower(), str(tag))
    labelled = sorted(spelling.items(), key=lambda x: x[1].lower())
    rows, gaps = _rows(
        "tags",
        labelled,
        Counter(t for n in nominations for t in _tag_keys(n)),
        Counter(t for n in chosen for t in _tag_keys(n)),
    )
    summary.append({"key": "tags", "name": "Tags", "rows": rows, "gaps": gaps})
    return summary


# Members -------------------------------------------------------------------------------------

ROLE_ORDER = {Role.CHAIR: 0, Role.QA_MEMBER: 1, Role.COORDINATOR: 2, Role.VIEWER: 3}


def audit_members(audit: Audit) -> list[Membership]:
    """The partnership's chairs, QA members and viewers, and the co-ordinators of the agencies
    taking part in `audit`, by role then name."""
    memberships = Membership.objects.filter(partnership_id=audit.partnership_id).filter(
        Q(role__in=[Role.CHAIR, Role.QA_MEMBER, Role.VIEWER])
        | Q(role=Role.COORDINATOR, agency__audits=audit)
    )
    memberships = list(memberships.select_related("user", "agency").distinct())
    return sorted(
        memberships,
        key=lambda m: (
            ROLE_ORDER.get(m.role, 9),
            (m.user.get_full_name() or m.user.username).lower(),
            m.agency.name if m.agency_id else "",
        ),
    )


# Links for other pages -----------------------------------------------------------------------


def identifiers_url(user, audit: Audit, case: Case) -> str | None:
    """The link to a case's identifying details when `user` may see them, else None.

    The case must come from a nomination (`case.nomination`); select_related("nomination") and
    prefetch "nomination__agencies" when calling this for many cases.
    """
    try:
        nomination = case.nomination
    except Nomination.DoesNotExist:
        return None
    agency_ids = [agency.pk for agency in nomination.agencies.all()]
    if not access.can_view_identifiers(user, audit, agency_ids):
        return None
    return reverse("nomination_identifiers", args=[audit.pk, nomination.pk])


def identity_for(user, audit: Audit, nomination: Nomination):
    """The child's identifying details of `nomination` (None when none are held) and the
    agencies' references `user` may read, by agency name: every one for the chair, their own
    agencies' for a co-ordinator."""
    identity = (
        NominationIdentity.objects.filter(nomination=nomination)
        .prefetch_related("references__agency")
        .first()
    )
    references = list(identity.references.all()) if identity else []
    if not access.can(user, "manage_audit", audit):
        mine = access.agency_ids_for(user, audit)
        references = [ref for ref in references if ref.agency_id in mine]
    references.sort(key=lambda ref: ref.agency.name)
    return identity, references


def identifiers_deleted_at(audit: Audit):
    """When the audit's children's identifying details were deleted (every purge deletes them,
    the chair's and the retention schedule's), or None: none can be entered again after it."""
    return (
        PurgeRecord.objects.filter(audit_id_kept=audit.pk)
        .order_by("purged_at")
        .values_list("purged_at", flat=True)
        .first()
    )
