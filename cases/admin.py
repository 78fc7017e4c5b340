import functools

from django.contrib import admin

from maca.admin import ReadOnlyAdmin

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


@functools.cache
def path_to_audit(model, depth: int = 4) -> str | None:
    """The attributes from `model` to its audit through its foreign keys ("case__audit"), "" for
    the audit itself, None when it has none."""
    if model is Audit:
        return ""
    if depth == 0:
        return None
    for field in model._meta.get_fields():
        if field.concrete and (field.many_to_one or field.one_to_one) and field.related_model:
            rest = path_to_audit(field.related_model, depth - 1)
            if rest is not None:
                return f"{field.name}__{rest}" if rest else field.name
    return None


def _superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


class CaseLevelAdmin(ReadOnlyAdmin):
    """The administration pages of case-level data (every model of `cases`, `findings` and
    `actions`): shown to superusers only, whatever permissions another staff account holds, and
    read only, for them too. Every look is in the access log (maca.middleware): a page of one
    record tells the log which audit the record belongs to, so that the look is filed under that
    audit's partnership."""

    def has_module_permission(self, request):
        return _superuser(request)

    def has_view_permission(self, request, obj=None):
        return _superuser(request)

    def get_object(self, request, object_id, from_field=None):
        record = super().get_object(request, object_id, from_field)
        path = path_to_audit(self.model)
        if record is not None and path is not None:
            audit = record
            for name in filter(None, path.split("__")):
                audit = getattr(audit, name, None)
            if isinstance(audit, Audit):
                request.audit = audit
        return record


@admin.register(Theme)
class ThemeAdmin(CaseLevelAdmin):
    list_display = ["name", "partnership"]
    list_filter = ["partnership"]
    search_fields = ["name"]


class CaseLevelInline(admin.TabularInline):
    """Rows shown inside a case-level record's page: read only, as the page is."""

    extra = 0

    def has_view_permission(self, request, obj=None):
        return _superuser(request)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BriefingParagraphInline(CaseLevelInline):
    model = BriefingParagraph


class CaseInline(CaseLevelInline):
    model = Case


@admin.register(Audit)
class AuditAdmin(CaseLevelAdmin):
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
class CaseAdmin(CaseLevelAdmin):
    list_display = ["label", "audit", "order"]
    list_filter = ["audit"]
    search_fields = ["label"]


@admin.register(BriefingParagraph)
class BriefingParagraphAdmin(CaseLevelAdmin):
    list_display = ["audit", "section", "order", "text"]
    list_filter = ["section"]


@admin.register(AuditEvent)
class AuditEventAdmin(CaseLevelAdmin):
    list_display = ["audit", "kind", "actor", "created_at"]
    list_filter = ["kind"]


@admin.register(Nomination)
class NominationAdmin(CaseLevelAdmin):
    """Identifying details are deliberately not shown here: they live in their own model."""

    list_display = ["label", "audit", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["label"]


@admin.register(SelectionDraw)
class SelectionDrawAdmin(CaseLevelAdmin):
    list_display = ["audit", "seed", "drawn_by", "confirmed", "created_at"]


@admin.register(ChronologyFile)
class ChronologyFileAdmin(CaseLevelAdmin):
    """The document's details, not the document: it leaves MACA only through the access-checked
    download, logged as "Downloaded". Django would print the file as a link to its address,
    which with an object store is a signed address that fetches it for an hour, from anywhere,
    with no entry in the access log; the stored name is shown as text instead."""

    list_display = ["original_name", "case", "agency", "kind", "size", "uploaded_at"]
    fields = [
        "case",
        "agency",
        "original_name",
        "stored_as",
        "kind",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    ]
    readonly_fields = ["stored_as", "uploaded_at"]

    @admin.display(description="stored as")
    def stored_as(self, upload) -> str:
        return upload.file.name


@admin.register(ChronologyEntry)
class ChronologyEntryAdmin(CaseLevelAdmin):
    list_display = ["date", "date_precision", "case", "agency", "impact"]
    list_filter = ["impact", "agency"]


class ToolQuestionInline(CaseLevelInline):
    model = ToolQuestion


@admin.register(ToolSection)
class ToolSectionAdmin(CaseLevelAdmin):
    list_display = ["title", "audit", "order"]
    inlines = [ToolQuestionInline]


class ToolAnswerInline(CaseLevelInline):
    model = ToolAnswer


@admin.register(AgencySubmission)
class AgencySubmissionAdmin(CaseLevelAdmin):
    list_display = ["case", "agency", "status", "submitted_at"]
    list_filter = ["status", "agency"]
    inlines = [ToolAnswerInline]
