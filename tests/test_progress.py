"""The completeness matrix and the chair's reminder button."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AgencySubmission, Audit, AuditEvent, ChronologyFile
from cases.selectors.progress import missing_by_agency, progress_matrix, returns_not_complete
from maca.models import Membership

from .conftest import member
from .factories import AgencyFactory, AgencySubmissionFactory, CaseFactory, ChronologyEntryFactory
from .spoken import names

pytestmark = pytest.mark.django_db
Role = Membership.Role


def chronology_file(case, agency):
    return ChronologyFile.objects.create(
        case=case,
        agency=agency,
        file=f"audits/{case.audit_id}/chronologies/{case.pk}-{agency.pk}.pdf",
        original_name="chronology.pdf",
        kind=ChronologyFile.Kind.PDF,
        size=10,
        sha256=f"{case.pk:032d}{agency.pk:032d}",
    )


@pytest.fixture
def setup(audit):
    """Case 1: Housing complete, Police chronology entries and a draft; Case 2: nothing."""
    audit.status = Audit.Status.SUBMISSIONS
    audit.submission_deadline = timezone.localdate() + datetime.timedelta(days=3)
    audit.save()
    housing, police = AgencyFactory(name="Housing Trust"), AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    case1 = CaseFactory(audit=audit, label="Case 1", order=0)
    case2 = CaseFactory(audit=audit, label="Case 2", order=1)
    chronology_file(case1, housing)
    AgencySubmissionFactory(case=case1, agency=housing, status=AgencySubmission.Status.SUBMITTED)
    ChronologyEntryFactory(case=case1, agency=police)
    AgencySubmissionFactory(case=case1, agency=police)
    return {"housing": housing, "police": police, "case1": case1, "case2": case2}


def test_the_matrix_states(audit, setup):
    matrix = progress_matrix(audit)
    cells = {(c.case.label, c.agency.name): c for c in matrix.cells}
    complete = cells["Case 1", "Housing Trust"]
    assert complete.chronology and complete.tool_label == "Submitted" and complete.complete
    draft = cells["Case 1", "Police"]
    assert draft.chronology and draft.tool_label == "Draft" and not draft.complete
    nothing = cells["Case 2", "Police"]
    assert not nothing.chronology and nothing.tool_label == "Not started"
    assert nothing.missing == ["chronology not uploaded", "audit tool not started"]
    assert (matrix.overall.complete, matrix.overall.total, matrix.overall.percent) == (1, 4, 25)
    assert [c.tally.percent for c in matrix.columns] == [50, 0]
    assert not any(cell.overdue for cell in matrix.cells)


def test_an_agency_not_involved_in_a_case_is_asked_nothing_for_it(client, audit, chair, setup):
    """Case 2 records Police alone as involved: Housing owes nothing for it, is not counted,
    overdue or reminded, and the page says so."""
    setup["case2"].agencies.set([setup["police"]])
    audit.submission_deadline = timezone.localdate() - datetime.timedelta(days=1)
    audit.save()
    matrix = progress_matrix(audit)
    cells = {(c.case.label, c.agency.name): c for c in matrix.cells}
    spared = cells["Case 2", "Housing Trust"]
    assert not spared.expected and not spared.overdue
    assert (matrix.overall.complete, matrix.overall.total) == (1, 3)
    assert [c.tally.total for c in matrix.columns] == [1, 2]
    assert setup["housing"].pk not in missing_by_agency(matrix)
    client.force_login(chair)
    html = client.get(reverse("progress", args=[audit.pk])).content.decode()
    assert "Not involved in this case: nothing is asked of Housing Trust." in html
    assert "33% complete (1 of 3)" in html
    case2 = reverse("case_detail", args=[audit.pk, setup["case2"].pk])
    # Nothing to open where nothing is asked or given; the agency involved keeps its links.
    assert f"{case2}agencies/{setup['housing'].pk}/tool/" not in html
    assert f"{case2}agencies/{setup['police'].pk}/tool/" in html


def test_each_agency_column_is_headed_by_its_name_alone_and_its_figure_read_once(
    client, audit, chair, setup
):
    """A screen reader says a column's header with every cell of the column: the header is the
    agency's name, and the agency's figure is a row of its own, heard once."""
    client.force_login(chair)
    html = client.get(reverse("progress", args=[audit.pk])).content.decode()
    table = html[html.index("<table") : html.index("</table>")]
    head = table[: table.index("</thead>")]
    assert re.findall(r"<th scope=\"col\">(.*?)</th>", head, re.S) == [
        "Case",
        "Housing Trust",
        "Police",
    ]
    assert "complete" not in head and "progressbar" not in head
    totals = re.search(r"<tr class=\"progress-totals\">(.*?)</tr>", table, re.S)[1]
    assert names(totals, "th") == ["All cases"]
    assert names(totals, "td") == ["50% complete (1 of 2)", "0% complete (0 of 2)"]
    assert table.count("% complete (") == 2


def test_the_page_says_each_state_in_words(client, audit, chair, setup):
    client.force_login(chair)
    response = client.get(reverse("progress", args=[audit.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for words in [
        "Chronology: document",
        "Chronology: 1 row",
        "Chronology: not given",
        "Audit tool: submitted",
        "Audit tool: draft",
        "Audit tool: not started",
        "Complete",
        "25% complete (1 of 4)",
        "50% complete (1 of 2)",
        'role="progressbar"',
        'aria-valuenow="25"',
    ]:
        assert words in html, words
    assert "Overdue" not in html
    case2, police = setup["case2"], setup["police"]
    assert reverse("tool_answer", args=[audit.pk, case2.pk, police.pk]) in html
    assert reverse("agency_chronology", args=[audit.pk, case2.pk, police.pk]) in html


def test_the_page_says_how_each_chronology_was_given_as_the_case_page_does(
    client, audit, chair, setup
):
    """A chronology is a document, rows typed or imported, or both: the matrix says which, in the
    case page's words, rather than "uploaded" for rows that were never a document."""
    police, case1, case2 = setup["police"], setup["case1"], setup["case2"]
    ChronologyEntryFactory.create_batch(11, case=case1, agency=police)
    chronology_file(case2, police)
    ChronologyEntryFactory.create_batch(2, case=case2, agency=police)
    client.force_login(chair)
    html = client.get(reverse("progress", args=[audit.pk])).content.decode()
    assert "Chronology: uploaded" not in html
    badges = re.findall(r"Chronology: [^<]+", html)
    # Case 1: Housing, Police; Case 2: Housing, Police
    assert badges == [
        "Chronology: document",
        "Chronology: 12 rows",
        "Chronology: not given",
        "Chronology: document and 2 rows",
    ]
    case_page = client.get(reverse("case_detail", args=[audit.pk, case1.pk])).content.decode()
    assert "Not uploaded" in case_page and "12 rows" in case_page  # Police's, in the same words


