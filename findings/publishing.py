"""Publishing the briefing: frozen, numbered versions, refused while it holds a child's details."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.dispatch import Signal
from django.utils import timezone

from cases.models import Audit, AuditEvent
from cases.selectors.identifiers import Flag, places_holding_identifiers, unconfirmed_flags
from cases.services.confirmations import digests_confirm
from cases.services.stage_emails import register_briefing_versions, send_stage_emails

from . import briefing, sevenminute
from .items import briefing_items
from .models import BriefingVersion, SevenMinuteBriefing
from .selectors import AnnexAction, BriefingSection, briefing_sections
from .word import render_docx


def _latest_version(audit: Audit):
    return audit.briefing_versions.only("number", "published_at").first()


def _published_since(since) -> Q:
    return Q(briefing_versions__published_at__gte=since)


# The stage emails tell everyone on the audit of each version published.
register_briefing_versions(latest=_latest_version, published_since=_published_since)

# Sent inside the publishing transaction with `version`, once the version is saved: the learning
# library indexes what went out (it sits above this app, so it listens rather than being called).
briefing_published = Signal()


class BriefingHasIdentifiers(ValidationError):
    """Publishing refused: `places` says where the briefing holds identifying details."""

    def __init__(self, places: list[str]):
        self.places = places
        super().__init__([f"{place} holds a child's identifying details." for place in places])


class BriefingLooksIdentifying(ValidationError):
    """Publishing refused: `flags` are the texts that look as if they held someone's identifying
    details by their shape, and that the chair has not confirmed are not (each can be)."""

    def __init__(self, flags: list[Flag]):
        self.flags = flags
        super().__init__([str(flag) for flag in flags])


class BriefingChangedWhilePublishing(ValidationError):
    """Publishing refused: something going out with the briefing was saved after it was checked
    for a child's details and before its version was saved. Publishing again checks it."""

    MESSAGE = (
        "Something in the briefing changed while it was being published; check it and publish "
        "again."
    )

    def __init__(self):
        super().__init__(self.MESSAGE)


class SevenMinuteTooLong(Exception):
    """Publishing refused: the 7-minute briefing's PDF runs to `pages` pages, not one."""

    def __init__(self, pages: int, part):
        self.pages = pages
        self.part = part  # the WrittenPart to shorten first
        super().__init__(
            f"The 7-minute briefing runs to {pages} pages: shorten part {part.number} "
            f"({part.title}), which has {part.words} words (its limit is {part.part.word_limit})."
        )


def seven_minute_parts(audit) -> dict[str, str] | None:
    """The 7-minute briefing's parts as written, or None when the audit has none."""
    found = SevenMinuteBriefing.objects.filter(audit=audit).first()
    return sevenminute.parts_of(found) if found else None


def _tags_of(audit) -> list[str]:
    items = briefing_items(audit, with_tags=True)
    return sorted({tag for item in items.all() for tag in item.tags}, key=str.lower)


def _briefing_texts(
    audit, *, with_plan: bool, sections: list[BriefingSection] | None = None
) -> tuple[list[tuple[str, str]], set[str]]:
    """Every piece of text the briefing prints (and the action plan, when it is published with
    it), with a name for where it is; and the names of those that are case labels. `sections`
    are the briefing's, when read already."""
    labels = [(f"The case label “{case.label}”", case.label) for case in audit.cases.all()]
    texts = [("The title", audit.title), ("The theme", audit.theme.name), *labels]
    sections = briefing_sections(audit) if sections is None else sections
    for section in sections:
        if with_plan and section.key == "actions_annex":
            continue  # its actions are the plan's, named as the chair finds them to edit
        texts.append((f"The heading “{section.heading}”", section.heading))
        for number, text in enumerate(section.paragraphs, start=1):
            texts.append((f"{section.heading}, point {number}", text))
        for group in section.case_groups:
            for number, item in enumerate(group.items, start=1):
                texts.append((f"{section.heading} › {group.case.label}, point {number}", item.text))
        for number, item in enumerate(section.items, start=1):
            texts.append((f"{section.heading}, point {number}", item.text))
    # The learning tags of its items go with them into the library, the trends and the report.
    texts += [(f"The learning tag “{name}”", name) for name in _tags_of(audit)]
    # Published with the briefing to the learning library, even where the briefing leaves it
    # out; where it prints it, its points are named above, and each is asked about once.
    summary = getattr(getattr(audit, "meeting_record", None), "learning_summary", "")
    if summary and not any(section.key == "learning_summary" for section in sections):
        texts.append(("The learning summary", summary))
    if with_plan:
        texts += _plan_texts(audit)
    parts = seven_minute_parts(audit)
    if parts:
        texts += sevenminute.texts_for_checking(parts)
    return texts, {place for place, _ in labels}


