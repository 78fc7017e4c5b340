"""The partnership's marks in documents: `{{ audit.partnership|logo_data_uri }}`."""

from django import template

from maca import logos

register = template.Library()


@register.filter
def logo_data_uri(partnership) -> str:
    return logos.logo_data_uri(partnership)
