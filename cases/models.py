"""Themes, audits and their cases."""

import secrets
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from maca.models import DEFAULT_HEADINGS, SECTION_KEYS, Agency, Partnership  # noqa: F401

DEFAULT_TITLE = "Multi Agency Case Audit"


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
        from cases import access

        return access.restrict_audits(self, user)


# A theme of up to 200 characters names its files by its first words only: a name of 250
# characters is more than some systems' paths take once the files are kept in a folder.
FILE_STEM_MAX = 60


def _cut_at_a_word(slug: str, most: int) -> str:
    """`slug` cut to at most `most` characters, at the end of one of its words."""
    if len(slug) <= most:
        return slug
    cut = slug[: most + 1]
    return cut[: cut.rfind("-")] if "-" in cut else slug[:most]


class Audit(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        NOMINATING = "nominating", "Nominating cases"
        SELECTED = "selected", "Cases selected"
        SUBMISSIONS = "submissions", "Submissions open"
        MEETING = "meeting", "Multi-agency meeting"
        REPORTING = "reporting", "Reporting"
        CLOSED = "closed", "Closed"

    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="audits")
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="audits")
    title = models.CharField(max_length=200, default=DEFAULT_TITLE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    meeting_date = models.DateField(null=True, blank=True)
    submission_deadline = models.DateField(null=True, blank=True)
    protective_marking = models.CharField(
        max_length=100, blank=True, help_text="Printed on every page, e.g. OFFICIAL-SENSITIVE."
    )
    target_case_count = models.PositiveSmallIntegerField(default=6)
    pack_released_at = models.DateTimeField(
        null=True, blank=True, help_text="When the chair released the meeting pack to members."
    )
    plan_published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the chair published the action plan with the briefing, for viewers.",
    )
    briefing_published_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the briefing was first published (viewers read it from then on).",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # A legal hold stops retention from deleting the audit's case-level data.
    legal_hold_at = models.DateTimeField(null=True, blank=True)
    legal_hold_reason = models.TextField(blank=True)
    legal_hold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agencies = models.ManyToManyField(Agency, blank=True, related_name="audits")
    include_good_practice = models.BooleanField(
        default=True, help_text="Leave the good-practice section out of the briefing when off."
    )
    include_learning_summary = models.BooleanField(
        default=True, help_text="Print the meeting record's learning summary in the briefing."
    )
    include_actions_annex = models.BooleanField(
        default=True, help_text="Print a short annex of the audit's actions in the briefing."
    )
    reaudit_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reaudits",
        help_text="The closed audit of the same theme whose impact this audit checks.",
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

    history = HistoricalRecords()

    class Meta:
        ordering = ["-meeting_date", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="audit_title_not_empty"),
        ]

    def __str__(self):
        return f"{self.theme.name} — {self.title}"

    def get_absolute_url(self):
        return reverse("audit_detail", args=[self.pk])

    def move_to(self, status: str) -> None:
        """Change stage; closing stamps the time that retention counts from."""
        self.status = status
        self.closed_at = timezone.now() if status == self.Status.CLOSED else None

    def mark_briefing_published(self, at) -> None:
        """The briefing went out (the first version stamps the time); viewers may read it."""
        if self.briefing_published_at is None:
            self.briefing_published_at = at
            Audit.objects.filter(pk=self.pk, briefing_published_at__isnull=True).update(
                briefing_published_at=at
            )

    @property
    def on_legal_hold(self) -> bool:
        return self.legal_hold_at is not None

    @property
    def accepts_nominations(self) -> bool:
        return self.status == self.Status.NOMINATING

    @property
    def accepts_submissions(self) -> bool:
        """Agencies may upload and write their audit tools until the meeting is over."""
        return self.status in (self.Status.SUBMISSIONS, self.Status.MEETING)

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def file_stem(self) -> str:
        """How its files' names begin: its theme, and "re-audit" for a re-audit, whose files
        would otherwise be named as its original's ("neglect-and-housing-re-audit")."""
        stem = _cut_at_a_word(slugify(self.theme.name), FILE_STEM_MAX) or "audit"
        return f"{stem}-re-audit" if self.reaudit_of_id else stem

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
    text = models.TextField(max_length=2000)
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
    agencies = models.ManyToManyField(
        Agency, blank=True, related_name="involved_cases", help_text="Agencies involved."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "label"], name="case_unique_label"),
            models.CheckConstraint(condition=~Q(label=""), name="case_label_not_empty"),
        ]

    def __str__(self):
        return self.label


