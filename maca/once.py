"""One press, one record: a create form carries a one-time token, and the same form sent again
(a double click, a retry, a second tab's copy of the request) is answered with the page the first
press led to, without doing the work again (docs/architecture.md "One-press creates").

A form puts `{{ form_token() }}` (maca/jinja.py) inside itself; its view is decorated
with `@one_press`. A POST without a token (a page opened before tokens existed, a script) is
done as sent, without this guard.
"""

from __future__ import annotations

import datetime
import functools
import secrets
from collections.abc import Callable

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.crypto import salted_hmac

from maca.models import UsedFormToken

FIELD = "form_token"
MAX_TOKEN_LENGTH = 64
# How long a second press is recognised: tokens older than this are deleted daily.
KEPT_FOR = datetime.timedelta(days=1)
_NOT_PART_OF_THE_PRESS = {FIELD, "csrfmiddlewaretoken"}
# An addition the same as one the same person made this recently is taken for the same press.
SAME_ADDITION_WITHIN = datetime.timedelta(minutes=30)


class AlreadyAdded(Exception):
    """The same addition by the same person moments ago: a form sent again from a page the
    browser fetched afresh (Back refetches a page it may not keep), whose new token one-press
    cannot match. Its service adds nothing; its view says so."""


def added_moments_ago(records, *, created_field: str = "created_at") -> bool:
    """Whether `records` (the same person's additions with the same content) hold one made within
    SAME_ADDITION_WITHIN."""
    since = timezone.now() - SAME_ADDITION_WITHIN
    return records.filter(**{f"{created_field}__gte": since}).exists()


# The access gate's question for what an address names, asked before a press sent again is
# answered with the first press's page: each app whose objects an address names registers it
# for the address's keyword from its `AppConfig.ready()` (an audit's `pk` and a partnership's
# `partnership_id`: cases/apps.py; an action's `action_id`: actions/apps.py). It raises Http404
# (or PermissionDenied) as the view itself would, so nothing answers before the gate.
_gates: dict[str, Callable] = {}


def register_gate(keyword: str, gate: Callable) -> None:
    """Have `gate(request, value)` asked of the value of `keyword` in an address before a press
    sent again to it is answered."""
    _gates[keyword] = gate


def _ask_the_gate(request, kwargs: dict) -> None:
    for keyword, value in kwargs.items():
        if keyword in _gates:
            _gates[keyword](request, value)


def new_token() -> str:
    return secrets.token_urlsafe()  # the secrets module's default strength


def _sender(request) -> str:
    """Who pressed: the signed-in person, or else the browser, known by its CSRF cookie (the
    same for a second press sent before the first's answer, which changes it, arrived)."""
    if request.user.is_authenticated:
        return str(request.user.pk)
    return "signed out " + request.META.get("CSRF_COOKIE", "")


def _key(request, token: str, passwords: frozenset = frozenset()) -> str:
    """The token, its sender, the address and what the form sent, as one keyed fingerprint: the
    same form sent again with other values (Back, a change, then Save), or to another address,
    is a new press, not a repeat.
    Passwords are left out: the fingerprint is kept for a day, a password never is."""
    parts = [_sender(request), request.get_full_path(), token]
    for name in sorted(request.POST):
        if name not in _NOT_PART_OF_THE_PRESS | passwords:
            parts += [name, *request.POST.getlist(name)]
    for name in sorted(request.FILES):
        parts += [name, *(f"{sent.name}:{sent.size}" for sent in request.FILES.getlist(name))]
    return salted_hmac("maca.once", "\0".join(parts)).hexdigest()


def led_to(response: HttpResponse, url: str) -> HttpResponse:
    """Mark a page that answers a press done in place (htmx swapping the result in) with the
    address that shows the result, for a second press to be sent to."""
    response.one_press_result = url
    return response


def _result_url(response: HttpResponse) -> str | None:
    """Where the press led, when it did its work: a redirect, or a page marked with `led_to`.
    Anything else (the form again with its errors, a refusal) did nothing to repeat."""
    if response.status_code in (301, 302, 303):
        return response["Location"]
    return getattr(response, "one_press_result", None)


