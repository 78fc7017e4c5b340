"""No lost updates: every edit form carries the version of the record the person loaded, and
saving over a newer version is refused without losing what was typed (docs/architecture.md)."""

from __future__ import annotations

import datetime
import functools
from contextvars import ContextVar
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.dateformat import format as date_format

FIELD = "loaded_version"
VALUES = "loaded_values"
CONFLICT = "conflict"
NOTHING_CHANGED = "Nothing changed, so nothing was saved."


def version_of(*records) -> str:
    """The version of one record, or of several edited together (the latest change of any).

    Records that do not exist yet (None) count for nothing; "" when none exists.
    """
    stamps = [
        record.updated_at
        for record in records
        if record is not None and getattr(record, "updated_at", None) is not None
    ]
    return max(stamps).isoformat() if stamps else ""


def locked_version(*records) -> str:
    """The records' version as saved now, each row locked until the transaction ends (on
    PostgreSQL: whoever saves them meanwhile waits, and a save still at work is waited for).
    Outside a transaction, the version as saved now, unlocked."""
    stamps = []
    locking = transaction.get_connection().in_atomic_block
    for record in records:
        if record is None or record.pk is None or not hasattr(record, "updated_at"):
            continue
        rows = type(record)._base_manager.filter(pk=record.pk)
        stamp = (rows.select_for_update() if locking else rows).values_list("updated_at").first()
        if stamp is not None:
            stamps.append(stamp[0])
    return max(stamps).isoformat() if stamps else ""


def differs_from_saved(record: Model, **many) -> bool:
    """Whether saving `record` would change anything: a field holding a value its saved row does
    not, or a many-to-many field (`many`: its name -> the records it is to hold) gaining or
    losing one. A save that changes nothing is left out, so that it writes no empty entry in the
    record's history and gives it no new version to refuse a form opened before it."""
    if record.pk is None:
        return True
    fields = [f for f in record._meta.concrete_fields if not getattr(f, "auto_now", False)]
    rows = type(record)._base_manager.filter(pk=record.pk)
    saved = rows.values(*(f.attname for f in fields)).first()
    if saved is None:
        return True
    if any(f.value_from_object(record) != saved[f.attname] for f in fields):
        return True
    return any(
        {item.pk for item in wanted} != set(getattr(record, name).values_list("pk", flat=True))
        for name, wanted in many.items()
    )


def check_current(*records, loaded_version: str | None, label: str) -> None:
    """Refuse a state change pressed on a page older than the records' latest change. Called
    in the service's transaction, it locks the records, so the change it allows is saved over
    the version compared, not over one saved in between.

    `loaded_version` None (a request that did not say which version it saw) is not checked,
    as with the audit's stage button.
    """
    if loaded_version is not None and loaded_version != locked_version(*records):
        raise ValidationError(
            f"Someone else changed {label} after you opened the page, so nothing was changed. "
            "Check it as it is now, then try again.",
            code=CONFLICT,
        )


class _BuildAgain(Exception):
    """The records changed after the form was built from them: build it again from the newer
    version, so that the conflict it then finds lists what changed."""


# How many more times the view under `no_lost_updates` may be run again; 0 outside one.
_runs_left: ContextVar[int] = ContextVar("maca_concurrency_runs_left", default=0)
RUNS = 3


