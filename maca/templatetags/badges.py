"""Badges repeated on every row of a list, as filters: cheaper than an include per row."""

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

# RAG rating -> (badge colour, words); anything else is a cancelled action.
RAG_BADGES = {
    "red": ("text-bg-danger", 'Red<span class="visually-hidden"> (overdue)</span>'),
    "amber": ("text-bg-warning", "Amber"),
    "green": ("text-bg-success", "Green"),
    "complete": ("text-bg-primary", "Complete"),
}
CANCELLED = ("text-bg-light border", "Cancelled")


@register.filter
def rag_badge(rag) -> str:
    """An action's RAG rating as a badge: `{{ action.rag_rating|rag_badge }}`."""
    colour, words = RAG_BADGES.get(rag, CANCELLED)
    return mark_safe(f'<span class="badge {colour} status-tag">{words}</span>')  # noqa: S308