class AuditEvent(models.Model):
    """Something that happened to an audit that people may later need to account for:
    a stage moved, a random draw, a submission reopened, reminders sent."""

    class Kind(models.TextChoices):
        STATUS = "status", "Stage changed"
        DRAW = "draw", "Random selection drawn"
        SELECTION = "selection", "Selection confirmed"
        REOPEN = "reopen", "Submission reopened"
        PACK_RELEASED = "pack_released", "Meeting pack released"
        PLAN_PUBLISHED = "plan_published", "Action plan published to viewers"
        PLAN_WITHDRAWN = "plan_withdrawn", "Action plan withdrawn from viewers"
        REMINDER = "reminder", "Reminder sent"
        REAUDIT_SCHEDULED = "reaudit_scheduled", "Re-audit scheduled"
        CARRIED_FORWARD = "carried_forward", "Cases carried forward"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.created_at:%d %B %Y %H:%M})"


class Nomination(models.Model):
    """A case put forward by a QA member, with what the chair needs to choose a cross-section.

    The child's identifying details are not here: they live in NominationIdentity, shown only
    to those who need them.
    """

    # What the nominator writes about the case (the agencies involved are set on their own).
    WRITTEN_FIELDS = (
        "label",
        "reason",
        "age_band",
        "gender",
        "ethnicity",
        "disability",
        "legal_status",
        "tags",
    )

    class Status(models.TextChoices):
        NOMINATED = "nominated", "Nominated"
        SELECTED = "selected", "Selected"
        DECLINED = "declined", "Declined"

    class AgeBand(models.TextChoices):
        UNBORN = "unborn", "Unborn"
        UNDER_1 = "under_1", "Under 1"
        AGE_1_4 = "1_4", "1–4"
        AGE_5_9 = "5_9", "5–9"
        AGE_10_15 = "10_15", "10–15"
        AGE_16_17 = "16_17", "16–17"
        AGE_18_PLUS = "18_plus", "18 and over (care leaver)"

    class Gender(models.TextChoices):
        GIRL = "girl", "Girl"
        BOY = "boy", "Boy"
        OTHER = "other", "Other or self-described"
        UNKNOWN = "unknown", "Not known"

    class Ethnicity(models.TextChoices):
        WHITE = "white", "White"
        MIXED = "mixed", "Mixed or multiple ethnic groups"
        ASIAN = "asian", "Asian or Asian British"
        BLACK = "black", "Black, Black British, Caribbean or African"
        OTHER = "other", "Other ethnic group"
        UNKNOWN = "unknown", "Not known"

    class Disability(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        UNKNOWN = "unknown", "Not known"

    class LegalStatus(models.TextChoices):
        EARLY_HELP = "early_help", "Early help"
        CHILD_IN_NEED = "child_in_need", "Child in need"
        CHILD_PROTECTION = "child_protection", "Child protection plan"
        LOOKED_AFTER = "looked_after", "Child looked after"
        CARE_LEAVER = "care_leaver", "Care leaver"
        NONE = "none", "No statutory plan"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="nominations")
    label = models.CharField(
        max_length=50, help_text="A pseudonymous label, never the child's name, e.g. 'Case 7'."
    )
    reason = models.TextField("reason for nomination", max_length=2000)
    agencies = models.ManyToManyField(
        Agency, blank=True, related_name="nominations", verbose_name="agencies involved"
    )
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, blank=True)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    ethnicity = models.CharField(max_length=10, choices=Ethnicity.choices, blank=True)
    disability = models.CharField(max_length=10, choices=Disability.choices, blank=True)
    legal_status = models.CharField(max_length=20, choices=LegalStatus.choices, blank=True)
    tags = models.JSONField(default=list, blank=True, help_text="Free tags, e.g. 'eviction'.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NOMINATED)
    decline_reason = models.TextField(max_length=1000, blank=True)
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    case = models.OneToOneField(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="nomination"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "label"], name="nomination_unique_label"),
            models.CheckConstraint(condition=~Q(label=""), name="nomination_label_not_empty"),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="nomination_declined_has_reason",
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def current_label(self) -> str:
        """What the audit calls the child now: its case's label once chosen (the chair may have
        renamed or renumbered the cases since), else the label it was nominated under."""
        return self.case.label if self.case_id else self.label