def test_overdue_after_the_deadline(client, audit, chair, setup):
    audit.submission_deadline = timezone.localdate() - datetime.timedelta(days=1)
    audit.save()
    client.force_login(chair)
    html = client.get(reverse("progress", args=[audit.pk])).content.decode()
    assert html.count(">Overdue<") == 3
    assert "Deadline passed" in html


def test_who_sees_the_matrix(client, audit, chair, setup, outsider):
    url = reverse("progress", args=[audit.pk])
    housing, police, case1 = setup["housing"], setup["police"], setup["case1"]

    client.force_login(member(audit, Role.COORDINATOR, agency=housing))
    html = client.get(url).content.decode()
    assert "Housing Trust" in html
    assert "Police" not in html
    assert "50% complete (1 of 2)" in html
    assert reverse("tool_answer", args=[audit.pk, case1.pk, housing.pk]) in html

    client.force_login(member(audit, Role.QA_MEMBER))
    html = client.get(url).content.decode()
    assert "Housing Trust" in html and "Police" in html
    # The QA member sees what is in, but not (before the pack is released) the work itself.
    assert reverse("tool_answer", args=[audit.pk, case1.pk, police.pk]) not in html
    assert "Email reminders" not in html

    client.force_login(chair)
    assert "Email reminders" in client.get(url).content.decode()
    for user in (member(audit, Role.VIEWER), outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_empty_states(client, audit, chair):
    client.force_login(chair)
    html = client.get(reverse("progress", args=[audit.pk])).content.decode()
    assert "No cases have been selected for this audit yet." in html
    CaseFactory(audit=audit)
    html = client.get(reverse("progress", args=[audit.pk])).content.decode()
    assert "No agencies are taking part in this audit yet." in html


def test_what_is_still_to_come_names_each_agency_and_its_cases_up_to_six(audit):
    cases = [CaseFactory(audit=audit, label=f"Case {n}", order=n) for n in (1, 2)]
    agencies = [AgencyFactory(name=f"Agency {letter}") for letter in "ABCDEFGH"]
    audit.agencies.add(*agencies)
    for agency in agencies[1:]:
        ChronologyEntryFactory(case=cases[0], agency=agency)
        AgencySubmissionFactory(case=cases[0], agency=agency, status="submitted")
    assert returns_not_complete(progress_matrix(audit)) == (
        "9 of 16 agency returns (a chronology and an audit tool for each case) are not complete "
        "yet: Agency A (Case 1, Case 2); Agency B (Case 2); Agency C (Case 2); Agency D (Case 2); "
        "Agency E (Case 2); Agency F (Case 2); 2 more agencies."
    )
    for agency in agencies:
        for case in cases:
            if agency == agencies[0] or case == cases[1]:
                ChronologyEntryFactory(case=case, agency=agency)
                AgencySubmissionFactory(case=case, agency=agency, status="submitted")
    assert returns_not_complete(progress_matrix(audit)) is None


def _grid(audit, cases, agencies):
    audit.agencies.add(*[AgencyFactory() for _ in range(agencies)])
    for _ in range(cases):
        case = CaseFactory(audit=audit)
        for agency in audit.agencies.all():
            ChronologyEntryFactory(case=case, agency=agency)
            AgencySubmissionFactory(case=case, agency=agency)


def _queries(client, audit):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("progress", args=[audit.pk])).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow(client, audit, chair):
    client.force_login(chair)
    _grid(audit, 2, 2)
    small = _queries(client, audit)
    _grid(audit, 8, 3)  # 10 cases × 5 agencies
    assert audit.cases.count() == 10 and audit.agencies.count() == 5
    assert _queries(client, audit) == small


