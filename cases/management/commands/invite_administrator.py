"""Invite a partnership's administrator by email: how a new partnership gets its first one."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cases.services.partnership import partnership_administrator_invite
from maca.management.partnerships import partnership_required


class Command(BaseCommand):
    help = (
        "Email an invitation to administer a partnership. The person accepts it with an account "
        "of that address, or creates one from the link; the administrator then invites everyone "
        "else from MACA's Partnership pages."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the administrator's email address")
        parser.add_argument(
            "--partnership", required=True, metavar="NAME", help="the partnership's name"
        )

    def handle(self, *args, email, partnership, **options):
        chosen = partnership_required(partnership, if_missing=" Add it at /admin/ first.")
        try:
            sent = partnership_administrator_invite(partnership=chosen, email=email)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if sent:
            self.stdout.write(
                f"Invited {email.strip().lower()} to administer '{chosen.name}': the email "
                + _how_it_goes()
            )
        else:
            self.stdout.write(
                f"{email.strip().lower()} was invited to administer '{chosen.name}' moments "
                "ago: that email stands, and no second one was sent."
            )


def _how_it_goes() -> str:
    """How the invitation email leaves: now, or from the worker where one runs the tasks."""
    if settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend"):
        return "was sent now, unless the mail server refused it (retry_emails sends it again)."
    return "is queued: the background worker (manage.py db_worker) sends it."
