import datetime
import json
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from actions.demo_builders import (
    IN_PROGRESS_THEME,
    STANDARD_FIND_OUT_MORE,
    STANDARD_QUESTIONS,
    add_actions_in_every_state,
    add_learning_into_practice,
    build_audit_in_progress,
    demo_logo,
)
from actions.package import package_import
from cases.models import Audit
from cases.services.partnership import partnership_logo_set
from findings.models import SevenMinuteBriefing
from findings.publishing import briefing_publish
from findings.services import seven_minute_draft
from maca.models import Agency, Membership, Partnership, User

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_PACKAGES = ["neglect-and-housing.json", "exploitation.json"]
# Past years' audits, imported with their briefings published, so that the learning library,
# trends and the board's report have history from the first day.
HISTORY_PACKAGES = ["history-neglect-2024.json", "history-missing-2025.json"]
DEMO_PASSWORD = "demo"
DEMO_USERS = [
    # username, first name, last name, role, agency
    ("chair", "Alex", "Chair (demo)", Membership.Role.CHAIR, None),
    ("qa", "Sam", "QA member (demo)", Membership.Role.QA_MEMBER, None),
    ("housing", "Jo", "Housing co-ordinator (demo)", Membership.Role.COORDINATOR, "Housing"),
    ("viewer", "Kim", "Viewer (demo)", Membership.Role.VIEWER, None),
    ("admin", "Robin", "Partnership administrator (demo)", Membership.Role.PARTNERSHIP_ADMIN, None),
]


def held_by_now(data: dict) -> dict:
    """A demo audit past its meeting (reporting) had the meeting three weeks before the demo
    was loaded at the latest, whenever that is."""
    latest = timezone.localdate() - datetime.timedelta(weeks=3)
    held = datetime.date.fromisoformat(data["meeting_date"])
    if data.get("status") == "reporting" and held > latest:
        return {**data, "meeting_date": latest.isoformat()}
    return data


class Command(BaseCommand):
    help = "Load the demo audits and one demo user per role. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        partnership = None
        for name in DEMO_PACKAGES:
            data = json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))
            existing = Audit.objects.filter(
                partnership__name=data["partnership"],
                theme__name=data["theme"]["name"],
                reaudit_of__isnull=True,
            ).first()
            audit = existing or package_import(held_by_now(data))
            partnership = audit.partnership
            verb = "Kept" if existing else "Created"
            self.stdout.write(f"{verb} demo audit {audit.theme.name}: {audit.get_absolute_url()}")
        self._create_users(partnership)
        self._set_standard_seven_minute_text(partnership)
        self._set_logo(partnership)
        self._import_history()
        self._publish_finished_audits(partnership)
        self._add_work_in_progress(partnership)
        self._add_learning_into_practice(partnership)

    def _set_logo(self, partnership: Partnership):
        """The partnership's logo, through the same checks as an upload by its administrator."""
        if not partnership.logo:
            picture = SimpleUploadedFile("logo.png", demo_logo(), content_type="image/png")
            partnership_logo_set(partnership=partnership, uploaded_file=picture)
            self.stdout.write(f"Gave {partnership} its logo.")

    def _set_standard_seven_minute_text(self, partnership: Partnership):
        if not partnership.seven_minute_questions:
            partnership.seven_minute_questions = STANDARD_QUESTIONS
            partnership.seven_minute_find_out_more = STANDARD_FIND_OUT_MORE
            partnership.save(update_fields=["seven_minute_questions", "seven_minute_find_out_more"])

    def _add_learning_into_practice(self, partnership: Partnership):
        """The closed audit's 7-minute briefing in use by two agencies, and its re-audit."""
        seed = Audit.objects.get(
            partnership=partnership, theme__name="Neglect and housing", reaudit_of__isnull=True
        )
        chair = User.objects.get(username="chair")
        if add_learning_into_practice(seed, chair=chair):
            self.stdout.write(f"Added uses of the briefing and a re-audit to {seed.theme.name}.")

    def _import_history(self):
        chair = User.objects.get(username="chair")
        for name in HISTORY_PACKAGES:
            data = json.loads((DEMO_DIR / name).read_text(encoding="utf-8"))
            if Audit.objects.filter(
                partnership__name=data["partnership"], theme__name=data["theme"]["name"]
            ).exists():
                continue
            audit = package_import(data, publish=True, user=chair)
            self.stdout.write(f"Imported and published past audit {audit.theme.name}.")

    def _add_work_in_progress(self, partnership: Partnership):
        users = {
            u.username: u for u in User.objects.filter(username__in=["chair", "qa", "housing"])
        }
        seed = Audit.objects.get(
            partnership=partnership, theme__name="Neglect and housing", reaudit_of__isnull=True
        )
        if seed.actions.count() <= 2:
            add_actions_in_every_state(seed, chair=users["chair"])
            self.stdout.write(f"Added actions in every state to {seed.theme.name}.")
        if not Audit.objects.filter(
            partnership=partnership, theme__name=IN_PROGRESS_THEME
        ).exists():
            audit = build_audit_in_progress(
                partnership, chair=users["chair"], qa=users["qa"], coordinator=users["housing"]
            )
            self.stdout.write(f"Created demo audit {audit.theme.name}: {audit.get_absolute_url()}")

    def _publish_finished_audits(self, partnership: Partnership):
        """A closed audit's briefing has gone out with its action plan: version 1 and the plan
        are there for the demo viewer."""
        chair = User.objects.get(username="chair")
        closed = Audit.objects.filter(
            partnership=partnership, status=Audit.Status.CLOSED, reaudit_of__isnull=True
        )
        for audit in closed:
            if not audit.briefing_versions.exists():
                if not SevenMinuteBriefing.objects.filter(audit=audit).exists():
                    seven_minute_draft(audit=audit)
                version = briefing_publish(
                    audit=audit, user=chair, with_plan=True, published_at=_published_at(audit)
                )
                self.stdout.write(f"Published version {version.number} of {audit.theme.name}.")

    def _create_users(self, partnership: Partnership):
        self.stdout.write(f"\nDemo logins (password for each: {DEMO_PASSWORD!r}):")
        for username, first, last, role, agency_name in DEMO_USERS:
            user, _ = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@example.org",
                    "password": make_password(DEMO_PASSWORD),
                },
            )
            agency = (
                Agency.objects.get(partnership=partnership, name=agency_name)
                if agency_name
                else None
            )
            Membership.objects.get_or_create(
                user=user, partnership=partnership, role=role, agency=agency
            )
            where = f" for {agency_name}" if agency_name else ""
            self.stdout.write(f"  {username:<8} {Membership.Role(role).label}{where}")


def _published_at(audit: Audit) -> datetime.datetime:
    """When the demo's closed audit went out: a fortnight after its meeting, or seven weeks ago
    if that was longer ago, so that its briefing has been in use for a while (never later than
    now)."""
    now = timezone.now()
    weeks_ago = now - datetime.timedelta(weeks=7)
    if audit.meeting_date is None:
        return weeks_ago
    meeting = datetime.datetime.combine(audit.meeting_date, datetime.time(10))
    return min(max(timezone.make_aware(meeting) + datetime.timedelta(days=14), weeks_ago), now)