def _queued_messages(request) -> list:
    # The messages added while this request runs, to show again to a second press.
    return list(getattr(messages.get_messages(request), "_queued_messages", []))


def _claim(key: str, user) -> bool:
    """True when this press is the first with `key`. A first press still at work holds the
    row, so a second one waits here until it has finished (PostgreSQL), then finds it used."""
    try:
        with transaction.atomic():
            UsedFormToken.objects.create(token=key, user=user)
    except IntegrityError:
        return False
    return True


def message_once(request, level: int, text: str, extra_tags: str = "") -> None:
    """Add a message unless the same one already waits to be shown: one the first press of a
    button added, which reached the browser, is not said twice by the second."""
    storage = messages.get_messages(request)
    waiting = [*getattr(storage, "_loaded_messages", []), *_queued_messages(request)]
    if (level, text) not in {(m.level, str(m.message)) for m in waiting}:
        messages.add_message(request, level, text, extra_tags=extra_tags)


def _answer_again(request, used: UsedFormToken) -> HttpResponse:
    for level, text, tags in used.messages:
        message_once(request, level, text, tags)
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = used.result_url  # the whole page, as the result shows it
        return response
    return redirect(used.result_url)


def _record(key: str, response: HttpResponse, shown: list) -> None:
    url = _result_url(response)
    if url is None:  # nothing done: the same form may be sent again
        UsedFormToken.objects.filter(token=key).delete()
        return
    UsedFormToken.objects.filter(token=key).update(
        result_url=url,
        messages=[
            [message.level, str(message.message), message.extra_tags or ""] for message in shown
        ],
    )


def one_press(view=None, *, gate: Callable | None = None, signed_out=None, passwords=()):
    """Do a create view's work once per form token: a repeated press is answered with the same
    redirect and messages as the first. The first press runs in one transaction with the
    record of its token, so the work and the record stand or fall together. `gate(request)` is
    asked, as well as the gates of what the address names, before a repeat is answered: for an
    address that names nothing (`@one_press(gate=...)`).

    A signed-out sender's press is done as sent, unless the view names `signed_out(request,
    used, *args, **kwargs)`: the answer to that browser's repeat, which never signs it in (the
    first press's answer does, if it arrives). `passwords` are the fields left out of the
    press's fingerprint."""
    if view is None:
        return functools.partial(one_press, gate=gate, signed_out=signed_out, passwords=passwords)
    left_out = frozenset(passwords)

    def pressed_once(request, *args, **kwargs):
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        signed_in = request.user.is_authenticated
        if not token or len(token) > MAX_TOKEN_LENGTH or not (signed_in or signed_out):
            return view(request, *args, **kwargs)
        key = _key(request, token, left_out)
        sender = request.user if signed_in else None
        with transaction.atomic():
            if not _claim(key, sender):
                used = UsedFormToken.objects.filter(token=key, user=sender).first()
                # The row that refused this press is committed, with its answer: found unless
                # deleted since, when the press is done as sent.
                if used is None:
                    return view(request, *args, **kwargs)
                if not signed_in:
                    return signed_out(request, used, *args, **kwargs)
                return _answer_again_past_the_gates(request, used, gate, kwargs)
            already = len(_queued_messages(request))
            response = view(request, *args, **kwargs)
            _record(key, response, _queued_messages(request)[already:])
        return response

    # Not @functools.wraps: make mutation would leave a decorated function unmutated.
    functools.update_wrapper(pressed_once, view)
    pressed_once.one_press = True
    return pressed_once


def _answer_again_past_the_gates(request, used: UsedFormToken, gate, kwargs) -> HttpResponse:
    """The first press's answer, given only to someone the gates still let reach what the
    address names."""
    _ask_the_gate(request, kwargs)
    if gate is not None:
        gate(request)
    return _answer_again(request, used)


def used_tokens_delete(*, now: datetime.datetime | None = None) -> int:
    """Forget presses older than a day; returns how many."""
    before = (now or timezone.now()) - KEPT_FOR
    deleted, _ = UsedFormToken.objects.filter(created_at__lt=before).delete()
    return deleted
