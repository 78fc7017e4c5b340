from django.contrib import admin

from cases.admin import CaseLevelAdmin

from .models import (
    BriefingVersion,
    CaseMeetingNote,
    Finding,
    GoodPractice,
    MeetingAttendee,
    MeetingRecord,
    Recommendation,
    Strength,
    Tag,
)


@admin.register(Tag)
class TagAdmin(CaseLevelAdmin):
    list_display = ["name", "slug", "partnership"]
    list_filter = ["partnership"]
    search_fields = ["name"]


class ItemAdmin(CaseLevelAdmin):
    list_display = ["text", "agency", "order"]
    list_filter = ["agency"]
    search_fields = ["text"]
    filter_horizontal = ["tags"]


@admin.register(Strength)
class StrengthAdmin(ItemAdmin):
    list_display = ["text", "case", "agency", "order"]


@admin.register(Finding)
class FindingAdmin(ItemAdmin):
    list_display = ["text", "case", "agency", "order"]


@admin.register(GoodPractice)
class GoodPracticeAdmin(ItemAdmin):
    list_display = ["text", "audit", "agency", "order"]


@admin.register(Recommendation)
class RecommendationAdmin(ItemAdmin):
    list_display = ["text", "audit", "agency", "order"]
    filter_horizontal = ["tags", "cases"]


@admin.register(BriefingVersion)
class BriefingVersionAdmin(CaseLevelAdmin):
    """Published versions are shown, never changed."""

    list_display = ["audit", "number", "published_at", "published_by", "sha256"]
    # Which versions went out, not what they said.
    fields = ["audit", "number", "published_at", "published_by", "sha256", "seven_minute_sha256"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MeetingRecord)
class MeetingRecordAdmin(CaseLevelAdmin):
    list_display = ["audit", "updated_at"]


@admin.register(MeetingAttendee)
class MeetingAttendeeAdmin(CaseLevelAdmin):
    list_display = ["name", "role", "agency", "audit"]


@admin.register(CaseMeetingNote)
class CaseMeetingNoteAdmin(CaseLevelAdmin):
    list_display = ["case", "updated_at"]
