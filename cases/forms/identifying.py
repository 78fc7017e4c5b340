"""Asking, next to the field, about text that looks as if it held someone's identifying details,
as the nomination form does: the writer takes it out, or confirms that it is not what it looks
like. A confirmed text is recorded (cases.services.confirmations.texts_confirm) and not asked
about again until it changes; publishing asks for the chair's own confirmation."""

from __future__ import annotations

from django import forms

from cases.selectors.identifiers import confirmed_digests, listed, looks_identifying, text_digest

CONFIRM_FIELD = "holds_no_identifiers"


class AsksAboutIdentifyingText:
    """For a form with an `audit` (or an `identifying_audit()`): the fields named in
    `identifying_fields` (or by `identifying_field_names()`) are asked about when they look
    identifying by their shape and are not confirmed yet. After a valid form,
    `texts_to_confirm` holds the texts the writer confirmed, for the service to record."""

    identifying_fields: tuple[str, ...] = ("text",)
    identifying_where = "Everyone reading the audit's briefing or plan may read this"
    asks_to_confirm = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.texts_to_confirm: list[str] = []
        self.fields[CONFIRM_FIELD] = forms.BooleanField(
            required=False,
            label="I have checked: what is asked about above identifies no child, family or "
            "anyone else",
            widget=forms.HiddenInput,
        )

    def identifying_audit(self):
        return self.audit

    def compared_fields(self) -> list[str]:
        """The tick is no stored value: a versioned form does not compare it."""
        return [name for name in super().compared_fields() if name != CONFIRM_FIELD]

    def identifying_field_names(self) -> tuple[str, ...]:
        return self.identifying_fields

    def identifying_texts(self, name: str) -> list[str]:
        """The texts one field holds, each confirmed on its own (one, unless a field is split
        into points)."""
        value = self.cleaned_data.get(name)
        return [value] if isinstance(value, str) and value.strip() else []

    def clean(self):
        cleaned = super().clean()
        self._ask_about_identifying_text(bool(cleaned.get(CONFIRM_FIELD)))
        return cleaned

    def _ask_about_identifying_text(self, ticked: bool) -> None:
        confirmed = None
        for name in self.identifying_field_names():
            if name not in self.cleaned_data:
                continue
            kinds, texts = [], []
            for text in self.identifying_texts(name):
                found = looks_identifying(text)
                if not found:
                    continue
                if confirmed is None:
                    confirmed = confirmed_digests(self.identifying_audit())
                if text_digest(text) not in confirmed:
                    kinds += [kind for kind in found if kind not in kinds]
                    texts.append(text)
            if not texts:
                continue
            if ticked:
                self.texts_to_confirm += texts
                continue
            self.asks_to_confirm = True
            self.add_error(
                name,
                f"This looks like it holds {listed(kinds)}. {self.identifying_where}: take it "
                "out. If it is not what it looks like, tick the box to confirm and save again.",
            )
        if self.asks_to_confirm or ticked:
            self.fields[CONFIRM_FIELD].widget = forms.CheckboxInput()