# Readers of the action plan's words that go out with the briefing when the plan is published
# with it: the actions app, built on this one, registers its own (actions/publishing.py).
PlanTexts = Callable[[Audit], list[tuple[str, str]]]
_plan_text_readers: list[PlanTexts] = []


def register_plan_texts(reader: PlanTexts) -> PlanTexts:
    """Add a reader of the plan's published words (usable as a decorator)."""
    if reader not in _plan_text_readers:
        _plan_text_readers.append(reader)
    return reader


def _plan_texts(audit) -> list[tuple[str, str]]:
    return [text for reader in _plan_text_readers for text in reader(audit)]


def identifying_details_in_briefing(audit, *, with_plan: bool = False) -> list[str]:
    texts, _ = _briefing_texts(audit, with_plan=with_plan)
    return places_holding_identifiers(audit, texts)


def refusals_in_briefing(audit, *, with_plan: bool) -> tuple[list[str], list[Flag]]:
    """What publishing now would be refused for, from one reading of the briefing: the places
    holding a child's identifying details, and the unconfirmed texts that look identifying."""
    texts, label_places = _briefing_texts(audit, with_plan=with_plan)
    return places_holding_identifiers(audit, texts), _unconfirmed(audit, texts, label_places)


def unconfirmed_in_briefing(audit, *, with_plan: bool = False) -> list[Flag]:
    """The texts going out with the briefing that look identifying by their shape (a case label
    also when it reads like a name) and that the chair has not confirmed are not."""
    return _unconfirmed(audit, *_briefing_texts(audit, with_plan=with_plan))


def _unconfirmed(audit, texts: list[tuple[str, str]], label_places: set[str]) -> list[Flag]:
    labels = [(place, text) for place, text in texts if place in label_places]
    others = [(place, text) for place, text in texts if place not in label_places]
    return unconfirmed_flags(audit, others, labels=labels)


def _checked_fingerprint(audit, *, with_plan: bool) -> str:
    """The fingerprint of what goes out with the briefing, once its texts are checked: refused
    while they hold identifying details, or words that look identifying and the chair has not
    confirmed are not. One reading is checked and fingerprinted."""
    sections, texts, label_places = _going_out(audit, with_plan=with_plan)
    places = places_holding_identifiers(audit, texts)
    if places:
        raise BriefingHasIdentifiers(places)
    flags = _unconfirmed(audit, texts, label_places)
    if flags:
        raise BriefingLooksIdentifying(flags)
    return _fingerprint(audit, sections, texts, with_plan=with_plan)


def _going_out(audit, *, with_plan: bool):
    """One reading of what goes out with the briefing: its sections, their items with their
    learning tags (the learning library indexes them), and the texts to check."""
    sections = briefing_sections(audit, with_tags=True)
    texts, label_places = _briefing_texts(audit, with_plan=with_plan, sections=sections)
    return sections, texts, label_places


def _fingerprint(audit, sections, texts, *, with_plan: bool) -> str:
    """Of everything the version prints and the learning library indexes: the texts checked,
    the cover, and the sections as they are rendered, with each item's agency, tags and cases."""
    cover = [audit.partnership.name, audit.protective_marking, audit.meeting_date]
    going_out = [with_plan, texts, cover, [_section_printed(section) for section in sections]]
    return hashlib.sha256(json.dumps(going_out, default=str).encode()).hexdigest()


