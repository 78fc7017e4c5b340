"""Reads for one agency's audit tool."""

from __future__ import annotations

from cases.models import AuditEvent
from cases.selectors.pack import GRADE_CSS


def answered_sections(sections, answers: dict) -> list[tuple]:
    """(section, rows) with each question's answer and grade in words, to be read, not edited:
    `answers` is {question id: answer}."""
    answered = []
    for section in sections:
        rows = []
        for question in section.questions.all():
            answer = answers.get(question.pk)
            grade = answer.grade if answer else ""
            rows.append(
                {
                    "question": question,
                    "text": answer.text if answer else "",
                    "grade": answer.get_grade_display() if grade else "",
                    "grade_css": GRADE_CSS.get(grade, ""),
                }
            )
        answered.append((section, rows))
    return answered


def reopenings(audit, case, agency) -> list[AuditEvent]:
    """Each time the chair sent this audit tool back to the agency, with who did and why."""
    return list(
        AuditEvent.objects.filter(
            audit=audit,
            kind=AuditEvent.Kind.REOPEN,
            detail__case=case.label,
            detail__agency=agency.name,
        ).select_related("actor")
    )
