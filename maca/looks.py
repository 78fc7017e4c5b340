"""The pages and files the access log records, by their name in words.

The log stores each look under the page's URL name ("audit_detail"); these are what the chair and
the data protection officer read instead ("Audit page"). A name not listed here (an administration
page, say, or a page added later) is shown as it was stored. A look at a requested document keeps
which one it was after the name ("document_download:Integrated chronology of Case 3"), since the
document itself is deleted a day later.
"""

PAGE_NAMES = {
    # The audit and its set-up
    "audit_detail": "Audit page",
    "audit_edit": "Audit details (edit)",
    "audit_stage": "Audit stage (change)",
    "audit_members": "Members",
    "audit_member_remove": "Member (remove)",
    "audit_invitation_withdraw": "Invitation (withdraw)",
    "audit_import_progress": "Imported audit package (outcome)",
    "audit_package": "Audit package (download)",
    "nomination_list": "Nominations",
    "nomination_create": "Nomination (new)",
    "nomination_edit": "Nomination (edit)",
    "nomination_identifiers": "Identifying details",
    "nomination_decline": "Nomination (decline)",
    "selection": "Selection of the cross-section",
    "selection_draw": "Selection (draw)",
    "selection_confirm": "Selection (confirm)",
    "case_labels": "Case labels",
    # Cases and chronologies
    "case_detail": "Case page",
    "agency_chronology": "Agency chronology",
    "chronology_file_upload": "Chronology document (upload)",
    "chronology_rows_import": "Chronology rows (import)",
    "chronology_entry_add": "Chronology row (add)",
    "chronology_entry_edit": "Chronology row (edit)",
    "chronology_entry_delete": "Chronology row (delete)",
    "chronology_file_download": "Chronology document (download)",
    "chronology_template": "Chronology template",
    "integrated_chronology": "Integrated chronology",
    "integrated_chronology_pdf": "Integrated chronology PDF",
    # The audit tool, progress and the meeting pack
    "tool_edit": "Audit tool questions",
    "tool_use_default": "Audit tool questions (use the default)",
    "tool_section_add": "Audit tool section (add)",
    "tool_section_edit": "Audit tool section (edit)",
    "tool_section_move": "Audit tool section (move)",
    "tool_section_delete": "Audit tool section (delete)",
    "tool_question_add": "Audit tool question (add)",
    "tool_question_edit": "Audit tool question (edit)",
    "tool_question_move": "Audit tool question (move)",
    "tool_question_delete": "Audit tool question (delete)",
    "tool_answer": "Agency's audit tool answers",
    "tool_reopen": "Agency's audit tool answers (reopen)",
    "progress": "Submissions progress",
    "progress_remind": "Submissions progress (send reminders)",
    "meeting_pack": "Meeting pack",
    "pack_release": "Meeting pack (release)",
    # Keeping and deleting data
    "retention": "Keeping and deleting data",
    "retention_purge": "Keeping and deleting data (delete)",
    "legal_hold": "Keeping and deleting data (legal hold)",
    # Findings and the briefing
    "meeting": "Multi-agency meeting",
    "authoring": "Write the briefing",
    "briefing_layout": "Briefing headings and opening sections",
    "tag_add": "Write the briefing (add a tag)",
    "item_add": "Briefing item (add)",
    "item_edit": "Briefing item (edit)",
    "item_delete": "Briefing item (delete)",
    "item_move": "Briefing item (move)",
    "briefing_html": "Briefing",
    "briefing_pdf": "Briefing PDF",
    "briefing_docx": "Briefing Word document",
    "briefing_publish": "Publish the briefing",
    "briefing_confirm_text": "Confirm a text identifies no one",
    "briefing_versions": "Published briefings",
    "briefing_changes": "What changed in the briefing",
    "briefing_version": "Published briefing",
    "briefing_version_pdf": "Published briefing PDF",
    "briefing_version_docx": "Published briefing Word document",
    "case_pack": "Case pack",
    "case_pack_pdf": "Case pack PDF",
    "draft_briefing_pdf": "Draft briefing PDF",
    "seven_minute": "7-minute briefing",
    "seven_minute_pdf": "7-minute briefing PDF",
    "seven_minute_docx": "7-minute briefing Word document",
    "seven_minute_edit": "7-minute briefing (edit)",
    "seven_minute_draft": "7-minute briefing (draft from the briefing)",
    "seven_minute_version": "Published 7-minute briefing",
    "seven_minute_version_pdf": "Published 7-minute briefing PDF",
    "seven_minute_version_docx": "Published 7-minute briefing Word document",
    "usage": "Where the briefing was used",
    "usage_export": "Where the briefing was used (export)",
    "usage_edit": "Where the briefing was used (edit a session)",
    "usage_delete": "Where the briefing was used (delete a session)",
    # Re-audits
    "reaudit_schedule": "Re-audit (schedule)",
    "impact": "Impact of the original's recommendations",
    "comparison": "Re-audit compared with the original",
    "comparison_pdf": "Re-audit comparison PDF",
    # Documents made by the background worker: of one audit, and across audits (the board's
    # assurance report)
    "document_progress": "Requested document (waiting)",
    "document_download": "Requested document (download)",
    "own_document_progress": "Requested document across audits (waiting)",
    "own_document_download": "Requested document across audits (download)",
    # Actions
    "audit_actions": "Action plan of the audit",
    "action_create": "Action (add)",
    "action_plan": "Composite action plan",
    "my_actions": "My agency's actions",
    "action_plan_pdf": "Composite action plan PDF",
    "action_plan_export": "Action plan export",
    "action_detail": "Action",
    "action_edit": "Action (edit or reassign)",
    "action_complete": "Action (sign off as complete)",
    "action_cancel": "Action (cancel)",
    "action_reopen": "Action (reopen)",
    "action_evidence_upload": "Action evidence (upload)",
    "action_evidence_download": "Action evidence (download)",
    # The access log itself
    "access_log": "Access log",
}


# Between a page's URL name and the words that say which document it gave (no URL name has one).
DETAIL_SEPARATOR = ":"


def with_detail(url_name: str, detail: str) -> str:
    """What a look at `url_name` is stored as when the view said which document it was at."""
    return f"{url_name}{DETAIL_SEPARATOR}{detail}"


def url_name_of(what: str) -> str:
    """The page's URL name of a look stored as `what` ("document_download")."""
    return what.partition(DETAIL_SEPARATOR)[0]


def page_name(what: str) -> str:
    """What a look stored as `what` was at, in words, with the document the view named, if any
    ("Requested document (download): Case pack"); the name itself when not listed."""
    url_name, _, detail = what.partition(DETAIL_SEPARATOR)
    words = PAGE_NAMES.get(url_name, url_name)
    return f"{words}: {detail}" if detail else words
