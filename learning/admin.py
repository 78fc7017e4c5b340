from django.contrib import admin

from learning.models import PartnershipRemoval


@admin.register(PartnershipRemoval)
class PartnershipRemovalAdmin(admin.ModelAdmin):
    """The record of each partnership removed: read only, as it is the evidence of a deletion."""

    list_display = ["partnership_name", "removed_at", "files"]
    readonly_fields = ["partnership_name", "removed_at", "rows", "files"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
