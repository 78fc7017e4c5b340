"""Forms for the audit tool: the questionnaire itself, answering it, and reopening an answer."""

from django import forms

from cases.models import Grade, ToolQuestion, ToolSection


class SectionForm(forms.ModelForm):
    class Meta:
        model = ToolSection
        fields = ["title"]
        labels = {"title": "Section title"}
        help_texts = {"title": "For example, “Voice of the child”."}


class QuestionForm(forms.ModelForm):
    class Meta:
        model = ToolQuestion
        fields = ["text", "guidance"]
        labels = {"text": "Question", "guidance": "Guidance for agencies (optional)"}
        help_texts = {
            "guidance": "Shown under the question as a hint: what a good answer covers.",
        }
        widgets = {
            "text": forms.Textarea(attrs={"rows": 2}),
            "guidance": forms.Textarea(attrs={"rows": 3}),
        }


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Reason for reopening",
        help_text="The agency and other members will see this, e.g. “Grade for assessment "
        "needs to reflect the second strategy meeting”.",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class GradeRadioSelect(forms.RadioSelect):
    """Radio buttons whose field-level id points at the first button, so that the error summary
    can link to the question."""

    def id_for_label(self, id_, index=None):
        if index is None and id_:
            return f"{id_}_0"
        return super().id_for_label(id_, index)


class ToolAnswerForm(forms.Form):
    """Every question of the audit tool: an answer and a grade each.

    With `require_grades` (submitting), every question must have a grade.
    """

    def __init__(self, *args, sections, answers=None, require_grades=False, **kwargs):
        initial = {}
        for answer in (answers or {}).values():
            initial[f"q{answer.question_id}_text"] = answer.text
            initial[f"q{answer.question_id}_grade"] = answer.grade
        super().__init__(*args, initial=initial, **kwargs)
        self.require_grades = require_grades
        self.sections = []
        for section in sections:
            rows = []
            for question in section.questions.all():
                text_name, grade_name = f"q{question.pk}_text", f"q{question.pk}_grade"
                self.fields[text_name] = forms.CharField(
                    label=question.text,
                    help_text=question.guidance,
                    required=False,
                    max_length=20000,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
                self.fields[grade_name] = forms.ChoiceField(
                    label=f"Grade for “{question.text}”",
                    choices=Grade.choices,
                    required=False,
                    widget=GradeRadioSelect(attrs={"class": "form-check-input"}),
                )
                rows.append((question, self[text_name], self[grade_name]))
            self.sections.append((section, rows))

    def clean(self):
        cleaned = super().clean()
        if self.require_grades:
            for _section, rows in self.sections:
                for _question, _text, grade in rows:
                    if not cleaned.get(grade.name) and grade.name not in self.errors:
                        self.add_error(grade.name, "Choose a grade for this question.")
        return cleaned

    def answers(self) -> dict[int, tuple[str, str]]:
        """{question id: (text, grade)} from the cleaned data."""
        return {
            question.pk: (
                self.cleaned_data.get(text.name, ""),
                self.cleaned_data.get(grade.name, ""),
            )
            for _section, rows in self.sections
            for question, text, grade in rows
        }
