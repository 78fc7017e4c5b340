"""Pages asked for again, unchanged, come from memory; any change shows at once."""

import datetime
import time

import pytest
from django.contrib import messages
from django.core.cache import caches
from django.core.cache.backends import locmem
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.models import Audit, ChronologyEntry
from findings.models import Finding
from maca import pagecache
from maca.models import AccessLogEntry, DataChange, Membership

from .conftest import member
from .factories import AgencyFactory, CaseFactory, FindingFactory

pytestmark = pytest.mark.django_db
Role = Membership.Role


def queries_for(client, url, **options):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **options)
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
    # Answered once the session is read: then the data version, and the access log entry.
    assert served <= 3 < built
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


@pytest.fixture
def other_client():
    from django.test import Client

    return Client()


def test_removed_member_is_not_served_the_audit_while_the_removal_request_runs(
    client, other_client, audit, chair, monkeypatch
):
    """The version moves with the removal, in its transaction, not when the chair's request
    ends. The nested request below stands in for another worker in between."""
    qa = member(audit, Role.QA_MEMBER, first_name="Quinn")
    membership = Membership.objects.get(user=qa)
    url = reverse("audit_detail", args=[audit.pk])
    sign_in(client, chair)
    sign_in(other_client, qa)  # (signing in is a data change: last_login)
    assert other_client.get(url).status_code == 200  # kept in memory for Quinn's session

    seen = []
    original = messages.success

    def after_the_removal_is_saved(request, message, *args, **kwargs):
        # The membership is gone in the database by now (member_remove has returned).
        assert not Membership.objects.filter(pk=membership.pk).exists()
        seen.append(other_client.get(url).status_code)
        return original(request, message, *args, **kwargs)

    monkeypatch.setattr(messages, "success", after_the_removal_is_saved)
    response = client.post(reverse("audit_member_remove", args=[audit.pk, membership.pk]))
    assert response.status_code == 302
    assert other_client.get(url).status_code == 404  # once the chair's request has ended
    assert seen == [404], "the removed member was served the audit from memory"


def test_one_session_cannot_make_the_worker_hold_hundreds_of_copies_of_a_large_page(
    client, audit, chair
):
    """Made-up query strings do not make copies, and large pages are not kept."""
    case = CaseFactory(audit=audit, label="Case 1")
    for n in range(40):
        FindingFactory(case=case, text=f"Finding {n}: " + "x" * 2500)
    sign_in(client, chair)
    url = reverse("briefing_html", args=[audit.pk])
    page_size = len(client.get(url).content)
    assert page_size > 100_000
    for n in range(caches["pages"]._max_entries):
        assert client.get(f"{url}?n={n}").status_code == 200
    held = sum(len(value) for value in caches["pages"]._cache.values())  # pickled pages
    assert held < 10 * page_size, f"{held / 1e6:.0f} MB held for one session's one page"


@pytest.mark.django_db(transaction=True)
def test_removed_member_is_refused_by_another_worker_during_the_removal_request(
    audit, chair, monkeypatch
):
    """As above, with real concurrency: the chair's request runs in its own thread and
    database connection, paused just after the removal has committed; the removed member's
    request comes in on another connection meanwhile."""
    import threading

    from django.db import connection
    from django.test import Client

    if connection.vendor == "sqlite":
        pytest.skip("needs a server database (scripts/with-postgres)")
    qa = member(audit, Role.QA_MEMBER)
    membership = Membership.objects.get(user=qa)
    url = reverse("audit_detail", args=[audit.pk])
    chairs, quinns = Client(), Client()
    sign_in(chairs, chair)
    sign_in(quinns, qa)
    assert quinns.get(url).status_code == 200

    committed, go_on = threading.Event(), threading.Event()
    original = messages.success

    def pause(request, message, *args, **kwargs):
        committed.set()
        go_on.wait(10)
        return original(request, message, *args, **kwargs)

    monkeypatch.setattr(messages, "success", pause)
    results = []

    def chairs_request():
        try:
            results.append(
                chairs.post(reverse("audit_member_remove", args=[audit.pk, membership.pk]))
            )
        finally:
            connection.close()

    worker = threading.Thread(target=chairs_request)
    worker.start()
    try:
        assert committed.wait(10)
        assert not Membership.objects.filter(pk=membership.pk).exists()  # committed
        status = quinns.get(url).status_code
    finally:
        go_on.set()
        worker.join(10)
    assert results and results[0].status_code == 302
    assert status == 404, "the removed member was served the audit from memory"


