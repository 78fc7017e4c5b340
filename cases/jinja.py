"""The audits app's filters for templates: a chronology row's date and impact, cheaper than an
include per row."""

from markupsafe import Markup

from maca.jinja import FilterExtension

from .naming import audit_name, audit_title_name


def entry_date(entry) -> Markup | str:
    """The date to its precision, marked when approximate."""
    if entry.is_approximate:
        return Markup('{} <span class="approx">(approx.)</span>').format(entry.date_label)
    return entry.date_label


def impact_badge(entry) -> Markup:
    return Markup('<span class="badge status-tag impact-tag impact-{}">{}</span>').format(
        entry.impact, entry.get_impact_display()
    )


class CasesExtension(FilterExtension):
    filters = {
        "entry_date": entry_date,
        "impact_badge": impact_badge,
        "audit_name": audit_name,
        "audit_title_name": audit_title_name,
    }