# Reminders from the page ---------------------------------------------------------------------


def test_remind_emails_only_coordinators_with_something_missing(
    client, audit, chair, setup, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://maca.example.org"
    housing, police = setup["housing"], setup["police"]
    # Housing is complete once Case 2 is in too.
    chronology_file(setup["case2"], housing)
    AgencySubmissionFactory(
        case=setup["case2"], agency=housing, status=AgencySubmission.Status.SUBMITTED
    )
    member(audit, Role.COORDINATOR, agency=housing, email="housing@example.org")
    member(audit, Role.COORDINATOR, agency=police, email="police@example.org")
    member(audit, Role.QA_MEMBER, email="qa@example.org")

    client.force_login(chair)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("progress_remind", args=[audit.pk]), follow=True)
    assert "Reminders sent to 1 co-ordinator." in response.content.decode()
    assert [mail.to for mail in mailoutbox] == [["police@example.org"]]
    body = mailoutbox[0].body
    assert "Police" in body
    assert "Case 1: audit tool draft" in body
    assert "Case 2: chronology not uploaded, audit tool not started" in body
    assert f"{audit.submission_deadline:%-d %B %Y}" in body
    assert f"https://maca.example.org/audits/{audit.pk}/progress/" in body
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.REMINDER)
    assert event.actor == chair and event.detail["recipients"] == 1


def test_reminders_go_out_again_only_an_hour_later_and_the_page_says_when_they_went(
    client, audit, chair, setup, mailoutbox, django_capture_on_commit_callbacks
):
    """A second deliberate press (or a second chair) a moment later would email everyone the
    same reminder again: refused, saying when they went, and sent again an hour on."""
    member(audit, Role.COORDINATOR, agency=setup["police"], email="police@example.org")
    client.force_login(chair)
    remind, progress = (reverse(name, args=[audit.pk]) for name in ("progress_remind", "progress"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(remind)
    sent = timezone.localtime(AuditEvent.objects.get(kind=AuditEvent.Kind.REMINDER).created_at)
    page = client.get(progress).content.decode()
    again = sent + datetime.timedelta(hours=1)
    assert f"Reminders last sent on {sent:%-d %B %Y} at {sent:%H:%M} by" in page
    assert f"to 1 co-ordinator. They can be sent again from {again:%H:%M}." in page
    assert "Email reminders to co-ordinators" not in page  # not offered until then
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(remind, follow=True).content.decode()
    assert f"Reminders went out at {sent:%H:%M}, less than an hour ago." in page
    assert f"They can be sent again from {again:%H:%M}." in page
    assert len(mailoutbox) == 1
    AuditEvent.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=61))
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(remind, follow=True).content.decode()
    assert "Reminders sent to 1 co-ordinator." in page and len(mailoutbox) == 2
    assert "Email reminders to co-ordinators" not in page  # an hour from this one
    assert "They can be sent again from" in page
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REMINDER).count() == 2


def test_agencies_with_nobody_to_remind_are_named_on_progress_members_and_reminders(
    client, audit, chair, setup, mailoutbox, django_capture_on_commit_callbacks
):
    housing, police = setup["housing"], setup["police"]
    member(audit, Role.COORDINATOR, agency=housing, email="housing@example.org")
    member(audit, Role.COORDINATOR, agency=police, email="")  # no address: nobody to reach
    client.force_login(chair)
    for url in (reverse("progress", args=[audit.pk]), reverse("audit_members", args=[audit.pk])):
        page = client.get(url).content.decode()
        assert "Nobody to remind:</strong> Police takes part with no co-ordinator" in page
        assert "Nobody to remind:</strong> Housing" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("progress_remind", args=[audit.pk]), follow=True)
    body = response.content.decode()
    assert "Reminders sent to 1 co-ordinator." in body
    assert "Nobody to remind at Police: it has something missing" in body
    assert [mail.to for mail in mailoutbox] == [["housing@example.org"]]


