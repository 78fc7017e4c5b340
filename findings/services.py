"""Writes for the briefing's content: items per case, good practice, recommendations, headings."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max

from cases.models import DEFAULT_HEADINGS, Audit, BriefingParagraph, Case

from .models import Finding, GoodPractice, Recommendation, Strength, Tag


@dataclass(frozen=True)
class Kind:
    """A kind of briefing item and what it belongs to: a case, or the audit as a whole."""

    slug: str
    model: type
    per_case: bool
    label: str

    def siblings(self, item):
        owner = {"case_id": item.case_id} if self.per_case else {"audit_id": item.audit_id}
        return self.model.objects.filter(**owner)

    def for_audit(self, audit):
        if self.per_case:
            return self.model.objects.filter(case__audit=audit)
        return self.model.objects.filter(audit=audit)


KINDS = {
    kind.slug: kind
    for kind in (
        Kind("strength", Strength, True, "strength"),
        Kind("finding", Finding, True, "finding"),
        Kind("good-practice", GoodPractice, False, "good practice"),
        Kind("recommendation", Recommendation, False, "recommendation"),
    )
}


@transaction.atomic
def item_create(*, kind: Kind, audit: Audit, case: Case | None, form) -> object:
    """Save a new item from a valid ModelForm, at the end of its list."""
    item = form.save(commit=False)
    if kind.per_case:
        item.case = case
    else:
        item.audit = audit
    last = kind.siblings(item).aggregate(last=Max("order"))["last"]
    item.order = 0 if last is None else last + 1
    item.full_clean()
    item.save()
    form.save_m2m()
    return item


@transaction.atomic
def item_update(*, form) -> object:
    item = form.save(commit=False)
    item.full_clean()
    item.save()
    form.save_m2m()
    return item


@transaction.atomic
def item_delete(*, item) -> None:
    item.delete()


@transaction.atomic
def item_move(*, kind: Kind, item, offset: int) -> None:
    """Move `item` up (-1) or down (+1) among its siblings; at either end nothing changes."""
    siblings = list(kind.siblings(item).select_for_update().order_by("order", "id"))
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    target = index + offset
    if not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for order, sibling in enumerate(siblings):
        if sibling.order != order:
            sibling.order = order
            sibling.save(update_fields=["order"])


@transaction.atomic
def briefing_layout_update(
    *, audit: Audit, headings: dict, included: dict[str, bool], narrative: dict[str, list[str]]
) -> None:
    """Headings, which optional sections are shown ({"include_good_practice": True, …}), and
    the two narrative sections' points."""
    for key in DEFAULT_HEADINGS:
        setattr(audit, f"heading_{key}", headings[key].strip() or DEFAULT_HEADINGS[key])
    for name in ("include_good_practice", "include_learning_summary", "include_actions_annex"):
        if name in included:
            setattr(audit, name, bool(included[name]))
    audit.full_clean(exclude=["agencies"])
    audit.save()
    for section, points in narrative.items():
        audit.paragraphs.filter(section=section).delete()
        BriefingParagraph.objects.bulk_create(
            BriefingParagraph(audit=audit, section=section, text=text, order=order)
            for order, text in enumerate(points)
        )


@transaction.atomic
def tag_create(*, name: str, partnership) -> Tag:
    """A learning tag the partnership can use: the shared one or its own of that name, or a new
    one of its own."""
    existing = (
        Tag.objects.for_partnership(partnership.pk)
        .filter(name__iexact=name.strip())
        .order_by(F("partnership_id").asc(nulls_first=True))  # the shared one first
        .first()
    )
    if existing:
        return existing
    tag = Tag(name=name.strip(), partnership=partnership)
    tag.full_clean(exclude=["slug"])
    tag.save()
    return tag
