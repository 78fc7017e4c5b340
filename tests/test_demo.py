"""The demo, as whoever loads it reads it on the day they load it."""

import datetime

from django.utils import timezone

from actions.management.commands.load_demo import held_by_now
from cases.models import Audit


def test_no_demo_audit_past_its_meeting_has_the_meeting_still_to_come(demo_audit):
    today = timezone.localdate()
    for audit in Audit.objects.filter(status__in=[Audit.Status.REPORTING, Audit.Status.CLOSED]):
        assert audit.meeting_date is None or audit.meeting_date < today, audit


def test_a_meeting_date_already_past_is_kept():
    past = {"status": "reporting", "meeting_date": "2020-05-01"}
    assert held_by_now(past) == past
    soon = (timezone.localdate() + datetime.timedelta(days=60)).isoformat()
    assert held_by_now({"status": "closed", "meeting_date": soon})["meeting_date"] == soon
    moved = held_by_now({"status": "reporting", "meeting_date": soon})["meeting_date"]
    assert moved == (timezone.localdate() - datetime.timedelta(weeks=3)).isoformat()