def test_a_process_with_the_cache_off_still_records_its_changes(client, audit, chair, settings):
    """A command, or one server, run with PAGE_CACHE_SECONDS=0 still records its changes for
    the workers that keep pages."""
    sign_in(client, chair)
    url = reverse("audit_detail", args=[audit.pk])
    assert client.get(url).status_code == 200
    settings.PAGE_CACHE_SECONDS = 0  # the other process
    Membership.objects.filter(user=chair).delete()
    settings.PAGE_CACHE_SECONDS = 60  # this worker
    assert client.get(url).status_code == 404


def test_signing_out_and_in_as_another_user_in_the_same_browser_gives_their_page(
    client, audit, chair
):
    qa = member(audit, Role.QA_MEMBER, first_name="Quinn")
    url = reverse("audit_detail", args=[audit.pk])
    sign_in(client, chair)
    chairs_page = client.get(url).content
    client.post(reverse("logout"))
    assert client.get(url).status_code == 302
    client.get(reverse("login"))
    signed_in = client.post(
        reverse("login"), {"username": qa.username, "password": "correct-horse-battery-staple"}
    )
    assert signed_in.status_code == 302
    assert client.get(url).content != chairs_page


def test_a_password_changed_outside_a_request_signs_the_session_out_at_once(client, audit, chair):
    url = reverse("audit_detail", args=[audit.pk])
    sign_in(client, chair)
    client.get(url)
    chair.set_password("another-long-passphrase")
    chair.save()  # as `manage.py changepassword` does
    assert client.get(url).status_code == 302


def test_a_user_deactivated_outside_a_request_is_signed_out_at_once(client, audit, chair):
    url = reverse("audit_detail", args=[audit.pk])
    sign_in(client, chair)
    client.get(url)
    chair.is_active = False
    chair.save(update_fields=["is_active"])
    assert client.get(url).status_code == 302


def test_a_removed_authenticator_app_is_asked_for_again_at_once(client, audit, chair, settings):
    settings.MFA_ENFORCED = True
    device = TOTPDevice.objects.create(user=chair, name="Authenticator app", confirmed=True)
    client.force_login(chair)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    client.get(reverse("home"))
    url = reverse("audit_detail", args=[audit.pk])
    assert client.get(url).status_code == 200
    device.delete()  # as an administrator's shell would
    assert client.get(url).status_code == 302


def test_a_change_typed_into_the_database_shows_once_the_kept_page_expires(
    client, audit, chair, settings, monkeypatch
):
    url = reverse("audit_detail", args=[audit.pk])
    sign_in(client, chair)
    client.get(url)
    type(chair).objects.filter(pk=chair.pk).update(is_active=False)  # no MACA code sees this
    later = time.time() + settings.PAGE_CACHE_SECONDS + 1
    monkeypatch.setattr(locmem.time, "time", lambda: later)
    assert client.get(url).status_code == 302


def test_an_agency_leaving_the_audit_ends_its_coordinators_access_at_once(client, audit):
    from .factories import AgencyFactory

    agency = AgencyFactory(name="Housing")
    audit.agencies.add(agency)
    coordinator = member(audit, Role.COORDINATOR, agency=agency)
    url = reverse("audit_detail", args=[audit.pk])
    sign_in(client, coordinator)
    assert client.get(url).status_code == 200
    audit.agencies.remove(agency)
    assert client.get(url).status_code == 404