def no_lost_updates(view):
    """For a view that saves a versioned form: its POST runs in one transaction, in which the
    form's check that the records are as loaded locks them (VersionedFormMixin.clean) until the
    save is committed. Two saves of the same version are then one after the other: the second
    finds the first's version and is shown the conflict. When the records changed between
    building the form and locking them, the view is run again, to build the form afresh."""

    def saving_current(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        for left in reversed(range(RUNS)):
            runs_left = _runs_left.set(left)
            try:
                with transaction.atomic():
                    return view(request, *args, **kwargs)
            except _BuildAgain:
                continue
            finally:
                _runs_left.reset(runs_left)
        raise AssertionError("unreachable: the last run does not build again")

    # Not @functools.wraps: make mutation would leave a decorated function unmutated.
    functools.update_wrapper(saving_current, view)
    saving_current.no_lost_updates = True
    return saving_current


@dataclass(frozen=True)
class Change:
    """A field someone else changed: its label, its saved value as text, and whether the form
    now holds that value (the person had left the field alone) or keeps what they typed."""

    label: str
    saved: str
    merged: bool = False


def shown(field: forms.Field, value) -> str:
    """A stored value as a person reads it: choices by their label, dates in words."""
    if isinstance(field, forms.BooleanField):
        return "Yes" if value else "No"
    if value in (None, "", [], ()):
        return ""
    if isinstance(field, forms.ModelMultipleChoiceField):
        keys = [getattr(item, "pk", item) for item in value]
        return ", ".join(
            field.label_from_instance(item) for item in field.queryset.filter(pk__in=keys)
        )
    if isinstance(field, forms.ModelChoiceField):
        item = field.queryset.filter(pk=getattr(value, "pk", value)).first()
        return field.label_from_instance(item) if item is not None else ""
    if isinstance(field, forms.ChoiceField):
        labels = {}
        for key, label in field.choices:
            if isinstance(label, list | tuple):
                labels.update({str(k): str(v) for k, v in label})
            else:
                labels[str(key)] = str(label)
        values = value if isinstance(value, list | tuple) else [value]
        return ", ".join(labels.get(str(item), str(item)) for item in values)
    if isinstance(value, datetime.datetime | datetime.date):
        return date_format(value, "j F Y")
    return str(value)


def _canonical(value) -> str:
    """One text for equal values, whether stored (a date, an agency) or typed ("2026-01-02",
    "7"), so that what was loaded and what was typed can be compared."""
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set) or hasattr(value, "values_list"):
        return ",".join(sorted(_canonical(item) for item in value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").strip()


def _fingerprint(name: str, value) -> str:
    return salted_hmac("maca.concurrency", f"{name}\0{_canonical(value)}").hexdigest()[:12]


def _fingerprints_sent(text: str | None) -> dict[str, str]:
    pairs = [part.partition("=") for part in (text or "").split(";") if "=" in part]
    return {name: fingerprint for name, _, fingerprint in pairs}


def was_loaded_with(data, name: str, value) -> bool:
    """Whether the versioned form sent as `data` (unprefixed) was drawn showing `value` in its
    field `name`: the keyed fingerprints it carries say so, and cannot be made up."""
    sent = _fingerprints_sent(data.get(VALUES)).get(name)
    return sent is not None and constant_time_compare(sent, _fingerprint(name, value))


def _as_data(field: forms.Field, value):
    """A stored value as the form's data holds it: what the browser would send back."""
    prepared = field.prepare_value(value)
    if isinstance(field, forms.BooleanField):
        return "on" if value else None
    if isinstance(prepared, list | tuple):
        return [str(item) for item in prepared]
    if prepared is None:
        return ""
    if isinstance(prepared, datetime.date):
        return prepared.isoformat()
    return str(prepared)


class VersionedFormMixin:
    """A form that edits stored records and refuses to save over a newer version of them.

    Put it before the form class: `class ActionForm(VersionedFormMixin, forms.ModelForm)`.
    A ModelForm versions its instance; any other form names its records in `versioned_records`
    (set what it needs before calling `super().__init__`). The form's initial values must be the
    records' stored values, as an edit form's are. On a conflict, `conflict` lists the changes
    for the template include "_conflict.html"; a template that lays fields out one by one
    renders `{{ form.version_inputs }}` inside the form.
    """

    # How the conflict message names the record: "Someone else changed this finding …".
    record_label = "this record"
    # The fields that show stored values (None: every field); only they are compared.
    version_fields: tuple[str, ...] | None = None
    # Above the saved values the form does not hold, in the template include.
    conflict_heading = "Saved now, where your form differs (your form keeps what you typed):"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loaded_from = self.current_version()
        self.fields[FIELD] = forms.CharField(
            required=False, widget=forms.HiddenInput, initial=self.loaded_from
        )
        # Fingerprints of the values shown, worked out when the form is drawn (subclasses add
        # their fields after this).
        self.fields[VALUES] = forms.CharField(
            required=False, widget=forms.HiddenInput, initial=self.value_fingerprints
        )
        # None while there is no conflict; then the changes (possibly none).
        self.conflict: list[Change] | None = None

    def versioned_records(self) -> tuple:
        instance = getattr(self, "instance", None)
        return (instance,) if instance is not None and instance.pk else ()

    def current_version(self) -> str:
        return version_of(*self.versioned_records())

    def compared_fields(self) -> list[str]:
        names = self.version_fields if self.version_fields is not None else list(self.fields)
        return [name for name in names if name not in (FIELD, VALUES)]

    def value_fingerprints(self) -> str:
        """The stored values the form shows, each as a keyed fingerprint: name=fingerprint;…"""
        return ";".join(
            f"{name}={_fingerprint(name, self[name].initial)}" for name in self.compared_fields()
        )

    def carry_saved_version(self, *records) -> None:
        """What was typed has just been saved (as when an audit tool is kept as a draft while its
        submission is refused): the form, shown again, now says it was loaded from `records` as
        they are, so saving from it again is not taken for someone else's change."""
        data = self.data.copy()
        data[self.add_prefix(FIELD)] = version_of(*records)
        data[self.add_prefix(VALUES)] = ";".join(
            f"{name}={self._typed_fingerprint(name)}" for name in self.compared_fields()
        )
        self.data = data

    @property
    def version_inputs(self):
        """The two hidden inputs, for a template that lays the form's fields out one by one."""
        return self[FIELD].as_hidden() + self[VALUES].as_hidden()

    @property
    def merged_changes(self) -> list[Change]:
        return [change for change in self.conflict or [] if change.merged]

    @property
    def kept_changes(self) -> list[Change]:
        return [change for change in self.conflict or [] if not change.merged]

    def conflict_message(self) -> str:
        return (
            f"Someone else changed {self.record_label} while you were editing, so nothing was "
            "saved. What you typed is kept in the form, and what they changed is shown below: "
            "save again to replace theirs with your version, or cancel to keep theirs."
        )

    def _typed_fingerprint(self, name) -> str | None:
        """The fingerprint of the field's typed value, cleaned by the field alone; None when
        it does not clean."""
        bound = self[name]
        try:
            return _fingerprint(name, bound.field.clean(bound.data))
        except ValidationError:
            return None

    def _loaded(self) -> dict[str, str] | None:
        """The fingerprints of what the person loaded, or None when the form did not send them."""
        return _fingerprints_sent(self.data.get(self.add_prefix(VALUES))) or None

    def conflict_changes(self) -> list[Change]:
        """What someone else changed, field by field, with the saved value.

        A field the person left alone takes the saved value (merged). Without the fingerprints
        of what was loaded, every field whose saved value differs from what was typed is listed.
        """
        loaded = self._loaded()
        changes = []
        for name in self.compared_fields():
            bound = self[name]
            saved = bound.initial
            differs = bound.field.has_changed(saved, bound.data)
            if loaded is not None:
                was = loaded.get(name)
                if was == _fingerprint(name, saved):
                    continue  # they did not change it
                if was is not None and was == self._typed_fingerprint(name):
                    self._set_data(name, saved)  # left alone here: take theirs
                    changes.append(Change(str(bound.label), shown(bound.field, saved), True))
                    continue
            if differs:
                changes.append(Change(str(bound.label), shown(bound.field, saved)))
        return changes

    def _still_as_loaded(self) -> bool:
        """In a transaction (a view under `no_lost_updates`), lock the records as saved now, to
        save over them, and say whether they are still the version this form was built from.
        When they are not, the view is run again to build the form afresh; the last time, the
        change is refused without its details (saving again from the form shows them)."""
        if not transaction.get_connection().in_atomic_block:
            return True
        if locked_version(*self.versioned_records()) == self.loaded_from:
            return True
        if _runs_left.get() > 0:
            raise _BuildAgain
        return False

    def _set_data(self, name: str, value) -> None:
        key, data = self.add_prefix(name), _as_data(self.fields[name], value)
        if data is None:
            self.data.pop(key, None)
        elif isinstance(data, list) and hasattr(self.data, "setlist"):
            self.data.setlist(key, data)
        else:
            self.data[key] = data

    def clean(self):
        cleaned = super().clean()
        if cleaned.get(FIELD, "") != self.loaded_from or not self._still_as_loaded():
            self.data = self.data.copy()
            self.conflict = self.conflict_changes()
            # The form now stands on the version the person has been shown.
            self.data[self.add_prefix(FIELD)] = self.loaded_from
            self.data[self.add_prefix(VALUES)] = self.value_fingerprints()
            self.add_error(None, ValidationError(self.conflict_message(), code=CONFLICT))
        return cleaned
