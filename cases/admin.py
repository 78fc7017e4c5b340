from django.contrib import admin

from .models import (
    AgencySubmission,
    Audit,
    AuditEvent,
    BriefingParagraph,
    Case,
    ChronologyEntry,
    ChronologyFile,
    Nomination,
    SelectionDraw,
    Theme,
    ToolAnswer,
    ToolQuestion,
    ToolSection,
)


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "partnership"]
    list_filter = ["partnership"]
    search_fields = ["name"]


class BriefingParagraphInline(admin.TabularInline):
    model = BriefingParagraph
    extra = 0


class CaseInline(admin.TabularInline):
    model = Case
    extra = 0


@admin.register(Audit)
class AuditAdmin(admin.ModelAdmin):
    list_display = ["theme", "title", "partnership", "status", "meeting_date"]
    list_filter = ["status", "partnership"]
    search_fields = ["title", "theme__name"]
    filter_horizontal = ["agencies"]
    inlines = [BriefingParagraphInline, CaseInline]
    fieldsets = [
        (None, {"fields": ["partnership", "theme", "title", "status", "protective_marking"]}),
        ("Dates", {"fields": ["submission_deadline", "meeting_date", "target_case_count"]}),
        ("Agencies", {"fields": ["agencies"]}),
        (
            "Briefing headings",
            {
                "fields": [
                    "heading_theme_and_cases",
                    "heading_process",
                    "heading_strengths",
                    "heading_findings",
                    "include_good_practice",
                    "heading_good_practice",
                    "heading_recommendations",
                ]
            },
        ),
    ]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["label", "audit", "order"]
    list_filter = ["audit"]
    search_fields = ["label"]


@admin.register(BriefingParagraph)
class BriefingParagraphAdmin(admin.ModelAdmin):
    list_display = ["audit", "section", "order", "text"]
    list_filter = ["section"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["audit", "kind", "actor", "created_at"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Nomination)
class NominationAdmin(admin.ModelAdmin):
    """Identifying details are deliberately not shown here: they live in their own model."""

    list_display = ["label", "audit", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["label"]


@admin.register(SelectionDraw)
class SelectionDrawAdmin(admin.ModelAdmin):
    list_display = ["audit", "seed", "drawn_by", "confirmed", "created_at"]


@admin.register(ChronologyFile)
class ChronologyFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "case", "agency", "kind", "size", "uploaded_at"]
    readonly_fields = ["file", "sha256", "size", "kind"]


@admin.register(ChronologyEntry)
class ChronologyEntryAdmin(admin.ModelAdmin):
    list_display = ["date", "date_precision", "case", "agency", "impact"]
    list_filter = ["impact", "agency"]


class ToolQuestionInline(admin.TabularInline):
    model = ToolQuestion
    extra = 0


@admin.register(ToolSection)
class ToolSectionAdmin(admin.ModelAdmin):
    list_display = ["title", "audit", "order"]
    inlines = [ToolQuestionInline]


class ToolAnswerInline(admin.TabularInline):
    model = ToolAnswer
    extra = 0


@admin.register(AgencySubmission)
class AgencySubmissionAdmin(admin.ModelAdmin):
    list_display = ["case", "agency", "status", "submitted_at"]
    list_filter = ["status", "agency"]
    inlines = [ToolAnswerInline]