def test_the_reminder_button_is_offered_only_when_a_reminder_would_reach_someone(
    client, audit, chair, setup
):
    client.force_login(chair)
    url = reverse("progress", args=[audit.pk])
    button = "Email reminders to co-ordinators with something missing"
    page = client.get(url).content.decode()  # something missing, but no co-ordinator anywhere
    assert button not in page
    assert "No reminder to send: what is missing is with agencies nobody can be reminded at" in page
    member(audit, Role.COORDINATOR, agency=setup["police"], email="police@example.org")
    assert button in client.get(url).content.decode()


def test_remind_when_nothing_is_missing(
    client, audit, chair, mailoutbox, django_capture_on_commit_callbacks
):
    audit.status = "submissions"
    audit.save()
    client.force_login(chair)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("progress_remind", args=[audit.pk]), follow=True)
    assert "Nothing is missing" in response.content.decode()
    assert mailoutbox == []
    assert not AuditEvent.objects.exists()


def test_only_the_chair_sends_reminders(client, audit, setup, outsider, mailoutbox):
    url = reverse("progress_remind", args=[audit.pk])
    for role, agency in [(Role.QA_MEMBER, None), (Role.COORDINATOR, setup["police"])]:
        client.force_login(member(audit, role, agency=agency))
        assert client.post(url).status_code == 403
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    assert mailoutbox == []


def test_no_reminders_once_submissions_are_over(client, audit, chair, mailoutbox):
    audit.status = "closed"
    audit.save()
    client.force_login(chair)
    response = client.post(reverse("progress_remind", args=[audit.pk]), follow=True)
    assert "Reminders go out only while the audit takes submissions." in response.content.decode()
    assert mailoutbox == []


def test_a_coordinator_sees_which_cases_ask_nothing_of_their_agency(client, audit, setup):
    setup["case2"].agencies.set([setup["police"]])
    client.force_login(member(audit, Role.COORDINATOR, agency=setup["housing"]))
    html = client.get(reverse("audit_detail", args=[audit.pk])).content.decode()
    assert html.count("not involved: nothing is asked") == 1


def test_a_coordinator_sees_what_is_in_and_what_is_left_on_the_audit_page(client, audit, setup):
    client.force_login(member(audit, Role.COORDINATOR, agency=setup["police"]))
    url = reverse("audit_detail", args=[audit.pk])
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    mine = html[html.index("Your agency's submissions") :]
    case1, case2 = mine.split("<li>Case 2")[:2]
    assert "1 row</span>" in case1 and ">Draft</span>" in case1
    assert ">Not given</span>" in case2 and ">Not started</span>" in case2
    # Each case's links say which case they open, not just "chronology" again and again.
    heard = names(mine)
    for label in ("Case 1", "Case 2"):
        assert f"chronology for {label}" in heard and f"audit tool for {label}" in heard
    assert "chronology" not in heard and "audit tool" not in heard
    # A constant number of queries, however many cases: and within the pages' budget.
    CaseFactory(audit=audit, label="Case 3", order=2)
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more) == len(queries) <= 20
    assert "This audit is closed: nothing more is asked" not in html
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.CLOSED)
    closed = client.get(url).content.decode()
    assert "This audit is closed: nothing more is asked of your agency." in closed


def test_after_the_pack_is_released_a_coordinator_sees_every_agency_and_the_words_say_so(
    client, audit, setup
):
    """The released pack lets a co-ordinator read every agency's returns, so the matrix shows
    them all; its heading, figure and words then speak of the whole audit, not their agency."""
    url = reverse("progress", args=[audit.pk])
    housing, police, case1 = setup["housing"], setup["police"], setup["case1"]
    client.force_login(member(audit, Role.COORDINATOR, agency=housing))
    audit.pack_released_at = timezone.now()
    audit.save()
    html = client.get(url).content.decode()
    assert "Police" in html
    assert reverse("tool_answer", args=[audit.pk, case1.pk, police.pk]) in html
    # Housing 1 of 2, Police 0 of 2: the figure is the whole audit's, and is called so.
    assert "25% complete (1 of 4)" in html
    assert "Whole audit" in html
    assert "Your agency's cases" not in html
    assert "You see the agencies you co-ordinate for" not in html
    assert "released the meeting pack" in html
