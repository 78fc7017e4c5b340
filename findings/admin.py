from django.contrib import admin

from .models import Finding, GoodPractice, Recommendation, Strength, Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ItemAdmin(admin.ModelAdmin):
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
