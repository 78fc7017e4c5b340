from django.contrib import admin

from learning.models import PartnershipRemoval
from maca.admin import ReadOnlyAdmin


@admin.register(PartnershipRemoval)
class PartnershipRemovalAdmin(ReadOnlyAdmin):
    """The record of each partnership removed: the evidence of a deletion."""

    list_display = ["partnership_name", "removed_at", "files"]
    readonly_fields = ["partnership_name", "removed_at", "rows", "files"]
