"""Lists that grow without bound come a page at a time, each page with the list's filters."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import Action
from cases.selectors import HOME_PAGE_SIZE
from maca.models import AccessLogEntry

from .factories import ActionFactory, AuditFactory, CaseFactory

pytestmark = pytest.mark.django_db


def next_link(html: str) -> str:
    """The address of the "Next" page link."""
    match = re.search(r'href="\?([^"]*)">Next</a>', html)
    assert match, "no Next link"
    return "?" + match.group(1).replace("&amp;", "&")


def test_home_lists_the_audits_a_page_at_a_time_newest_first(client, audit, chair):
    older = [
        AuditFactory(
            partnership=audit.partnership,
            theme__name=f"Theme {n:02d}",
            status="closed",
            meeting_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=n),
        )
        for n in range(HOME_PAGE_SIZE + 4)
    ]
    CaseFactory(audit=older[0])
    client.force_login(chair)

    first = client.get(reverse("home")).content.decode()
    assert "page 1 of 2" in first
    # The audit being set up (no meeting date yet) first, then the newest meeting first.
    assert f'<a href="/audits/{audit.pk}/">Neglect and housing</a>' in first
    assert (
        first.index("Neglect and housing</a>") < first.index("Theme 28") < first.index("Theme 27")
    )
    assert "Theme 05" in first and "Theme 04" not in first
    second = client.get(reverse("home") + next_link(first)).content.decode()
    assert "page 2 of 2" in second
    assert "Theme 04" in second and "Theme 00" in second and "Theme 05" not in second
    assert "Next</a>" not in second
    assert 'href="?page=1">Previous</a>' in second
    # Past the end, the last page, as anywhere else: even a number no database could count to.
    for beyond in ("3", "99999", "0", "-1", str(2**63 // HOME_PAGE_SIZE), "9" * 25):
        assert "page 2 of 2" in client.get(reverse("home"), {"page": beyond}).content.decode()
    for nonsense in ("x", "1.5", ""):
        assert "page 1 of 2" in client.get(reverse("home"), {"page": nonsense}).content.decode()


def test_home_runs_the_same_queries_however_many_audits(client, audit, chair):
    client.force_login(chair)
    client.get(reverse("home"))  # the session's first request refreshes its expiry
    counts = []
    for more in (1, HOME_PAGE_SIZE + 5):
        for _ in range(more):
            ActionFactory(audit=AuditFactory(partnership=audit.partnership), due_date=None)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("home")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_access_log_keeps_its_filters_on_the_next_page(client, audit, chair):
    looks = [
        AccessLogEntry(
            user=chair,
            username=chair.username,
            action=action,
            what="audit_detail",
            path=f"/audits/{audit.pk}/",
            audit_id=audit.pk,
            partnership_id=audit.partnership_id,
        )
        for n in range(60)
        for action in ("view", "download")
    ]
    AccessLogEntry.objects.bulk_create(looks)
    client.force_login(chair)

    first = client.get(reverse("access_log"), {"action": "download"}).content.decode()
    assert "60 entries" in first
    following = next_link(first)
    assert "action=download" in following and "page=2" in following
    second = client.get(reverse("access_log") + following).content.decode()
    assert "2 of 2" in second
    assert "<td>Downloaded</td>" in second and "<td>Viewed</td>" not in second


def test_action_plan_keeps_its_filters_on_the_next_page(client, audit, chair):
    for n in range(30):
        ActionFactory(audit=audit, status=Action.Status.IN_PROGRESS, text=f"In hand {n}.")
        ActionFactory(audit=audit, text=f"Waiting {n}.")
    client.force_login(chair)

    first = client.get(reverse("action_plan"), {"status": "in_progress"}).content.decode()
    assert "30 actions, page 1 of 2" in first
    following = next_link(first)
    assert "status=in_progress" in following and "page=2" in following
    second = client.get(reverse("action_plan") + following).content.decode()
    assert "30 actions, page 2 of 2" in second
    assert "In hand" in second and "Waiting" not in second
