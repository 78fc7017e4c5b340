"""Themes, audits and their cases."""

from django.db import models
from django.db.models import Q
from django.urls import reverse

from maca.models import Agency, Partnership

DEFAULT_TITLE = "Multi Agency Case Audit"

# The six headings of the briefing, in order, as the partnership's own 6-step briefings word them.
DEFAULT_HEADINGS = {
    "theme_and_cases": "Theme / Cases",
    "process": "Process",
    "strengths": "Strengths identified per case",
    "findings": "Findings identified per case",
    "good_practice": "Good Practice and Evidence as a Result of this Audit and similar Reviews",
    "recommendations": "Recommendations – Issues Identified Across Multiple Cases",
}
SECTION_KEYS = tuple(DEFAULT_HEADINGS)


class Theme(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="themes")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "name"], name="theme_unique_name"),
            models.CheckConstraint(condition=~Q(name=""), name="theme_name_not_empty"),
        ]

    def __str__(self):
        return self.name


class AuditQuerySet(models.QuerySet):
    def visible_to(self, user):
        from maca import access

        return access.restrict_audits(self, user)


class Audit(models.Model):
    class Status(models.TextChoices):
        SETUP = "setup", "Setting up"
        NOMINATING = "nominating", "Nominating cases"
        SUBMISSIONS = "submissions", "Agency submissions"
        MEETING = "meeting", "Multi-agency meeting"
        AUTHORING = "authoring", "Writing the briefing"
        PUBLISHED = "published", "Briefing published"
        CLOSED = "closed", "Closed"

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="audits")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="audits")
    title = models.CharField(max_length=200, default=DEFAULT_TITLE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SETUP)
    meeting_date = models.DateField(null=True, blank=True)
    submission_deadline = models.DateField(null=True, blank=True)
    protective_marking = models.CharField(
        max_length=100, blank=True, help_text="Printed on every page, e.g. OFFICIAL-SENSITIVE."
    )
    target_case_count = models.PositiveSmallIntegerField(default=6)
    agencies = models.ManyToManyField(Agency, blank=True, related_name="audits")
    include_good_practice = models.BooleanField(
        default=True, help_text="Leave the good-practice section out of the briefing when off."
    )

    heading_theme_and_cases = models.CharField(
        max_length=200, default=DEFAULT_HEADINGS["theme_and_cases"]
    )
    heading_process = models.CharField(max_length=200, default=DEFAULT_HEADINGS["process"])
    heading_strengths = models.CharField(max_length=200, default=DEFAULT_HEADINGS["strengths"])
    heading_findings = models.CharField(max_length=200, default=DEFAULT_HEADINGS["findings"])
    heading_good_practice = models.CharField(
        max_length=200, default=DEFAULT_HEADINGS["good_practice"]
    )
    heading_recommendations = models.CharField(
        max_length=200, default=DEFAULT_HEADINGS["recommendations"]
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-meeting_date", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="audit_title_not_empty"),
        ]

    def __str__(self):
        return f"{self.theme.name} — {self.title}"

    def get_absolute_url(self):
        return reverse("audit_detail", args=[self.pk])

    def heading(self, key: str) -> str:
        return getattr(self, f"heading_{key}")

    @property
    def headings(self) -> dict[str, str]:
        return {key: self.heading(key) for key in SECTION_KEYS}


class BriefingParagraph(models.Model):
    """A paragraph or bullet of the briefing's two narrative sections (theme/cases, process)."""

    class Section(models.TextChoices):
        THEME_AND_CASES = "theme_and_cases", "Theme / Cases"
        PROCESS = "process", "Process"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="paragraphs")
    section = models.CharField(max_length=20, choices=Section.choices)
    text = models.TextField()
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["section", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="paragraph_text_not_empty"),
        ]

    def __str__(self):
        return self.text[:60]


class Case(models.Model):
    """A case in an audit, known everywhere by its pseudonymous label ("Case 1")."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="cases")
    label = models.CharField(max_length=50)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "label"], name="case_unique_label"),
            models.CheckConstraint(condition=~Q(label=""), name="case_label_not_empty"),
        ]

    def __str__(self):
        return self.label