class NominationIdentity(models.Model):
    """The child's identifying details, kept apart from everything else.

    Shown only to the chair and to co-ordinators of agencies involved in the case; never in
    lists, the briefing or any export.
    """

    nomination = models.OneToOneField(Nomination, on_delete=models.CASCADE, related_name="identity")
    child_name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Identifiers for {self.nomination.label}"


class LocalReference(models.Model):
    """An agency's own reference number for the child (e.g. a case management system id)."""

    identity = models.ForeignKey(
        NominationIdentity, on_delete=models.CASCADE, related_name="references"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["identity", "agency"], name="reference_one_per_agency"),
        ]

    def __str__(self):
        return f"{self.agency}: reference held"


class SelectionDraw(models.Model):
    """A random selection from the nominations, recorded so it can be explained and repeated."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="draws")
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    seed = models.CharField(max_length=64)
    nominations = models.ManyToManyField(Nomination, related_name="draws")
    confirmed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Draw {self.seed[:8]} ({self.created_at:%d %B %Y %H:%M})"


def upload_path(instance, filename):
    """A random name under the audit's folder: the original name is kept in the database only."""
    suffix = Path(filename).suffix.lower()
    return f"audits/{instance.case.audit_id}/chronologies/{secrets.token_hex(16)}{suffix}"


class ChronologyFile(models.Model):
    """An agency's chronology document for a case. The newest upload is the current version."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        DOCX = "docx", "Word (DOCX)"
        XLSX = "xlsx", "Excel (XLSX)"
        CSV = "csv", "CSV"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="chronology_files")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=upload_path, max_length=300)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "agency", "sha256"], name="chronology_file_not_duplicated"
            ),
        ]

    def __str__(self):
        return self.original_name


class ChronologyEntry(models.Model):
    """One row of an agency's structured chronology. Uncertain dates keep their precision:
    a month is stored as its first day, a year as 1 January, and marked approximate."""

    class Precision(models.TextChoices):
        DAY = "day", "Day"
        MONTH = "month", "Month"
        YEAR = "year", "Year"

    class Impact(models.TextChoices):
        POSITIVE = "positive", "Positive"
        NEGATIVE = "negative", "Negative"
        NEUTRAL = "neutral", "Neutral"
        UNKNOWN = "unknown", "Unknown"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="chronology_entries")
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", help_text="The agency that recorded it."
    )
    date = models.DateField()
    date_precision = models.CharField(
        max_length=5, choices=Precision.choices, default=Precision.DAY
    )
    event = models.TextField()
    source_agency = models.CharField(max_length=200, blank=True)
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.UNKNOWN)
    action_taken = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["date", "date_precision", "id"]
        verbose_name_plural = "chronology entries"
        constraints = [
            models.CheckConstraint(condition=~Q(event=""), name="chronology_event_not_empty"),
        ]

    def __str__(self):
        return f"{self.date}: {self.event[:60]}"

    @property
    def is_approximate(self) -> bool:
        return self.date_precision != self.Precision.DAY

    @property
    def date_label(self) -> str:
        """The date to its precision: "7 January 2025", "March 2025", "2025"."""
        shown = {self.Precision.YEAR: "Y", self.Precision.MONTH: "F Y"}.get(
            self.date_precision, "j F Y"
        )
        return date_format(self.date, shown)

    @property
    def date_shown(self) -> str:
        """The date as chronologies show it in words: "March 2025 (approx.)"."""
        return f"{self.date_label} (approx.)" if self.is_approximate else self.date_label


class ToolSection(models.Model):
    """A section of an audit's questionnaire (the audit tool)."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="tool_sections")
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.title


