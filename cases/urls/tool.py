"""The audit tool, the completeness matrix and reminders, the meeting pack."""

from django.urls import path

from cases.views import tool

AGENCY_TOOL = "audits/<int:pk>/cases/<int:case_id>/agencies/<int:agency_id>/tool/"

urlpatterns = [
    path("audits/<int:pk>/tool/", tool.tool_edit, name="tool_edit"),
    path("audits/<int:pk>/tool/default/", tool.tool_use_default, name="tool_use_default"),
    path("audits/<int:pk>/tool/sections/add/", tool.tool_section_add, name="tool_section_add"),
    path(
        "audits/<int:pk>/tool/sections/<int:section_id>/",
        tool.tool_section_edit,
        name="tool_section_edit",
    ),
    path(
        "audits/<int:pk>/tool/sections/<int:section_id>/move/",
        tool.tool_section_move,
        name="tool_section_move",
    ),
    path(
        "audits/<int:pk>/tool/sections/<int:section_id>/delete/",
        tool.tool_section_delete,
        name="tool_section_delete",
    ),
    path(
        "audits/<int:pk>/tool/sections/<int:section_id>/questions/add/",
        tool.tool_question_add,
        name="tool_question_add",
    ),
    path(
        "audits/<int:pk>/tool/questions/<int:question_id>/",
        tool.tool_question_edit,
        name="tool_question_edit",
    ),
    path(
        "audits/<int:pk>/tool/questions/<int:question_id>/move/",
        tool.tool_question_move,
        name="tool_question_move",
    ),
    path(
        "audits/<int:pk>/tool/questions/<int:question_id>/delete/",
        tool.tool_question_delete,
        name="tool_question_delete",
    ),
    path(AGENCY_TOOL, tool.tool_answer, name="tool_answer"),
    path(f"{AGENCY_TOOL}reopen/", tool.tool_reopen, name="tool_reopen"),
    path("audits/<int:pk>/progress/", tool.progress, name="progress"),
    path("audits/<int:pk>/progress/remind/", tool.progress_remind, name="progress_remind"),
    path("audits/<int:pk>/pack/", tool.meeting_pack, name="meeting_pack"),
    path("audits/<int:pk>/pack/release/", tool.pack_release, name="pack_release"),
]
