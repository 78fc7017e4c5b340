"""Recording that texts which look identifying by their shape are not (see ConfirmedText)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from cases.access import Role, roles_for
from cases.models import Audit, ConfirmedText
from cases.selectors.identifiers import text_digest


def texts_confirm(*, audit: Audit, texts: Iterable[str], user) -> int:
    """Record that `user` confirmed each of `texts` holds nothing identifying. The chair's
    confirmation is the one publishing counts; anyone else's lets the text be saved without
    asking again. Confirming again changes nothing (a chair's replaces another's)."""
    digests = {text_digest(text) for text in texts if (text or "").strip()}
    return digests_confirm(audit=audit, digests=digests, user=user)


@transaction.atomic
def digests_confirm(*, audit: Audit, digests: Iterable[str], user) -> int:
    """As `texts_confirm`, for texts named by their fingerprints (`text_digest`)."""
    digests = set(digests)
    if not digests:
        return 0
    by_chair = Role.CHAIR in roles_for(user, audit)
    for digest in digests:
        confirmed, created = ConfirmedText.objects.select_for_update().get_or_create(
            audit=audit,
            text_hash=digest,
            defaults={"confirmed_by": user, "by_chair": by_chair},
        )
        if not created and by_chair and not confirmed.by_chair:
            confirmed.confirmed_by, confirmed.by_chair = user, True
            confirmed.save(update_fields=["confirmed_by", "by_chair", "confirmed_at"])
    return len(digests)
