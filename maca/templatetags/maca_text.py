from django import template

from maca.wording import possessive as _possessive

register = template.Library()


@register.filter
def possessive(name) -> str:
    """{{ agency.name|possessive }} audit tool: "Police's", "GP practices'"."""
    return _possessive(name)