def test_htmx_and_head_requests_are_never_answered_from_memory(client, audit, chair):
    url = reverse("audit_detail", args=[audit.pk])
    sign_in(client, chair)
    client.get(url, headers={"HX-Request": "true"})
    client.head(url)
    assert not caches["pages"]._cache
    client.get(url)
    assert len(caches["pages"]._cache) == 1
    _, served = queries_for(client, url)
    _, built_for_htmx = queries_for(client, url, headers={"HX-Request": "true"})
    assert built_for_htmx > served


def test_a_page_larger_than_the_limit_is_built_every_time(client, audit, chair, monkeypatch):
    monkeypatch.setattr(pagecache, "LARGEST_KEPT_PAGE", 1000)
    sign_in(client, chair)
    caches["pages"].clear()
    client.get(reverse("audit_detail", args=[audit.pk]))
    assert not caches["pages"]._cache


def test_the_plans_filters_are_kept_apart_and_other_queries_not_kept(client, audit, chair):
    sign_in(client, chair)
    caches["pages"].clear()
    plan = reverse("action_plan")
    client.get(f"{plan}?status=open&page=1")
    assert len(caches["pages"]._cache) == 1
    client.get(f"{plan}?status=open&utm_source=mail")
    assert len(caches["pages"]._cache) == 1


def test_a_delete_outside_a_request_records_one_change(audit):
    """As enforce_retention deletes: one change row for the transaction, not one a row."""
    housing = AgencyFactory()
    case = CaseFactory(audit=audit)
    ChronologyEntry.objects.bulk_create(
        [
            ChronologyEntry(case=case, agency=housing, date=datetime.date(2025, 1, 1), event="x")
            for _ in range(120)
        ]
    )
    before = DataChange.objects.order_by("-pk").values_list("pk", flat=True).first()
    with CaptureQueriesContext(connection) as captured:
        ChronologyEntry.objects.filter(case=case).delete()
    after = DataChange.objects.order_by("-pk").values_list("pk", flat=True).first()
    inserts = [q for q in captured if q["sql"].startswith('INSERT INTO "maca_datachange"')]
    assert len(inserts) <= 2, f"{len(inserts)} change rows ({after - before} ids) for one delete"


def test_a_kept_page_is_not_served_to_a_host_the_site_does_not_answer_to(client, audit, chair):
    url = reverse("audit_detail", args=[audit.pk])
    sign_in(client, chair)
    caches["pages"].clear()
    # Not kept yet: refused, as Django refuses every request to a host not in ALLOWED_HOSTS.
    assert client.get(url, headers={"host": "attacker.example"}).status_code == 400
    assert client.get(url).status_code == 200  # now kept
    assert client.get(url, headers={"host": "attacker.example"}).status_code == 400


def test_empty_query_separators_make_no_copies_of_a_page(client, audit, chair):
    url = reverse("audit_detail", args=[audit.pk])
    sign_in(client, chair)
    caches["pages"].clear()
    for n in range(20):
        assert client.get(url + "?" + "&" * n).status_code == 200
    assert len(caches["pages"]._cache) <= 2


def test_one_session_cannot_fill_the_worker_with_spellings_or_filters_of_one_page(
    client, audit, chair
):
    plan = reverse("action_plan")
    sign_in(client, chair)
    caches["pages"].clear()
    for n in range(1, 61):
        assert client.get(f"{plan}?page={'0' * n}1").status_code == 200
    for n in range(1, 21):
        assert client.get(f"/audits/{'0' * n}{audit.pk}/").status_code == 200
    # Other spellings of a path are built every time; a session keeps at most PAGES_PER_SESSION.
    assert len(caches["pages"]._cache) <= pagecache.PAGES_PER_SESSION


def test_my_agencys_actions_page_is_still_kept(client, audit, chair):
    url = reverse("my_actions")
    sign_in(client, chair)
    _, built = queries_for(client, url)
    _, again = queries_for(client, url)
    assert again < built
