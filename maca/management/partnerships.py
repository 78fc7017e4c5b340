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


def partnership_names() -> str:
    """Every partnership's name, quoted, for a message about a name that none has."""
    return ", ".join(f"'{n}'" for n in Partnership.objects.values_list("name", flat=True))
