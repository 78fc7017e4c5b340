"""`{% form_token %}`: the one-time token of a create form (maca/once.py), new each time the form
is drawn, so the next form (an htmx swap included) never repeats the last one's."""

from django import template
from django.utils.html import format_html

from maca.once import FIELD, new_token

register = template.Library()


@register.simple_tag
def form_token():
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
