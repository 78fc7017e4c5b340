"""Moving agencies and learning tags into the partnerships that use them.

Shared by the migrations of every app whose rows point at an agency or a tag: each re-points its
own app's rows (a higher app's migration imports this; this module names none of them). The
first partnership found using an agency or tag takes it; every other partnership using it gets
a copy of its own (same name, sector or slug), and its rows are pointed at that copy, so no row
changes what it says. What no row uses is given to every partnership afterwards
(`unclaimed_share`), as each partnership could choose it before.

The module's name starts with "_", so Django's migration loader does not take it for a migration.
"""

from __future__ import annotations

from collections import defaultdict

BATCH = 500


class Split:
    """Which agency (or tag) stands, in one partnership, for one that was shared."""

    def __init__(self, apps, app_label: str, model_name: str):
        self.model = apps.get_model(app_label, model_name)
        self.is_tag = model_name.lower() == "tag"
        self.cache: dict[tuple[int, int], int] = {}

    def standing_for(self, old_id: int, partnership_id: int) -> int:
        key = (old_id, partnership_id)
        if key not in self.cache:
            self.cache[key] = self._find(old_id, partnership_id)
        return self.cache[key]

    def _find(self, old_id: int, partnership_id: int) -> int:
        original = self.model.objects.filter(pk=old_id).first()
        if original is None:  # a history row pointing at a record long gone
            return old_id
        if original.partnership_id is None:
            original.partnership_id = partnership_id
            original.save(update_fields=["partnership"])
            return old_id
        if original.partnership_id == partnership_id:
            return old_id
        same_name = (
            {"name__iexact": original.name} if self.is_tag else {"name": original.name}
        )
        copy = self.model.objects.filter(partnership_id=partnership_id, **same_name).first()
        if copy is None:
            copy = self.model.objects.create(**self._copied(original, partnership_id))
        return copy.pk

    def _copied(self, original, partnership_id: int) -> dict:
        fields = {"name": original.name, "partnership_id": partnership_id}
        if self.is_tag:
            fields["slug"] = original.slug
        else:
            fields["sector"] = original.sector
        return fields


def repoint_foreign_key(split: Split, model, field: str, partnership_path: str) -> None:
    """Point each row's `field` at the agency (or tag) of the row's own partnership, found
    through `partnership_path` ("case__audit__partnership_id"). A row whose partnership cannot
    be found (a history row of a deleted case) is left as it is."""
    column = model._meta.get_field(field).attname
    rows = (
        model.objects.filter(**{f"{field}__isnull": False})
        .order_by("pk")
        .values_list("pk", column, partnership_path)
    )
    moves = defaultdict(list)
    for pk, old, partnership_id in rows.iterator():
        if partnership_id is None:
            continue
        new = split.standing_for(old, partnership_id)
        if new != old:
            moves[new].append(pk)
    for new, pks in moves.items():
        for start in range(0, len(pks), BATCH):
            model.objects.filter(pk__in=pks[start : start + BATCH]).update(**{column: new})


def repoint_many_to_many(split: Split, model, field: str, partnership_path: str) -> None:
    """As `repoint_foreign_key`, for the rows of a many-to-many field's table; a row that would
    repeat one already there (the owner had both the shared tag and its partnership's own of
    that name) is dropped."""
    relation = model._meta.get_field(field)
    through = relation.remote_field.through
    owner_column = relation.m2m_column_name()
    target_column = relation.m2m_reverse_name()
    partnership_of = dict(model.objects.values_list("pk", partnership_path).iterator())
    rows = list(through.objects.order_by("pk").values_list("pk", owner_column, target_column))
    present = {(owner, target) for _, owner, target in rows}
    moves, repeats = defaultdict(list), []
    for pk, owner, old in rows:
        partnership_id = partnership_of.get(owner)
        if partnership_id is None:
            continue
        new = split.standing_for(old, partnership_id)
        if new == old:
            continue
        if (owner, new) in present:
            repeats.append(pk)
        else:
            present.add((owner, new))
            moves[new].append(pk)
    for start in range(0, len(repeats), BATCH):
        through.objects.filter(pk__in=repeats[start : start + BATCH]).delete()
    for new, pks in moves.items():
        for start in range(0, len(pks), BATCH):
            through.objects.filter(pk__in=pks[start : start + BATCH]).update(
                **{target_column: new}
            )


def unclaimed_share(apps, app_label: str, model_name: str, *, when_no_partnership: str) -> None:
    """Give each agency (or tag) that no row uses to every partnership: the first takes it, each
    other one gets a copy. With no partnership at all, `when_no_partnership` says what to do:
    "delete" (learning tags: every new partnership is given them) or "default" (agencies: they
    go to a partnership named by MACA_DEFAULT_PARTNERSHIP, made for them)."""
    split = Split(apps, app_label, model_name)
    unclaimed = list(split.model.objects.filter(partnership__isnull=True).order_by("pk"))
    if not unclaimed:
        return
    Partnership = apps.get_model("maca", "Partnership")
    partnership_ids = list(Partnership.objects.order_by("pk").values_list("pk", flat=True))
    if not partnership_ids:
        if when_no_partnership == "delete":
            split.model.objects.filter(partnership__isnull=True).delete()
            return
        from django.conf import settings

        partnership_ids = [
            Partnership.objects.create(name=settings.MACA_DEFAULT_PARTNERSHIP).pk
        ]
    for record in unclaimed:
        for partnership_id in partnership_ids:
            split.standing_for(record.pk, partnership_id)
