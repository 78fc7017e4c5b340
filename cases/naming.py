"""What an audit is called on its pages."""


def audit_name(audit) -> str:
    """The theme's name, and "(re-audit)" after it for a re-audit, so that a re-audit's pages,
    tab titles and tasks are not mistaken for the original audit's, which has the same theme."""
    name = audit.theme.name
    return f"{name} (re-audit)" if audit.reaudit_of_id else name