class ToolQuestion(models.Model):
    section = models.ForeignKey(ToolSection, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField()
    guidance = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.text[:80]


class Grade(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class AgencySubmission(models.Model):
    """One agency's audit tool for one case: a draft until submitted, then locked."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="submissions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "agency"], name="submission_one_per_agency"),
        ]

    def __str__(self):
        return f"{self.agency} — {self.case}"

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.SUBMITTED


class ToolAnswer(models.Model):
    submission = models.ForeignKey(
        AgencySubmission, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(ToolQuestion, on_delete=models.CASCADE, related_name="answers")
    text = models.TextField(blank=True)
    grade = models.CharField(max_length=25, choices=Grade.choices, blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "question"], name="answer_one_per_question"
            ),
        ]

    def __str__(self):
        return f"{self.question} — {self.get_grade_display() or 'no grade'}"


class PurgeRecord(models.Model):
    """What was deleted from an audit, when and by whom (or by the retention schedule).

    Kept after the audit itself is gone: the audit is named by its id and words, not a key.
    """

    class Kind(models.TextChoices):
        IDENTIFIERS = "identifiers", "Children's identifying details"
        FILES = "files", "Uploaded files"
        RETENTION = "retention", "Case-level data at the end of the retention period"

    audit_id_kept = models.PositiveBigIntegerField("audit number")
    audit_name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.JSONField(default=dict)
    purged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    purged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-purged_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} purged from {self.audit_name}"

    def counts_text(self) -> str:
        """What was deleted, as "identifying details: 1, requested documents: 2" (the names are
        stored plural, so the number follows them)."""
        return ", ".join(f"{what}: {number:,}" for what, number in self.detail.items())


class OutgoingEmail(models.Model):
    """An email asked for by a page (an invitation, a reminder), sent by the background worker.

    `key` is the email's idempotency key: it is unique and it travels in the message's headers.
    A worker claims the email (`sending_until`) before sending it and marks it sent afterwards,
    so a task run again, or by a second worker, does not send it twice. Once sent, the subject
    and body are cleared: only the fact that it went out is kept.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to be sent"
        SENT = "sent", "Sent"
        WITHHELD = "withheld", "Not sent: the recipient may no longer receive it"
        FAILED = "failed", "Could not be sent"

    key = models.CharField(max_length=200, unique=True)
    # To an account, or, for an invitation, to the invited address (no account is looked up).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    invitation = models.ForeignKey(
        "maca.Invitation", on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    audit = models.ForeignKey(
        Audit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What the recipient must be allowed to do with the audit when it is sent (cases/access.py).
    permission = models.CharField(max_length=40, default="view_audit")
    # The agencies whose work the email describes (a reminder of what each still owes): it is
    # sent only while the recipient may still see each one's work in the audit.
    agency_ids = models.JSONField(default=list, blank=True)
    # A notice to a partnership's chair (a role granted in it): sent only while they chair it.
    partnership = models.ForeignKey(
        "maca.Partnership", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)  # the kind of failure, no content
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # While a worker is sending it; another leaves it alone until then.
    sending_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="outgoing_email_waiting")]
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | Q(invitation__isnull=False),
                name="outgoing_email_has_an_addressee",
            ),
        ]

    def __str__(self):
        return f"{self.key} ({self.get_status_display()})"

    @property
    def address(self) -> str:
        return self.recipient.email if self.recipient_id else self.invitation.email


class ConfirmedText(models.Model):
    """A text of an audit that looks as if it held someone's identifying details by its shape (a
    postcode, a date of birth, an NHS or phone number, an address, a label like a name), which a
    person confirmed it does not. Kept by the text's SHA-256, so that any change to the text asks
    again. The writer's confirmation lets the text be saved; publishing needs the chair's."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="confirmed_texts")
    text_hash = models.CharField(max_length=64)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(auto_now=True)
    by_chair = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["audit", "text_hash"], name="text_confirmed_once"),
        ]

    def __str__(self):
        return f"A text of {self.audit} confirmed {'by the chair' if self.by_chair else ''}".strip()
