"""Form widgets shared by every app."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker. It takes and gives the ISO form (2026-11-23) whatever the
    language, so the value is always written that way; typed dates such as 23/11/2026 are still
    accepted where a browser shows a plain text box."""

    input_type = "date"

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs, format=format or "%Y-%m-%d")


class FirstChoiceLabelled:
    """A group of radios or boxes whose field-level id is the first choice's, so that an error
    summary's link to the question lands on it (Django gives the group none: the link went
    nowhere)."""

    def id_for_label(self, id_, index=None):
        if index is None and id_:
            return f"{id_}_0"
        return super().id_for_label(id_, index)


class RadioSelect(FirstChoiceLabelled, forms.RadioSelect):
    pass


class CheckboxSelectMultiple(FirstChoiceLabelled, forms.CheckboxSelectMultiple):
    pass