def _section_printed(section: BriefingSection) -> list:
    groups = [
        [group.case.pk, group.case.label, [_item_printed(item) for item in group.items]]
        for group in section.case_groups
    ]
    items = [_item_printed(item) for item in section.items]
    return [section.key, section.heading, section.paragraphs, groups, items]


def _item_printed(item) -> list:
    agency = item.agency.name if item.agency else None
    if isinstance(item, AnnexAction):
        return [item.pk, item.text, agency, item.due_date]
    labels = [case.label for case in item.case_list]
    return [item.kind, item.pk, item.text, agency, labels, sorted(item.tags)]


def _refuse_if_changed(audit_pk: int, checked: str, *, with_plan: bool) -> None:
    """Refuse when what goes out as saved now is not what was checked (someone saved an edit
    while the briefing was being published): what the version holds, and what the learning
    library indexes as it is now, must be what was checked."""
    audit = Audit.objects.select_related("theme", "partnership").get(pk=audit_pk)  # afresh
    shown = _as_it_goes_out(audit, with_plan=with_plan)
    sections, texts, _ = _going_out(shown, with_plan=with_plan)
    if _fingerprint(shown, sections, texts, with_plan=with_plan) != checked:
        raise BriefingChangedWhilePublishing()


def briefing_text_confirm(*, audit: Audit, digest: str, user) -> Flag:
    """The chair confirms that one text the briefing (or its plan) would publish, which looks
    identifying, is not. Refused for a text no longer there, or already confirmed."""
    flag = next(
        (f for f in unconfirmed_in_briefing(audit, with_plan=True) if f.digest == digest), None
    )
    if flag is None:
        raise ValidationError(
            "That text has changed or been confirmed since the page was opened: nothing was "
            "confirmed. Check the list again."
        )
    digests_confirm(audit=audit, digests=[digest], user=user)
    return flag


def unchanged_since(audit) -> BriefingVersion | None:
    """The latest published version, when publishing now would freeze the very same page (it
    is rendered again with that version's number, date and fingerprint, and compared)."""
    last = audit.briefing_versions.select_related("published_by").order_by("-number").first()
    if last is None or (seven_minute_parts(audit) or {}) != last.seven_minute_parts:
        return None
    frozen = {
        "number": last.number,
        "published_at": last.published_at,
        "published_by": last.published_by,
        "sha256": last.sha256,
    }
    return last if briefing.render_html(audit, version=frozen) == last.html else None


def briefing_publish(
    *, audit: Audit, user, with_plan: bool | None = None, published_at=None
) -> BriefingVersion:
    """Freeze the briefing as the next version; refuse while it holds identifying details, or
    words that look identifying and the chair has not confirmed are not.

    `with_plan` publishes the audit's action plan to viewers with it (True), withdraws it
    (False) or leaves it as it is (None). `published_at` dates a past briefing brought in from
    a package (now, when not given).

    When the briefing would go out exactly as the latest version, no version is made: that
    version is returned, with `newly_published` False (the plan is still published or withdrawn
    as asked). So two presses of Publish, even at the same moment, make one version.

    The PDF, which may take many seconds for a large audit, is rendered before the audit's row
    is locked, so that nobody's edits wait for it; under the lock the version is numbered and
    saved, rendered again there only if another publisher took its number meanwhile. Edits to
    the briefing do not wait for that lock, so what goes out (its texts, and each item's agency,
    cases and tags) is read again under it, and once more after the learning library has
    indexed it: when it is not what was checked and rendered, publishing is refused
    (BriefingChangedWhilePublishing) and nothing of it is kept."""
    audit = Audit.objects.select_related("theme", "partnership").get(pk=audit.pk)
    plan_goes_out = with_plan if with_plan is not None else bool(audit.plan_published_at)
    shown = _as_it_goes_out(audit, with_plan=plan_goes_out)
    checked = _checked_fingerprint(shown, with_plan=plan_goes_out)
    rendered = None
    if unchanged_since(shown) is None:
        rendered = _render_version(shown, user, _next_number(audit), published_at)
    with transaction.atomic():
        locked = Audit.objects.select_for_update().get(pk=audit.pk)  # one publisher at a time
        if with_plan is None and bool(locked.plan_published_at) != plan_goes_out:
            raise BriefingChangedWhilePublishing()  # the plan was published or withdrawn meanwhile
        _refuse_if_changed(audit.pk, checked, with_plan=plan_goes_out)
        if with_plan is not None:
            _set_plan_published(locked, user, with_plan)
        latest = unchanged_since(shown)
        if latest is not None:
            latest.newly_published = False
            return latest
        number = _next_number(audit)
        if rendered is None or number != rendered["number"]:
            rendered = _render_version(shown, user, number, published_at)
        created = BriefingVersion.objects.create(audit=audit, **rendered)
        briefing_published.send(sender=BriefingVersion, version=created)
        _refuse_if_changed(audit.pk, checked, with_plan=plan_goes_out)  # as the library read it
        send_stage_emails(audit)
        return created


