"""Writes for the audit tool: the questionnaire each agency answers for each case."""

from django.db import transaction

from cases.models import Audit, ToolQuestion, ToolSection

# The default questionnaire: what partnerships' MACA audit tools commonly ask of each agency.
DEFAULT_TOOL = [
    (
        "Recognition of need and risk",
        [
            "Were the child's needs and the risks to them recognised early?",
            "Was the history of the family taken into account?",
        ],
    ),
    (
        "Assessment",
        ["Was the assessment timely, thorough and informed by all agencies involved?"],
    ),
    (
        "Planning and intervention",
        [
            "Was there a clear plan with outcomes for the child, including a contingency plan?",
            "Was the help offered the right help, at the right time?",
        ],
    ),
    (
        "Voice of the child",
        ["Were the child's wishes, feelings and lived experience sought and recorded?"],
    ),
    (
        "Multi-agency working and information sharing",
        [
            "Was information shared promptly with the agencies who needed it?",
            "Were concerns escalated when agencies disagreed or progress stalled?",
        ],
    ),
    (
        "Management oversight and supervision",
        ["Is there evidence of management oversight and reflective supervision?"],
    ),
    (
        "Impact and outcome",
        ["What difference did the work make to the child's life?"],
    ),
    (
        "Overall quality of practice",
        ["Overall, how good was this agency's practice with this child?"],
    ),
]


@transaction.atomic
def create_default_tool(*, audit: Audit) -> None:
    """Give `audit` the default questionnaire, unless it already has one."""
    if audit.tool_sections.exists():
        return
    for section_order, (title, questions) in enumerate(DEFAULT_TOOL):
        section = ToolSection.objects.create(audit=audit, title=title, order=section_order)
        ToolQuestion.objects.bulk_create(
            ToolQuestion(section=section, text=text, order=order)
            for order, text in enumerate(questions)
        )
