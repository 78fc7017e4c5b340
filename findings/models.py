"""What an audit learned: strengths and findings per case, good practice, recommendations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from cases.models import Audit, Case
from maca.models import Agency, Partnership

# The learning themes each partnership starts with; its chairs add more.
LEARNING_TAGS = [
    "drift and delay",
    "management oversight and supervision",
    "contingency planning",
    "disguised compliance",
    "voice of the child",
    "Think Family",
    "use of chronologies",
    "escalation",
    "information sharing",
    "domestic abuse",
    "neglect",
    "housing",
    "parental mental health",
    "substance misuse",
    "child exploitation",
    "missing children",
    "trauma-informed practice",
]


class TagQuerySet(models.QuerySet):
    def for_partnership(self, partnership_id):
        """The partnership's own tags: the learning themes it started with and those its chairs
        added (another partnership's, whose names may say too much, never)."""
        return self.filter(partnership_id=partnership_id)


class Tag(models.Model):
    """A learning theme such as 'drift and delay' or 'voice of the child'. Every tag belongs to
    one partnership: each starts with the same learning themes (LEARNING_TAGS), and a tag a
    chair adds is their partnership's alone. The slug is the same in every partnership for the
    same name, so the library can filter several partnerships' rows by one tag."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100)
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="tags")

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name")]  # "Think Family" among the others, not before them
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "partnership",
                name="tag_name_unique_in_partnership",
            ),
            models.UniqueConstraint(
                fields=["partnership", "slug"], name="tag_slug_unique_in_partnership"
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._free_slug()
        super().save(*args, **kwargs)

    def _free_slug(self) -> str:
        """The name as a slug, made unique in the partnership: "Voice-of-the-child" beside "Voice
        of the child" becomes voice-of-the-child-2; a name with no letters a slug can hold
        (Cyrillic, "!!!") becomes tag, tag-2…"""
        base = slugify(self.name)[:100] or "tag"
        taken = set(
            Tag.objects.filter(partnership_id=self.partnership_id, slug__startswith=base[:90])
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        slug, number = base, 1
        while slug in taken:
            number += 1
            suffix = f"-{number}"
            slug = base[: 100 - len(suffix)] + suffix
        return slug


class Item(models.Model):
    """Fields shared by every briefing item: its words, the agency it is about, order and tags."""

    text = models.TextField(max_length=5000)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True)
    order = models.PositiveIntegerField(default=0)
    tags = models.ManyToManyField(Tag, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def __str__(self):
        return self.text[:80]


def _text_not_empty(name):
    return models.CheckConstraint(condition=~Q(text=""), name=name)


class Strength(Item):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="strengths")

    class Meta(Item.Meta):
        constraints = [_text_not_empty("strength_text_not_empty")]


class Finding(Item):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="findings")

    class Meta(Item.Meta):
        constraints = [_text_not_empty("finding_text_not_empty")]


class GoodPractice(Item):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="good_practice")

    class Meta(Item.Meta):
        verbose_name_plural = "good practice"
        constraints = [_text_not_empty("good_practice_text_not_empty")]


class Recommendation(Item):
    """An issue identified across several cases; the cases are those that evidence it."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="recommendations")
    cases = models.ManyToManyField(Case, blank=True, related_name="recommendations")
    impact_measure = models.TextField(
        "how will we know it worked?",
        max_length=2000,
        blank=True,
        help_text="What a re-audit of this theme should see if practice has changed.",
    )

    class Meta(Item.Meta):
        constraints = [_text_not_empty("recommendation_text_not_empty")]


class BriefingVersion(models.Model):
    """A published briefing: the PDF and HTML exactly as they went out, never changed after."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="briefing_versions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    html = models.TextField()
    pdf = models.BinaryField()
    docx = models.BinaryField("Word document", default=b"", blank=True)
    sha256 = models.CharField("SHA-256 of the PDF", max_length=64)
    # The 7-minute briefing published with it, when the audit has one: its parts as they were,
    # its page and its one-page PDF with that PDF's own fingerprint.
    seven_minute_parts = models.JSONField(default=dict, blank=True)
    seven_minute_html = models.TextField(blank=True)
    seven_minute_pdf = models.BinaryField(default=b"", blank=True)
    seven_minute_sha256 = models.CharField(
        "SHA-256 of the 7-minute briefing's PDF", max_length=64, blank=True
    )

    # False on the latest version when briefing_publish returns it because nothing changed.
    newly_published = True

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "number"], name="briefing_version_unique"),
        ]

    def __str__(self):
        return f"Version {self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A published briefing version cannot be changed.")
        super().save(*args, **kwargs)
        self.audit.mark_briefing_published(self.published_at)

    @property
    def has_seven_minute(self) -> bool:
        return bool(self.seven_minute_sha256)


class MeetingRecord(models.Model):
    """What the multi-agency meeting concluded: the learning summary for the audit."""

    audit = models.OneToOneField(Audit, on_delete=models.CASCADE, related_name="meeting_record")
    learning_summary = models.TextField(max_length=20000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    def __str__(self):
        return f"Meeting record for {self.audit}"


class MeetingAttendee(models.Model):
    """Someone at the meeting, recorded by agency so the partnership sees who took part."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="meeting_attendees")
    name = models.CharField(max_length=200)
    role = models.CharField("job title or role", max_length=200, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["agency__name", "name"]

    def __str__(self):
        return self.name


class CaseMeetingNote(models.Model):
    """The meeting's discussion of one case."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="meeting_note")
    text = models.TextField(max_length=20000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    def __str__(self):
        return f"Meeting notes for {self.case}"


class SevenMinuteBriefing(models.Model):
    """The audit's learning on one page, in seven numbered parts, read with a team in seven
    minutes. The parts and their word limits are listed in findings.sevenminute.PARTS."""

    audit = models.OneToOneField(
        Audit, on_delete=models.CASCADE, related_name="seven_minute_briefing"
    )
    background = models.TextField(max_length=5000, blank=True)
    why_it_matters = models.TextField(max_length=5000, blank=True)
    what_we_found = models.TextField(max_length=5000, blank=True)
    what_went_well = models.TextField(max_length=5000, blank=True)
    what_needs_to_change = models.TextField(max_length=5000, blank=True)
    questions = models.TextField(max_length=5000, blank=True)
    find_out_more = models.TextField(max_length=5000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    def __str__(self):
        return f"7-minute briefing for {self.audit}"


class UsageRecord(models.Model):
    """One time an agency used the audit's briefing or 7-minute briefing with its staff."""

    class Briefing(models.TextChoices):
        SEVEN_MINUTE = "seven_minute", "The 7-minute briefing"
        SIX_STEP = "six_step", "The 6-step briefing"
        BOTH = "both", "Both"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="usage_records")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    # Empty for a use recorded before MACA asked (or brought in from a package that did not say).
    briefing = models.CharField(
        "briefing used", max_length=20, choices=Briefing.choices, blank=True
    )
    date = models.DateField("date used")
    team = models.CharField("team or setting", max_length=200)
    staff_count = models.PositiveIntegerField("number of staff")
    reflection = models.TextField("what will we do differently?", max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The version an edit form is checked against (maca/concurrency.py).
    updated_at = models.DateTimeField(auto_now=True)

    # Who corrected or deleted a recorded use, and when.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(team=""), name="usage_team_not_empty"),
        ]

    def __str__(self):
        return f"{self.agency}: {self.team} ({self.date:%d %B %Y})"


class ImpactVerdict(models.Model):
    """What a re-audit's meeting concluded about one recommendation of the original audit."""

    class Verdict(models.TextChoices):
        SEEN = "seen", "Impact seen"
        PARTLY_SEEN = "partly_seen", "Impact partly seen"
        NOT_SEEN = "not_seen", "Impact not seen"

    reaudit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="impact_verdicts")
    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="impact_verdicts"
    )
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    evidence = models.TextField(max_length=4000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reaudit", "recommendation"], name="impact_verdict_once_per_reaudit"
            ),
        ]

    def __str__(self):
        return f"{self.get_verdict_display()}: {self.recommendation}"
