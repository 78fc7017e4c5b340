"""Core records: people, the partnerships they work in, the agencies they speak for, their roles."""

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.deconstruct import deconstructible

DEFAULT_MARKING = "OFFICIAL-SENSITIVE"
MARKING_REQUIRED = (
    "Enter the protective marking printed on every page, for example OFFICIAL-SENSITIVE or "
    "OFFICIAL."
)

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


@deconstructible
class UserNameValidator(UnicodeUsernameValidator):
    """A user name: letters, digits and the characters an email address may hold, as an account
    made by accepting an invitation is named by its address ("nia.o'brien@example.org")."""

    regex = r"^[\w.@+\-!#$%&'*/=?^`{|}~]+\Z"
    message = (
        "Enter a valid user name: letters, digits and the characters an email address may hold "
        "(such as @ . + - _ ')."
    )


# Sent when the password of an account is changed, whoever changed it and however: the owner is
# emailed a notice (cases/apps.py), in case it was not them.
password_changed = Signal()


class User(AbstractUser):
    """A person who signs in. Custom from the first migration so fields can be added later."""

    username = models.CharField(
        "username",
        max_length=150,
        unique=True,
        help_text="150 characters or fewer: letters, digits and what an email address may hold.",
        validators=[UserNameValidator()],
        error_messages={"unique": "A user with that username already exists."},
    )

    # Counted up each time the account is switched off: a session is valid only for the count it
    # was made under, so switching the account on again does not bring its old sessions back.
    session_generation = models.PositiveIntegerField(default=0, editable=False)
    # Presses of "Change password" whose current password was not (yet) found right, counted in
    # one statement each before the password is checked, so that guesses sent at once are
    # counted as they arrive; ended by a right one and by signing in.
    current_password_tries = models.PositiveIntegerField(default=0, editable=False)

    def __str__(self):
        return self.get_full_name() or self.username

    def save(self, *args, **kwargs):
        # A new password set on an account there was (its own page, an emailed link, /admin/,
        # `changepassword`); not a new account's first, nor the stored hash upgraded at sign-in.
        password_set = self._password is not None or getattr(self, "_password_disabled", False)
        password_set = password_set and not self._state.adding
        self._password_disabled = False
        self._save_switched_off(*args, **kwargs)
        if password_set:
            password_changed.send(sender=User, user=self)

    def set_unusable_password(self):
        """Signing in with a password turned off (at /admin/): a change its owner is told of."""
        super().set_unusable_password()
        self._password_disabled = True

    def _save_switched_off(self, *args, **kwargs):
        if self._being_switched_off(kwargs.get("update_fields")):
            self.session_generation += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "session_generation"}
        super().save(*args, **kwargs)

    def _being_switched_off(self, update_fields) -> bool:
        if self.is_active:
            return False
        if update_fields is not None and "is_active" not in update_fields:
            return False
        return User.objects.filter(pk=self.pk, is_active=True).exists()

    def get_session_auth_hash(self):
        return self._of_this_generation(super().get_session_auth_hash())

    def get_session_auth_fallback_hash(self):
        for fallback in super().get_session_auth_fallback_hash():
            yield self._of_this_generation(fallback)

    def _of_this_generation(self, password_hash: str) -> str:
        if not self.session_generation:  # never switched off: as Django makes it
            return password_hash
        counted = f"{password_hash}:{self.session_generation}".encode()
        return hashlib.sha256(counted).hexdigest()


def logo_path(instance, filename):
    """A random name under the partnership's folder: a logo is found only through its record."""
    extension = ".png" if instance.logo_kind == "png" else ".jpg"
    return f"partnerships/{instance.pk}/logo/{secrets.token_hex(16)}{extension}"


class Partnership(models.Model):
    """A safeguarding children partnership: the organisation that owns audits and their output.
    Its own words and marks (standard texts, marking, headings, logo) start each new audit and
    head its documents; the partnership administrator keeps them."""

    name = models.CharField(max_length=200, unique=True)
    protective_marking = models.CharField(
        max_length=100,
        blank=True,
        default=DEFAULT_MARKING,
        help_text="Given to each new audit, printed on every page of its documents.",
    )
    # The standard points of the briefing's two narrative sections, one a line, copied into each
    # new audit; when empty, MACA's wording.
    standard_theme_and_cases = models.TextField(
        "standard Theme / Cases points",
        blank=True,
        max_length=5000,
        help_text="One point a line, copied into each new audit's briefing.",
    )
    standard_process = models.TextField(
        "standard Process points",
        blank=True,
        max_length=5000,
        help_text="One point a line, copied into each new audit's briefing.",
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
    # Kept only through cases.uploads' checks (PNG or JPEG, size-capped); served to members.
    logo = models.FileField(upload_to=logo_path, max_length=300, blank=True, editable=False)
    logo_kind = models.CharField(max_length=10, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The partnership's own words for the last two parts of every 7-minute briefing, copied into
    # each new one, where the chair may change them for that audit.
    seven_minute_questions = models.TextField(
        "standard questions for your team",
        blank=True,
        help_text="Part 6 of each new 7-minute briefing: one question a line.",
    )
    seven_minute_find_out_more = models.TextField(
        "standard 'find out more'",
        blank=True,
        help_text="Part 7 of each new 7-minute briefing: links and contacts, one a line.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def headings(self) -> dict[str, str]:
        return {key: getattr(self, f"heading_{key}") for key in SECTION_KEYS}


class Agency(models.Model):
    class Sector(models.TextChoices):
        HEALTH = "health", "Health"
        POLICE = "police", "Police"
        CHILDRENS_SOCIAL_CARE = "children's social care", "Children's social care"
        EDUCATION = "education", "Education"
        HOUSING = "housing", "Housing"
        VOLUNTARY = "voluntary", "Voluntary"
        YOUTH_JUSTICE = "youth justice", "Youth justice"
        OTHER = "other", "Other"

    # Each partnership has its own agencies: two partnerships may each have a "Police".
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="agencies")
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=40, choices=Sector.choices, default=Sector.OTHER)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "name"], name="agency_name_unique_in_partnership"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="agency_name_not_empty"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Whoever names it (a form, an import, the administration pages), a name is kept as it
        # is shown, so that no two look alike and none looks like nothing.
        self.name = _shown_name(self.name)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        # As a form checks it (the administration pages' included): a name of characters that
        # show nothing is no name. A name the form has already refused (too long, say) is not
        # also said to be missing.
        exclude = set(exclude or ())
        errors = {}
        if "name" not in exclude:
            self.name = _shown_name(self.name)
            if not self.name:
                errors["name"] = ["Give the agency's name."]
                exclude.add("name")
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def _shown_name(name: str) -> str:
    from maca.text import shown_name  # maca.text reads these models

    return shown_name(name)


