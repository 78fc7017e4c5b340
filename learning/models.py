"""The learning library: one row per item of each audit's latest published briefing, as it went
out (the draft may have changed since), with what the library filters and searches on."""

from django.contrib.postgres.search import SearchVectorField
from django.db import models

from actions.models import Action
from cases.models import Audit, Theme
from findings.models import BriefingVersion, Tag
from maca.models import Agency, Partnership


class LibraryEntry(models.Model):
    class Section(models.TextChoices):
        LEARNING_SUMMARY = "learning_summary", "Learning summary"
        STRENGTHS = "strengths", "Strengths"
        FINDINGS = "findings", "Findings"
        GOOD_PRACTICE = "good_practice", "Good practice"
        RECOMMENDATIONS = "recommendations", "Recommendations"
        ACTIONS = "actions", "Actions"

    version = models.ForeignKey(BriefingVersion, on_delete=models.CASCADE, related_name="+")
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="library_entries")
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="+")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")
    held_on = models.DateField(help_text="The audit's meeting date, else the day it was published.")
    section = models.CharField(max_length=20, choices=Section.choices)
    case_label = models.CharField(max_length=50, blank=True)
    agency = models.ForeignKey(
        Agency, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The plan's action, for the plan's own access rule (a viewer reads it only while the plan
    # is published to them; a co-ordinator their own agency's).
    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.TextField()
    anchor = models.CharField(max_length=60, blank=True)
    order = models.PositiveIntegerField(default=0)
    tags = models.ManyToManyField(Tag, blank=True, related_name="+")
    # Filled on PostgreSQL (English stemming), where a GIN index serves it; empty on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-held_on", "audit_id", "order"]
        verbose_name_plural = "library entries"
        indexes = [
            models.Index(fields=["partnership", "held_on"], name="library_partnership_held_on"),
            # The library without words lists the newest first: read in this order, not sorted.
            models.Index(fields=["-held_on", "audit", "order"], name="library_newest_first"),
        ]

    def __str__(self):
        return self.text[:80]


class PartnershipRemoval(models.Model):
    """That a partnership left the installation and everything of it was deleted
    (`remove_partnership`): its name, when, and how many rows of each kind and stored files went.
    The operator's record that the deletion was done; it holds nobody's personal data."""

    partnership_name = models.CharField(max_length=200)
    removed_at = models.DateTimeField(auto_now_add=True)
    rows = models.JSONField(default=dict, help_text="Rows deleted, by kind.")
    files = models.PositiveIntegerField(default=0, help_text="Stored files deleted.")

    class Meta:
        ordering = ["-removed_at"]

    def __str__(self):
        return f"{self.partnership_name} (removed {self.removed_at:%d %B %Y})"
