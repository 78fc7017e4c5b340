"""What an audit learned: strengths and findings per case, good practice, recommendations."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from cases.models import Audit, Case
from maca.models import Agency, Partnership


class TagQuerySet(models.QuerySet):
    def for_partnership(self, partnership_id):
        """The shared taxonomy and the tags the partnership's chairs added, not another's."""
        return self.filter(Q(partnership__isnull=True) | Q(partnership_id=partnership_id))


class Tag(models.Model):
    """A learning theme such as 'drift and delay' or 'voice of the child'. The seeded taxonomy
    is shared; a tag a chair adds belongs to their partnership (its name may say too much to
    show to another)."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, null=True, blank=True, related_name="tags"
    )

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
                Lower("name"),
                condition=Q(partnership__isnull=True),
                name="shared_tag_name_unique",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = self._free_slug()
        super().save(*args, **kwargs)

    def _free_slug(self) -> str:
        """The name as a slug, made unique: "Voice-of-the-child" beside "Voice of the child"
        becomes voice-of-the-child-2; a name with no letters a slug can hold (Cyrillic, "!!!")
        becomes tag, tag-2…"""
        base = slugify(self.name)[:100] or "tag"
        taken = set(
            Tag.objects.filter(slug__startswith=base[:90])
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
