"""Pages asked for again, unchanged, come from memory; any change shows at once."""

import datetime

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Audit
from findings.models import Finding
from maca import pagecache
from maca.models import AccessLogEntry, DataChange, Membership

from .conftest import member
from .factories import AgencyFactory, CaseFactory, FindingFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, len(captured)


def sign_in(client, user):
    client.force_login(user)
    client.get(reverse("home"))  # a page with a form: the browser now has its CSRF cookie


@pytest.fixture
def case(audit):
    return CaseFactory(audit=audit, label="Case 1")


@pytest.fixture
def briefing(client, audit, chair, case):
    """The chair's session, with the briefing's page kept in memory."""
    sign_in(client, chair)
    url = reverse("briefing_html", args=[audit.pk])
    assert client.get(url).status_code == 200
    return url


def test_a_page_asked_for_again_is_served_from_memory_and_still_logged(client, audit, chair):
    sign_in(client, chair)
    url = reverse("audit_detail", args=[audit.pk])
    first, built = queries_for(client, url)
    again, served = queries_for(client, url)
    assert again.status_code == 200
    assert again.content == first.content
    # Session, user, two-step device, data version and the access log entry.
    assert served <= 6 < built
    looks = AccessLogEntry.objects.filter(user=chair, what="audit_detail")
    assert looks.count() == 2
    assert set(looks.values_list("audit_id", "partnership_id")) == {
        (audit.pk, audit.partnership_id)
    }
    assert again["Content-Security-Policy"] and again["X-Frame-Options"] == "DENY"


def test_a_change_made_through_a_form_shows_at_once(client, audit, briefing, case):
    response = client.post(
        reverse("item_add", args=[audit.pk, "finding"]) + f"?case={case.pk}",
        {"new-finding-text": "Housing was not invited to the strategy meeting."},
    )
    assert response.status_code == 302
    assert "Housing was not invited" in client.get(briefing).content.decode()


def test_a_change_made_outside_a_request_shows_at_once(client, briefing, case):
    """As a management command or the shell would make it."""
    FindingFactory(case=case, text="Escalation was slow.")
    assert "Escalation was slow." in client.get(briefing).content.decode()
    Finding.objects.filter(case=case).delete()
    assert "Escalation was slow." not in client.get(briefing).content.decode()


def test_a_write_without_model_signals_in_a_request_is_noticed(audit):
    """QuerySet.update() sends no signal: the request's database writes are watched instead."""

    def view(request):
        Audit.objects.filter(pk=audit.pk).update(title="Renamed")
        return HttpResponse()

    def read_only_view(request):
        list(Audit.objects.all())
        AccessLogEntry.objects.create(username="x", action="view", what="x", path="/")
        return HttpResponse()

    before = pagecache.data_version()
    pagecache.DataChangeMiddleware(read_only_view)(RequestFactory().get("/"))
    assert pagecache.data_version() == before  # looking (and logging the look) changes nothing
    pagecache.DataChangeMiddleware(view)(RequestFactory().post("/"))
    assert pagecache.data_version() != before


def test_losing_a_membership_takes_effect_at_once(client, audit, chair):
    sign_in(client, chair)
    url = reverse("audit_detail", args=[audit.pk])
    client.get(url)
    assert client.get(url).status_code == 200
    Membership.objects.filter(user=chair).delete()
    assert client.get(url).status_code == 404


def test_each_session_gets_its_own_page(client, audit, chair):
    agency = AgencyFactory(name="Housing")
    audit.agencies.add(agency)
    coordinator = member(audit, Role.COORDINATOR, agency=agency, first_name="Cora")
    url = reverse("audit_detail", args=[audit.pk])
    sign_in(client, chair)
    chairs_page = client.get(url).content.decode()
    sign_in(client, coordinator)
    coordinators_page = client.get(url).content.decode()
    assert coordinators_page != chairs_page
    assert "Cora" in coordinators_page and "Cora" not in chairs_page


def test_a_message_after_a_form_is_shown_once_and_not_kept(client, audit, chair):
    sign_in(client, chair)
    url = reverse("audit_detail", args=[audit.pk])
    client.get(url)
    # Refused, so nothing changes: the next page must still carry the reason.
    client.post(reverse("audit_stage", args=[audit.pk]))
    assert "Add at least one agency taking part" in client.get(url).content.decode()
    assert "Add at least one agency taking part" not in client.get(url).content.decode()


def test_a_new_day_builds_the_page_again(client, audit, chair, monkeypatch):
    sign_in(client, chair)
    url = reverse("audit_detail", args=[audit.pk])
    client.get(url)
    _, served = queries_for(client, url)
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    monkeypatch.setattr(pagecache.timezone, "localdate", lambda: tomorrow)
    _, built = queries_for(client, url)
    assert built > served


def test_turned_off_every_page_is_built(client, audit, chair, settings):
    settings.PAGE_CACHE_SECONDS = 0
    sign_in(client, chair)
    url = reverse("audit_detail", args=[audit.pk])
    client.get(url)
    _, first = queries_for(client, url)
    _, second = queries_for(client, url)
    assert first == second > 6


def test_data_versions_never_come_back_and_old_changes_are_deleted():
    seen = {pagecache.data_version()}
    for _ in range(2 * pagecache.PRUNE_EVERY + 5):
        pagecache.note_data_change()
        version = pagecache.data_version()
        assert version not in seen
        seen.add(version)
    # At most what is kept at each pruning, and what came since the last one.
    assert DataChange.objects.count() <= pagecache.KEEP_CHANGES + pagecache.PRUNE_EVERY + 1


@pytest.mark.parametrize(
    "sql, table",
    [
        ('INSERT INTO "findings_finding" ("text") VALUES (%s)', "findings_finding"),
        (
            'INSERT OR IGNORE INTO "cases_case_agencies" ("case_id") VALUES (%s)',
            "cases_case_agencies",
        ),
        ('UPDATE "cases_audit" SET "title" = %s', "cases_audit"),
        ('DELETE FROM "findings_tag" WHERE "id" IN (%s)', "findings_tag"),
        ('SELECT "id" FROM "cases_audit" FOR UPDATE', None),
    ],
)
def test_every_kind_of_write_statement_is_recognised(sql, table):
    written = pagecache.WRITE_STATEMENT.match(sql)
    assert (written.group(1) if written else None) == table


def test_a_plan_served_from_memory_is_filed_under_the_partnership(client, audit, chair):
    sign_in(client, chair)
    url = reverse("action_plan")
    client.get(url)
    _, served = queries_for(client, url)
    assert served <= 6
    looks = AccessLogEntry.objects.filter(user=chair, what="action_plan")
    assert (
        list(looks.values_list("audit_id", "partnership_id")) == [(None, audit.partnership_id)] * 2
    )
