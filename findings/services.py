"""Writes for the briefing's content: items per case, good practice, recommendations, headings."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify

from cases.models import DEFAULT_HEADINGS, Audit, BriefingParagraph, Case
from cases.services.confirmations import texts_confirm
from maca.concurrency import check_current, differs_from_saved
from maca.once import AlreadyAdded, added_moments_ago
from maca.text import shown_name

from . import sevenminute
from .models import (
    LEARNING_TAGS,
    Finding,
    GoodPractice,
    ImpactVerdict,
    Recommendation,
    SevenMinuteBriefing,
    Strength,
    Tag,
    UsageRecord,
)


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
def item_create(*, kind: Kind, audit: Audit, case: Case | None, form, user=None) -> object:
    """Save a new item from a valid ModelForm, at the end of its list, with the writer's
    confirmation that what looked identifying in it is not (`form.texts_to_confirm`)."""
    texts_confirm(audit=audit, texts=form.texts_to_confirm, user=user)
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
def item_update(*, form, user=None) -> bool:
    """Whether anything changed: a save that changes nothing is not kept."""
    texts_confirm(audit=form.audit, texts=form.texts_to_confirm, user=user)
    item = form.save(commit=False)
    item.full_clean()
    many = {
        field.name: form.cleaned_data[field.name]
        for field in item._meta.many_to_many
        if field.name in form.cleaned_data
    }
    if not differs_from_saved(item, **many):
        return False
    item.save()
    form.save_m2m()
    return True


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
    *,
    audit: Audit,
    headings: dict,
    included: dict[str, bool],
    narrative: dict[str, list[str]],
    confirmed_texts=(),
    user=None,
) -> None:
    """Headings, which optional sections are shown ({"include_good_practice": True, …}), and
    the two narrative sections' points (`confirmed_texts`: those the writer confirmed are not
    identifying, though they look it)."""
    texts_confirm(audit=audit, texts=confirmed_texts, user=user)
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
def learning_tags_seed(*, partnership) -> None:
    """Give a new partnership the learning themes every partnership starts with."""
    Tag.objects.bulk_create(
        [Tag(name=name, slug=slugify(name), partnership=partnership) for name in LEARNING_TAGS],
        ignore_conflicts=True,
    )


def give_new_partnership_its_tags(sender, instance, created, raw=False, **kwargs) -> None:
    """post_save receiver of Partnership (findings/apps.py)."""
    if created and not raw:
        learning_tags_seed(partnership=instance)


def _tag_named(name: str, partnership) -> Tag | None:
    return (
        Tag.objects.for_partnership(partnership.pk)
        .filter(name__iexact=name)
        .order_by(F("partnership_id").asc(nulls_first=True))  # the shared one first
        .first()
    )


@transaction.atomic
def tag_create(*, name: str, partnership) -> Tag:
    """A learning tag the partnership can use: the shared one or its own of that name, or a new
    one of its own. Two people adding the same name at once get the same tag."""
    name = name.strip()
    for _attempt in range(3):
        existing = _tag_named(name, partnership)
        if existing:
            return existing
        tag = Tag(name=name, partnership=partnership)
        tag.full_clean(exclude=["slug"], validate_constraints=False)
        try:
            with transaction.atomic():
                tag.save()
        except IntegrityError:
            # Added meanwhile: that tag is found next time round (or another slug is chosen).
            continue
        return tag
    raise ValidationError("The tag could not be added just now. Try again.")


# The 7-minute briefing -----------------------------------------------------------------------


@transaction.atomic
def seven_minute_draft(*, audit: Audit) -> SevenMinuteBriefing:
    """Draft parts 1 to 5 from the briefing (replacing them); parts 6 and 7 start from the
    partnership's standard text when they are empty."""
    record, _ = SevenMinuteBriefing.objects.select_for_update().get_or_create(audit=audit)
    for field, text in sevenminute.drafted_parts(audit).items():
        setattr(record, field, text)
    partnership = audit.partnership
    record.questions = record.questions or partnership.seven_minute_questions
    record.find_out_more = record.find_out_more or partnership.seven_minute_find_out_more
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def seven_minute_save(
    *, audit: Audit, parts: dict[str, str], confirmed_texts=(), user=None
) -> SevenMinuteBriefing:
    """Keep every part as typed (a part over its word limit too: the page says by how much)."""
    texts_confirm(audit=audit, texts=confirmed_texts, user=user)
    record, _ = SevenMinuteBriefing.objects.select_for_update().get_or_create(audit=audit)
    for field in sevenminute.PART_FIELDS:
        setattr(record, field, (parts.get(field) or "").strip())
    record.full_clean()
    record.save()
    return record


def seven_minute_parts_or_draft(audit: Audit) -> dict[str, str]:
    """The parts as written; for an audit whose parts were never written, drafted first."""
    record = SevenMinuteBriefing.objects.filter(audit=audit).first()
    return sevenminute.parts_of(record or seven_minute_draft(audit=audit))


@transaction.atomic
def partnership_seven_minute_text_update(*, partnership, questions: str, find_out_more: str):
    """The partnership's standard parts 6 and 7, copied into each new 7-minute briefing."""
    partnership.seven_minute_questions = questions.strip()
    partnership.seven_minute_find_out_more = find_out_more.strip()
    partnership.full_clean()
    # Its version moves on, so that the administrator's settings page does not save over it.
    partnership.save(
        update_fields=["seven_minute_questions", "seven_minute_find_out_more", "updated_at"]
    )
    return partnership


