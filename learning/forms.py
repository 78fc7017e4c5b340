"""The partnership and period that trends and the board's report are about, read from the URL."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django import forms
from django.utils import timezone

from maca import access
from maca.models import Partnership
from maca.widgets import DateInput

from .search import clean_query

DEFAULT_YEARS = 5


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, label="From", widget=DateInput)
    end = forms.DateField(required=False, label="To", widget=DateInput)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", "‘To’ must be on or after ‘From’.")
        return cleaned


@dataclass
class Scope:
    """Whose figures and when: a partnership of the user's, and a period (either end open)."""

    form: PeriodForm
    partnerships: list
    partnership: Partnership | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.partnership is not None and self.form.is_valid()

    @property
    def start(self):
        return self.form.cleaned_data.get("start") if self.form.is_valid() else None

    @property
    def end(self):
        return self.form.cleaned_data.get("end") if self.form.is_valid() else None

    def query(self, **more) -> str:
        from urllib.parse import urlencode

        values = {"partnership": self.partnership.pk if self.partnership else ""}
        if self.form.is_valid():
            for name in ("start", "end"):
                day = self.form.cleaned_data.get(name)
                values[name] = day.isoformat() if day else ""
        return urlencode({k: v for k, v in {**values, **more}.items() if v})


def last_five_calendar_years(today: datetime.date) -> dict[str, str]:
    """What trends compare until a period is chosen: enough audits for a theme to recur."""
    first = datetime.date(today.year - DEFAULT_YEARS + 1, 1, 1)
    return {"start": first.isoformat(), "end": ""}


def last_twelve_months(today: datetime.date) -> dict[str, str]:
    """The year a board's report covers until a period is chosen: the twelve months to today."""
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    start = year_ago + datetime.timedelta(days=1)
    return {"start": start.isoformat(), "end": today.isoformat()}


def read_scope(params, user, *, default_period=last_five_calendar_years) -> Scope:
    """The user's partnership named in the URL (their first when none or not theirs, with a
    note) and the period, whose errors show beside its fields; `default_period(today)` until
    one is chosen, shown in the fields."""
    partnerships = list(Partnership.objects.filter(pk__in=access.memberships_of(user).partnerships))
    if "start" in params or "end" in params:
        dates = {"start": params.get("start", "")[:40], "end": params.get("end", "")[:40]}
    else:
        dates = default_period(timezone.localdate())
    form = PeriodForm(dates)
    scope = Scope(form=form, partnerships=partnerships)
    raw = params.get("partnership", "")[:100]
    chosen = next((p for p in partnerships if str(p.pk) == raw), None)
    if raw and chosen is None:
        scope.notes.append(
            f"The partnership “{clean_query(raw)}” is not one of yours; it was left out."
        )
    scope.partnership = chosen or (partnerships[0] if partnerships else None)
    return scope
