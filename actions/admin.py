from django.contrib import admin

from cases.admin import CaseLevelAdmin, CaseLevelInline

from .models import Action, ActionUpdate


class ActionUpdateInline(CaseLevelInline):
    model = ActionUpdate


@admin.register(Action)
class ActionAdmin(CaseLevelAdmin):
    list_display = ["text", "audit", "owner_agency", "lead", "due_date", "status"]
    list_filter = ["status", "owner_agency"]
    search_fields = ["text", "lead"]
    inlines = [ActionUpdateInline]


@admin.register(ActionUpdate)
class ActionUpdateAdmin(CaseLevelAdmin):
    list_display = ["action", "date", "text"]
