"""The composite action plan: what agencies will do about an audit's recommendations."""

import datetime
import secrets
from pathlib import Path

from django.conf import settings
from django.db import models
from django.db.models import Case as When_
from django.db.models import Q, Value, When
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cases.models import Audit
from findings.models import Recommendation
from maca.models import Agency


class Rag(models.TextChoices):
    """The action's rating, derived from its status, due date and the owner's at-risk flag."""

    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"
    COMPLETE = "complete", "Complete"
    CANCELLED = "cancelled", "Cancelled"


def amber_from(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=settings.MACA_RAG_AMBER_DAYS)


class ActionQuerySet(models.QuerySet):
    def with_rag(self, today: datetime.date | None = None):
        """Annotate `rag_rating` so that lists can filter, sort and count by it in the database."""
        today = today or timezone.localdate()
        return self.annotate(
            rag_rating=When_(
                When(status=Action.Status.COMPLETE, then=Value(Rag.COMPLETE)),
                When(status=Action.Status.CANCELLED, then=Value(Rag.CANCELLED)),
                When(due_date__lt=today, then=Value(Rag.RED)),
                When(at_risk=True, then=Value(Rag.AMBER)),
                When(due_date__lte=amber_from(today), then=Value(Rag.AMBER)),
                default=Value(Rag.GREEN),
                output_field=models.CharField(),
            )
        )

    def rated(self, today: datetime.date | None = None) -> list:
        """The actions, each with `rag_rating` as `with_rag` gives it, set by `Action.rag`: for
        a list shown whole, whose rating need not be built into the SQL."""
        today = today or timezone.localdate()
        actions = list(self)
        for action in actions:
            action.rag_rating = action.rag(today)
        return actions


class Action(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETE = "complete", "Complete"
        CANCELLED = "cancelled", "Cancelled"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="actions")
    recommendation = models.ForeignKey(
        Recommendation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
    )
    text = models.TextField("action", max_length=2000)
    owner_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="actions"
    )
    intended_outcome = models.TextField(
        max_length=2000, blank=True, help_text="What will be different for children."
    )
    impact_measure = models.TextField(
        "how impact will be measured",
        max_length=2000,
        blank=True,
        help_text="The evidence that will show it worked.",
    )
    lead = models.CharField(
        "lead officer", max_length=200, blank=True, help_text="The named officer leading it."
    )
    lead_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_actions",
        verbose_name="lead (MACA user)",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    at_risk = models.BooleanField(
        default=False, help_text="The owner agency expects the action to slip."
    )
    outcome_statement = models.TextField(
        max_length=5000, blank=True, help_text="What was achieved, on completion."
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(max_length=2000, blank=True)
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="action_text_not_empty"),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="action_cancelled_has_reason",
            ),
        ]

    def __str__(self):
        return self.text[:80]

    def rag(self, today: datetime.date | None = None) -> str:
        """The same rule as ActionQuerySet.with_rag, for one action in hand."""
        today = today or timezone.localdate()
        if self.status == self.Status.COMPLETE:
            return Rag.COMPLETE
        if self.status == self.Status.CANCELLED:
            return Rag.CANCELLED
        if self.due_date and self.due_date < today:
            return Rag.RED
        if self.at_risk or (self.due_date and self.due_date <= amber_from(today)):
            return Rag.AMBER
        return Rag.GREEN

    @property
    def lead_name(self) -> str:
        return str(self.lead_user) if self.lead_user_id else self.lead

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NOT_STARTED, self.Status.IN_PROGRESS)

    @property
    def outcome(self) -> str:
        """The outcome as the plan's readers see it: only a completed action has one. A reopened
        action keeps its last sign-off's words, unshown, for the chair's next sign-off."""
        return self.outcome_statement if self.status == self.Status.COMPLETE else ""


class ActionUpdate(models.Model):
    """A dated note of progress on an action."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    date = models.DateField()
    text = models.TextField(max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="action_update_text_not_empty"),
        ]

    def __str__(self):
        return f"{self.date:%d %B %Y}: {self.text[:60]}"


def evidence_path(instance, filename):
    suffix = Path(filename).suffix.lower()
    return f"actions/{instance.action_id}/evidence/{secrets.token_hex(16)}{suffix}"


class Evidence(models.Model):
    """A file showing an action's progress or impact: never served from a public URL."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=300)
    original_name = models.CharField(max_length=255)
    kind = models.CharField(max_length=10)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.UniqueConstraint(fields=["action", "sha256"], name="evidence_not_duplicated"),
        ]

    def __str__(self):
        return self.original_name


def package_path(instance, filename):
    """A random name: the package waits here only until it is imported."""
    return f"imports/{secrets.token_hex(16)}.json"


# An import that holds its package's place in its partnership: queued, being imported, or done
# with its audit still there. A second import of the same file is refused while one does.
IMPORTING_OR_IMPORTED = Q(status__in=["waiting", "working"]) | Q(status="done", audit__isnull=False)


class PackageImport(models.Model):
    """A maca-audit/1 package waiting to be imported by the background worker, and what became
    of it. A chair's upload names its partnership and who asked; an operator's
    (`manage.py import_audit`) names no one, and may name a partnership still to be created.
    The file is deleted once the import is done or has failed: only the outcome is kept."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting to be imported"
        WORKING = "working", "Being imported"
        DONE = "done", "Imported"
        FAILED = "failed", "Not imported"

    file = models.FileField(upload_to=package_path, max_length=300, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    # The package's SHA-256: the same file sent again (from a second tab) is known by it.
    fingerprint = models.CharField(max_length=64, blank=True)
    partnership = models.ForeignKey(
        "maca.Partnership", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # An operator's import into a partnership that does not exist yet: its name, created in the
    # import's own transaction (so a failed import leaves no empty partnership behind).
    partnership_name = models.CharField(max_length=200, blank=True)
    create_partnership = models.BooleanField(default=False)
    partnership_created = models.BooleanField(default=False)
    publish = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    # The package's problems as [location, message] pairs, the first few, and how many more.
    problems = models.JSONField(default=list, blank=True)
    more_problems = models.PositiveIntegerField(default=0)
    audit = models.ForeignKey(
        Audit, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "fingerprint"],
                condition=IMPORTING_OR_IMPORTED & ~Q(fingerprint=""),
                name="package_imported_once",
            ),
        ]

    def __str__(self):
        return f"Package import {self.pk} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def start(self) -> None:
        self.status = self.Status.WORKING
        self.started_at = timezone.now()
        self.save(update_fields=["status", "started_at"])

    def succeed(self, audit: Audit, *, partnership, created: bool) -> None:
        self.audit, self.partnership, self.partnership_created = audit, partnership, created
        self._finish(self.Status.DONE, ["audit", "partnership", "partnership_created"])

    def fail(self, problems: list[tuple[str, str]] = (), more: int = 0) -> None:
        self.problems = [[location, message] for location, message in problems]
        self.more_problems = more
        self._finish(self.Status.FAILED, ["problems", "more_problems"])

    def _finish(self, status: str, fields: list[str]) -> None:
        self.status = status
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "finished_at", *fields])

    def more_line(self) -> str:
        return more_problems_line(self.more_problems)


def more_problems_line(more: int) -> str:
    """ "… and 1,234 more problems", or nothing when every problem is listed."""
    if not more:
        return ""
    return f"… and {more:,} more {'problem' if more == 1 else 'problems'}"
