"""The partnership an operator's command names."""

from django.core.management.base import CommandError

from maca.models import Partnership


def partnership_named(name: str) -> Partnership | None:
    """The partnership of that name, written as given or, if none is, in any letter case; two of
    the same letters and none exactly as given is a question, not a guess. None when no
    partnership has the name."""
    matches = list(Partnership.objects.filter(name__iexact=name.strip()))
    exact = [partnership for partnership in matches if partnership.name == name.strip()]
    if len(matches) > 1 and not exact:
        names = ", ".join(f"'{partnership.name}'" for partnership in matches)
        raise CommandError(f"Several partnerships are named so: {names}. Give the name exactly.")
    return (exact or matches or [None])[0]


def partnership_required(name: str, *, if_missing: str = "") -> Partnership:
    """The partnership of that name (as `partnership_named` finds it), or CommandError naming
    the partnerships there are, after `if_missing` (what to do about it)."""
    found = partnership_named(name)
    if found is None:
        names = ", ".join(f"'{n}'" for n in Partnership.objects.values_list("name", flat=True))
        raise CommandError(
            f"No partnership is named '{name}'.{if_missing}"
            + (f" The partnerships are: {names}." if names else "")
        )
    return found
