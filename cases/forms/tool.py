"""Forms for the audit tool: the questionnaire itself, answering it, and reopening an answer."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.html import escape

from cases.models import Grade, ToolQuestion, ToolSection
from cases.selectors.identifiers import case_details_in, listed
from maca.concurrency import VersionedFormMixin
from maca.widgets import RadioSelect


class SectionForm(VersionedFormMixin, forms.ModelForm):
    record_label = "this section"

    class Meta:
        model = ToolSection
        fields = ["title"]
        labels = {"title": "Section title"}
        help_texts = {"title": "For example, “Voice of the child”."}


class QuestionForm(VersionedFormMixin, forms.ModelForm):
    record_label = "this question"

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

    def question_fields(self) -> dict:
        """The cleaned values as question_add and question_update take them."""
        return {"text": self.cleaned_data["text"], "guidance": self.cleaned_data["guidance"]}


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Reason for reopening",
        help_text="The agency and other members will see this, e.g. “Grade for assessment "
        "needs to reflect the second strategy meeting”.",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class ToolAnswerForm(VersionedFormMixin, forms.Form):
    """Every question of the audit tool: an answer and a grade each.

    With `require_grades` (submitting), every question must have a grade. The agency's
    `submission` (None before its first save) is versioned: two people of one agency editing
    the same draft do not overwrite each other unseen.
    """

    record_label = "this audit tool"

    def __init__(
        self,
        *args,
        sections,
        submission=None,
        answers=None,
        require_grades=False,
        case=None,
        writer=None,
        **kwargs,
    ):
        if answers is None:
            answers = {a.question_id: a for a in submission.answers.all()} if submission else {}
        initial = {}
        for answer in answers.values():
            initial[f"q{answer.question_id}_text"] = answer.text
            initial[f"q{answer.question_id}_grade"] = answer.grade
        self.submission = submission
        self.case, self.writer = case, writer
        super().__init__(*args, initial=initial, **kwargs)
        # Each question's label is printed by the page inside its heading, so that heading
        # navigation reaches every question; the answer box under it is drawn without one.
        self.helper = FormHelper()
        self.helper.form_show_labels = False
        self.require_grades = require_grades
        self.sections = []
        for section in sections:
            rows = []
            for question in section.questions.all():
                text_name, grade_name = f"q{question.pk}_text", f"q{question.pk}_grade"
                self.fields[text_name] = forms.CharField(
                    label=question.text,
                    # Help text is printed as HTML: the chair's words must be escaped.
                    help_text=escape(question.guidance),
                    required=False,
                    max_length=20000,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
                self.fields[grade_name] = forms.ChoiceField(
                    label=f"Grade for “{question.text}”",
                    choices=Grade.choices,
                    required=False,
                    widget=RadioSelect(attrs={"class": "form-check-input"}),
                )
                rows.append((question, self[text_name], self[grade_name]))
            self.sections.append((section, rows))

    def versioned_records(self) -> tuple:
        return (self.submission,)

    def clean(self):
        cleaned = super().clean()
        if self.require_grades:
            for _section, rows in self.sections:
                for _question, _text, grade in rows:
                    if not cleaned.get(grade.name) and grade.name not in self.errors:
                        self.add_error(grade.name, "Choose a grade for this question.")
        if self.case is not None:
            self._check_no_identifiers(cleaned)
        return cleaned

    def _check_no_identifiers(self, cleaned) -> None:
        """Answers are read at the meeting by every agency taking part: the child's details
        that the writer may see (as a chronology's rows are checked) are refused."""
        texts = [(name, cleaned.get(name) or "") for name in self.fields if name.endswith("_text")]
        for name, details in case_details_in(self.case, texts, writer=self.writer):
            self.add_error(
                name,
                f"This holds {listed(details)}: write “the child” or “{self.case.label}” "
                "instead. Every agency taking part reads the answers at the meeting.",
            )

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
