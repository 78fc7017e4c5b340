"""Documents that can take a while to make (a case pack, a long integrated chronology, the draft
briefing of a large audit, the board's assurance report): asked for on a page, made by the
background worker, and fetched from a page that shows their progress."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from cases.models import Audit, Case
from maca.models import Partnership

# A made document holds case material: it is kept only long enough to be fetched.
KEEP_FOR = datetime.timedelta(hours=24)
# Not made this long after a worker began making it, its making has stopped (the worker restarted
# or ran out of memory): asked for again, it is made afresh rather than waited for.
STALLED_AFTER = datetime.timedelta(minutes=30)


def stalled_before():
    return timezone.now() - STALLED_AFTER


class RequestedDocumentQuerySet(models.QuerySet):
    def kept(self):
        """The documents asked for within KEEP_FOR: older ones are never handed over, even
        before they are deleted."""
        return self.filter(requested_at__gte=timezone.now() - KEEP_FOR)

    def past_keeping(self):
        """The documents asked for before KEEP_FOR, to delete; those of an audit under legal
        hold stay (never handed over), as nothing of a held audit is deleted."""
        return self.filter(requested_at__lt=timezone.now() - KEEP_FOR).filter(
            models.Q(audit__isnull=True) | models.Q(audit__legal_hold_at__isnull=True)
        )

    def on_their_way(self):
        """The documents waiting for the worker or being made by it, not stalled."""
        return self.filter(
            models.Q(status=RequestedDocument.Status.WAITING)
            | models.Q(status=RequestedDocument.Status.MAKING, started_at__gte=stalled_before())
            | models.Q(status=RequestedDocument.Status.MAKING, started_at__isnull=True)
        )

    def of_audit(self, audit):
        """Every document made of `audit` (the case pack, each case's integrated chronology, the
        draft briefing): copies of its case-level data."""
        return self.filter(audit=audit)


class RequestedDocument(models.Model):
    class Kind(models.TextChoices):
        CASE_PACK = "case_pack", "Case pack"
        INTEGRATED_CHRONOLOGY = "integrated_chronology", "Integrated chronology"
        DRAFT_BRIEFING = "draft_briefing", "Draft briefing"
        ASSURANCE_REPORT = "assurance_report", "Board assurance report"
        ACTION_PLAN = "action_plan", "Action plan"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting to be made"
        MAKING = "making", "Being made"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be made"

    # A document of one audit names it; a document across audits (the board's report) names the
    # partnership instead.
    audit = models.ForeignKey(
        Audit, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # What the document shows, e.g. the integrated chronology's chosen agencies and impacts.
    options = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    started_at = models.DateTimeField(null=True, blank=True)  # when the worker began making it
    finished_at = models.DateTimeField(null=True, blank=True)
    # Why it was not made, when that is something its reader can change (too long for one PDF).
    failure = models.CharField(max_length=500, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content = models.BinaryField(null=True, blank=True, editable=False)
    content_type = models.CharField(max_length=100, default="application/pdf")

    objects = RequestedDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.audit or self.partnership}"

    @property
    def progress_url(self) -> str:
        if self.audit_id is None:
            return reverse("own_document_progress", args=[self.pk])
        return reverse("document_progress", args=[self.audit_id, self.pk])

    @property
    def download_url(self) -> str:
        if self.audit_id is None:
            return reverse("own_document_download", args=[self.pk])
        return reverse("document_download", args=[self.audit_id, self.pk])

    @property
    def log_name(self) -> str:
        """Which document this is, as the access log keeps it once the document is deleted: its
        kind and, for one of a case, the case's pseudonymous label ("Integrated chronology of
        Case 3"). Never its file name, which may name more."""
        kind = self.get_kind_display()
        return f"{kind} of {self.case.label}" if self.case_id else kind

    @property
    def format_name(self) -> str:
        return "Word file" if "wordprocessing" in self.content_type else "PDF"

    @property
    def done(self) -> bool:
        return self.status in (self.Status.READY, self.Status.FAILED)

    @property
    def stalled(self) -> bool:
        """Begun by a worker so long ago that its making has stopped. One still queued is not:
        the worker takes it when it comes to it."""
        started = self.started_at
        return self.status == self.Status.MAKING and bool(started) and started < stalled_before()

    # The permission that the document's own page needs: asking, waiting and fetching need it too.
    PERMISSIONS = {
        Kind.CASE_PACK: "view_meeting_pack",
        Kind.INTEGRATED_CHRONOLOGY: "view_meeting_pack",
        Kind.DRAFT_BRIEFING: "view_draft_briefing",
    }

    @property
    def permission(self) -> str:
        """The audit permission asking, waiting and fetching need (documents of one audit)."""
        return self.PERMISSIONS[self.kind]
