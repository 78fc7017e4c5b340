from django import forms

MAX_PACKAGE_BYTES = 5 * 1024 * 1024


class PackageUploadForm(forms.Form):
    package = forms.FileField(
        label="Audit package (JSON)",
        help_text="A maca-audit/1 file, as written by “Export” or another MACA installation.",
    )
    partnership = forms.ModelChoiceField(queryset=None, empty_label=None)

    def __init__(self, *args, partnerships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partnership"].queryset = partnerships
        if partnerships.count() == 1:
            self.fields["partnership"].widget = forms.HiddenInput()
            self.fields["partnership"].initial = partnerships.first()

    def clean_package(self):
        upload = self.cleaned_data["package"]
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        if upload.size > MAX_PACKAGE_BYTES:
            raise forms.ValidationError(
                "The file is larger than 5 MB: it cannot be an audit package."
            )
        return upload