class Membership(models.Model):
    """A user's role in a partnership; a co-ordinator also names the agency they speak for."""

    class Role(models.TextChoices):
        CHAIR = "chair", "Chair"
        QA_MEMBER = "qa_member", "QA member"
        COORDINATOR = "coordinator", "Agency co-ordinator"
        VIEWER = "viewer", "Viewer"
        # Runs MACA for the partnership (its people, agencies, settings and logo); sees no
        # audit by virtue of this role.
        PARTNERSHIP_ADMIN = "partnership_admin", "Partnership administrator"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="memberships"
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partnership__name", "role", "user__username"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="coordinator") | Q(agency__isnull=False),
                name="membership_coordinator_has_agency",
            ),
            models.UniqueConstraint(
                fields=["user", "partnership", "role", "agency"],
                condition=Q(agency__isnull=False),
                name="membership_unique_agency_role",
            ),
            models.UniqueConstraint(
                fields=["user", "partnership", "role"],
                condition=Q(agency__isnull=True),
                name="membership_unique_role",
            ),
        ]

    def __str__(self):
        where = f" for {self.agency}" if self.agency_id else ""
        return f"{self.user} — {self.get_role_display()}{where} ({self.partnership})"

    def clean(self):
        if (
            self.agency_id
            and self.partnership_id
            and self.agency.partnership_id != self.partnership_id
        ):
            raise ValidationError({"agency": "Choose an agency of this partnership."})


class SentReminder(models.Model):
    """A reminder that went out, so that the same reminder never goes to the same person twice.

    `key` names the reminder, e.g. "deadline:audit-3:before" or "action:12:overdue".
    """

    key = models.CharField(max_length=200)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "user"], name="reminder_sent_once"),
        ]

    def __str__(self):
        return f"{self.key} to {self.user}"


class AccessLogEntry(models.Model):
    """One look at case-level data: who, when, what, which action, from which address, filed
    under the partnership whose chair sees it (one entry a partnership, for a look at a page
    across audits by a member of several).

    Written by maca.middleware.AccessLogMiddleware; never changed or deleted through the app.
    The audit and partnership are kept as plain ids so the record outlives what it describes.
    """

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        DOWNLOAD = "download", "Downloaded"
        EXPORT = "export", "Exported"
        REVEAL = "reveal", "Revealed identifiers"
        REFUSED = "refused", "Refused or not found"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    username = models.CharField(max_length=150)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    what = models.CharField(max_length=100, help_text="The page or file, by its name in MACA.")
    path = models.CharField(max_length=500)
    audit_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    partnership_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    # A look at a page naming no audit is filed once under each of the person's partnerships:
    # its entries share this, so a chair of several of them sees the look once.
    look = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "access log entries"

    def __str__(self):
        return f"{self.at:%d %B %Y %H:%M} {self.username} {self.get_action_display()} {self.path}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Access log entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Access log entries cannot be deleted.")

    @property
    def what_display(self) -> str:
        """The page or file in words ("Audit page" for "audit_detail")."""
        from maca.looks import page_name

        return page_name(self.what)


class Invitation(models.Model):
    """An offer of a role in a partnership, emailed to an address. The person becomes a member
    only by accepting it, signed in with an account of that address or creating one; until then
    nothing of any account is shown to, or changed by, whoever invited them.

    `token_hash` is the SHA-256 of the secret in the emailed link: the link is made as the email
    is sent and never stored, so the database alone accepts no invitation."""

    email = models.EmailField(max_length=254)
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Withdrawn before it was accepted: its link then works no more than an expired one's.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="coordinator") | Q(agency__isnull=False),
                name="invitation_coordinator_has_agency",
            ),
        ]

    def __str__(self):
        where = f" for {self.agency}" if self.agency_id else ""
        return f"{self.email} — {self.get_role_display()}{where} ({self.partnership})"

    def is_open(self, now=None) -> bool:
        """Not yet accepted, withdrawn or expired."""
        return (
            self.accepted_at is None
            and self.withdrawn_at is None
            and (now or timezone.now()) < self.expires
        )


class UsedFormToken(models.Model):
    """A create form that was sent and did its work (maca/once.py): a second press of the same
    form finds it here and is answered with the same page, `result_url`, and `messages`.

    `token` is a keyed fingerprint of the form's one-time token, its sender and what it sent.
    Kept for a day (enforce_retention deletes older ones).
    """

    token = models.CharField(max_length=64, unique=True)
    # Nobody for a press sent signed out (creating an account from an invitation).
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    result_url = models.TextField(blank=True)
    # The messages the first press showed, as [level, text, extra tags].
    messages = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"{self.user} → {self.result_url}"
