"""Publishing the briefing: frozen, numbered versions, refused while it holds a child's details."""

from __future__ import annotations

import hashlib
import re

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cases.models import Audit, AuditEvent, NominationIdentity

from . import briefing
from .models import BriefingVersion
from .selectors import briefing_sections

NAME_PART_MIN_LENGTH = 3


class BriefingHasIdentifiers(Exception):
    """Publishing refused: `places` says where the briefing holds identifying details."""

    def __init__(self, places: list[str]):
        self.places = places
        super().__init__("; ".join(places))


def _identifiers(audit) -> list[tuple[re.Pattern, str]]:
    """Patterns for each name and reference number held for the audit's children."""
    identities = (
        NominationIdentity.objects.filter(nomination__audit=audit)
        .select_related("nomination")
        .prefetch_related("references__agency")
    )
    found = []

    def add(value, description):
        value = value.strip()
        if value:
            pattern = re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)
            found.append((pattern, description))

    for identity in identities:
        label = identity.nomination.label
        add(identity.child_name, f"the name held for {label}")
        for part in identity.child_name.split():
            if len(part) >= NAME_PART_MIN_LENGTH and part != identity.child_name.strip():
                add(part, f"part of the name held for {label}")
        for reference in identity.references.all():
            add(reference.reference, f"{reference.agency.name}'s reference number for {label}")
    return found


def _briefing_texts(audit) -> list[tuple[str, str]]:
    """Every piece of text the briefing prints, with a name for where it is."""
    texts = [("The title", audit.title), ("The theme", audit.theme.name)]
    for section in briefing_sections(audit):
        texts.append((f"The heading “{section.heading}”", section.heading))
        for number, text in enumerate(section.paragraphs, start=1):
            texts.append((f"{section.heading}, point {number}", text))
        for group in section.case_groups:
            for number, item in enumerate(group.items, start=1):
                texts.append((f"{section.heading} › {group.case.label}, point {number}", item.text))
        for number, item in enumerate(section.items, start=1):
            texts.append((f"{section.heading}, point {number}", item.text))
    return texts


def identifying_details_in_briefing(audit) -> list[str]:
    identifiers = _identifiers(audit)
    if not identifiers:
        return []
    places = []
    for place, text in _briefing_texts(audit):
        for pattern, description in identifiers:
            if pattern.search(text):
                places.append(f"{place} contains {description}.")
    return places


@transaction.atomic
def briefing_publish(*, audit: Audit, user, with_plan: bool | None = None) -> BriefingVersion:
    """Freeze the briefing as the next version; refuse while it holds identifying details.

    `with_plan` publishes the audit's action plan to viewers with it (True), withdraws it
    (False) or leaves it as it is (None)."""
    locked = Audit.objects.select_for_update().get(pk=audit.pk)  # one publisher at a time
    audit = Audit.objects.select_related("theme", "partnership").get(pk=locked.pk)
    places = identifying_details_in_briefing(audit)
    if places:
        raise BriefingHasIdentifiers(places)
    if with_plan is not None:
        _set_plan_published(audit, user, with_plan)
    last = audit.briefing_versions.aggregate(last=Max("number"))["last"] or 0
    version = {"number": last + 1, "published_at": timezone.now(), "published_by": user}
    pdf = briefing.render_pdf_bytes(audit, version=version)
    sha256 = hashlib.sha256(pdf).hexdigest()
    html = briefing.render_html(audit, version={**version, "sha256": sha256})
    return BriefingVersion.objects.create(audit=audit, html=html, pdf=pdf, sha256=sha256, **version)


def _set_plan_published(audit: Audit, user, published: bool) -> None:
    if published == (audit.plan_published_at is not None):
        return
    audit.plan_published_at = timezone.now() if published else None
    audit.save(update_fields=["plan_published_at", "updated_at"])
    kind = AuditEvent.Kind.PLAN_PUBLISHED if published else AuditEvent.Kind.PLAN_WITHDRAWN
    AuditEvent.objects.create(audit=audit, kind=kind, actor=user)
