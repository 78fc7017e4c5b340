"""What an audit is called on its pages."""


def audit_name(audit) -> str:
    """The theme's name, and "(re-audit)" after it for a re-audit, so that a re-audit's pages,
    tab titles and tasks are not mistaken for the original audit's, which has the same theme."""
    return theme_and_kind(audit.theme.name, reaudit=audit.reaudit_of_id is not None)


def theme_and_kind(theme_name: str, *, reaudit: bool) -> str:
    """`audit_name` from values read without the audit itself (a list of audits as values)."""
    return f"{theme_name} (re-audit)" if reaudit else theme_name


def audit_title_name(audit) -> str:
    """`audit_name` as a page's title (the browser tab) gives it, among the other parts of the
    title set apart by " · ": "Neglect and housing, re-audit", so that the stage or an action's
    state in brackets after it is not a second pair of brackets."""
    name = audit.theme.name
    return f"{name}, re-audit" if audit.reaudit_of_id is not None else name
