from django.contrib import admin

from .models import Audit, BriefingParagraph, Case, Theme


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