def _as_it_goes_out(audit: Audit, *, with_plan: bool) -> Audit:
    """The audit as its briefing goes out: with the plan's annex when the plan goes with it."""
    shown = copy.copy(audit)
    shown.plan_published_at = (audit.plan_published_at or timezone.now()) if with_plan else None
    return shown


def _next_number(audit: Audit) -> int:
    return (audit.briefing_versions.aggregate(last=Max("number"))["last"] or 0) + 1


def _render_version(audit: Audit, user, number: int, published_at=None) -> dict:
    """The frozen page and PDF of version `number`, and its 7-minute briefing's, as
    BriefingVersion's fields; refused when the 7-minute briefing runs past one page."""
    version = {
        "number": number,
        "published_at": published_at or timezone.now(),
        "published_by": user,
    }
    seven_minute = _seven_minute_for(audit, version)  # refused first: it is the quicker
    pdf = briefing.render_pdf_bytes(audit, version=version)
    sha256 = hashlib.sha256(pdf).hexdigest()
    html = briefing.render_html(audit, version={**version, "sha256": sha256})
    docx = render_docx(audit, version=version)
    return {**version, "html": html, "pdf": pdf, "docx": docx, "sha256": sha256, **seven_minute}


def _seven_minute_for(audit, version: dict) -> dict:
    """The 7-minute briefing's fields of the version, frozen alike; refused past one page."""
    parts = seven_minute_parts(audit)
    if parts is None:
        return {}
    pdf, pages = sevenminute.render_pdf(audit, parts, version=version)
    if pages != 1:
        raise SevenMinuteTooLong(pages, sevenminute.part_to_shorten(parts))
    sha256 = hashlib.sha256(pdf).hexdigest()
    html = sevenminute.render_html(audit, parts, version={**version, "sha256": sha256})
    return {
        "seven_minute_parts": parts,
        "seven_minute_html": html,
        "seven_minute_pdf": pdf,
        "seven_minute_sha256": sha256,
    }


def _set_plan_published(audit: Audit, user, published: bool) -> None:
    if published == (audit.plan_published_at is not None):
        return
    audit.plan_published_at = timezone.now() if published else None
    audit.save(update_fields=["plan_published_at", "updated_at"])
    kind = AuditEvent.Kind.PLAN_PUBLISHED if published else AuditEvent.Kind.PLAN_WITHDRAWN
    AuditEvent.objects.create(audit=audit, kind=kind, actor=user)


def version_of_copy(
    versions: list[BriefingVersion], sha256: str
) -> tuple[BriefingVersion | None, bool]:
    """The published version whose briefing PDF, or 7-minute briefing PDF (then True), has this
    fingerprint: (None, False) when none has."""
    for version in versions:
        if sha256 == version.sha256:
            return version, False
        if sha256 == version.seven_minute_sha256:
            return version, True
    return None, False