# Where the briefing was used -----------------------------------------------------------------


@transaction.atomic
def usage_record(
    *,
    audit: Audit,
    agency,
    user,
    date,
    team: str,
    staff_count: int,
    reflection: str,
    briefing: str = "",
    confirmed_texts=(),
) -> UsageRecord:
    """One use of the briefing (`briefing`: which, UsageRecord.Briefing; empty when not said)
    by an agency taking part in the audit; `confirmed_texts`, of its team and reflection, those
    that look identifying and the writer confirmed are not."""
    texts_confirm(audit=audit, texts=confirmed_texts, user=user)
    record = UsageRecord(audit=audit, recorded_by=user, briefing=briefing)
    _usage_fill(record, agency=agency, date=date, team=team, staff_count=staff_count)
    record.reflection = reflection.strip()
    _usage_check(record)
    same = UsageRecord.objects.filter(
        audit=audit,
        recorded_by=user,
        **{name: getattr(record, name) for name in USAGE_CONTENT},
    )
    if added_moments_ago(same):
        raise AlreadyAdded
    record.save()
    return record


USAGE_CONTENT = ("agency_id", "briefing", "date", "team", "staff_count", "reflection")


@transaction.atomic
def usage_record_update(
    *,
    record: UsageRecord,
    agency,
    date,
    team: str,
    staff_count: int,
    reflection: str,
    briefing: str,
    user=None,
    confirmed_texts=(),
) -> bool:
    """Correct a recorded use: its agency, briefing, date, team, staff or reflection. Who
    recorded it stays as it was. Returns whether anything changed: a save that changes nothing
    is left out, so that it gives the record no new version to refuse someone else's open form."""
    texts_confirm(audit=record.audit, texts=confirmed_texts, user=user)
    record.briefing = briefing
    _usage_fill(record, agency=agency, date=date, team=team, staff_count=staff_count)
    record.reflection = reflection.strip()
    _usage_check(record)
    if not differs_from_saved(record):
        return False
    record.save()
    return True


@transaction.atomic
def usage_record_delete(*, record: UsageRecord, loaded_version: str | None = None) -> None:
    """Remove a use recorded by mistake: it is no longer counted anywhere. `loaded_version` is
    the record as the person saw it when they confirmed: a correction saved since is not
    deleted unseen."""
    check_current(record, loaded_version=loaded_version, label="this session")
    UsageRecord.objects.filter(pk=record.pk).delete()


def _usage_fill(record: UsageRecord, *, agency, date, team: str, staff_count: int) -> None:
    if not record.audit.agencies.filter(pk=agency.pk).exists():
        raise ValidationError({"agency": "Choose an agency taking part in this audit."})
    # Without the invisible characters (a zero-width space) that would let two teams look alike
    # in the list and the board's report, or a team look like none.
    record.team = shown_name(team)
    if not record.team:
        raise ValidationError({"team": "Enter the team or setting."})
    record.agency = agency
    record.date = date
    record.staff_count = staff_count


def _usage_check(record: UsageRecord) -> None:
    # Who recorded it is not asked for: it may be nobody now (their account was deleted).
    record.full_clean(exclude=["recorded_by"])
    if record.date > timezone.localdate():
        raise ValidationError({"date": "The date cannot be in the future."})


# Impact at the re-audit ----------------------------------------------------------------------


@transaction.atomic
def impact_verdicts_save(
    *, reaudit: Audit, user, verdicts: dict[int, dict], confirmed_texts=()
) -> int:
    """For each of the original audit's recommendations (by id): its impact measure, and the
    re-audit meeting's verdict and evidence. A recommendation with no verdict chosen keeps none.
    `confirmed_texts`: those of the words that look identifying and the writer confirmed are not.
    Returns how many verdicts are held."""
    if reaudit.reaudit_of_id is None:
        raise ValidationError("This audit is not a re-audit: it has no original to compare with.")
    texts_confirm(audit=reaudit, texts=confirmed_texts, user=user)
    recommendations = Recommendation.objects.select_for_update().filter(
        audit_id=reaudit.reaudit_of_id, pk__in=verdicts
    )
    for recommendation in recommendations:
        given = verdicts[recommendation.pk]
        measure = (given.get("impact_measure") or "").strip()
        if measure != recommendation.impact_measure:
            recommendation.impact_measure = measure
            recommendation.save(update_fields=["impact_measure", "updated_at"])
        if not given.get("verdict"):
            ImpactVerdict.objects.filter(reaudit=reaudit, recommendation=recommendation).delete()
            continue
        verdict = ImpactVerdict.objects.filter(
            reaudit=reaudit, recommendation=recommendation
        ).first() or ImpactVerdict(reaudit=reaudit, recommendation=recommendation)
        evidence = (given.get("evidence") or "").strip()
        if verdict.pk and (verdict.verdict, verdict.evidence) == (given["verdict"], evidence):
            continue  # as it was: no new version, no history, its recorder kept
        verdict.verdict, verdict.evidence = given["verdict"], evidence
        verdict.recorded_by = user
        verdict.full_clean()
        verdict.save()
    return ImpactVerdict.objects.filter(reaudit=reaudit).count()
