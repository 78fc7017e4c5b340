"""The confidential case pack: who reads it when, what it holds per case, what it never holds."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    AgencySubmission,
    Audit,
    ChronologyEntry,
    Grade,
    LocalReference,
    NominationIdentity,
    ToolAnswer,
)
from cases.selectors.chronology import integrated_chronology
from findings.casepack import case_pack_context
from findings.models import BriefingVersion
from maca.models import Membership

from .conftest import member, pdf_text
from .factories import (
    AgencyFactory,
    AgencySubmissionFactory,
    CaseFactory,
    ChronologyEntryFactory,
    FindingFactory,
    NominationFactory,
    StrengthFactory,
    ToolQuestionFactory,
    ToolSectionFactory,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role
SUBMITTED = AgencySubmission.Status.SUBMITTED
CONFIDENTIAL = "CONFIDENTIAL — meeting members only"
CHILD_NAME = "Tallulah Featherstonehaugh"
REFERENCE = "LCS-998812"


def pack_url(audit):
    return reverse("case_pack", args=[audit.pk])


def pdf_url(audit):
    return reverse("case_pack_pdf", args=[audit.pk])


def release(audit):
    audit.pack_released_at = timezone.now()
    audit.save()


@pytest.fixture
def agencies(audit):
    housing = AgencyFactory(name="Housing Trust")
    police = AgencyFactory(name="Police")
    social_care = AgencyFactory(name="Children's Social Care")
    audit.agencies.add(housing, police, social_care)
    return housing, police, social_care


@pytest.fixture
def pack_audit(audit, agencies):
    """An audit at its meeting with two cases: Case 1 with everything, Case 2 with nothing yet."""
    housing, police, _social_care = agencies
    audit.status = Audit.Status.MEETING
    audit.protective_marking = "OFFICIAL-SENSITIVE"
    audit.meeting_date = datetime.date(2026, 11, 23)
    audit.save()
    case1 = CaseFactory(audit=audit, label="Case 1", order=1)
    CaseFactory(audit=audit, label="Case 2", order=2)
    case1.agencies.add(housing, police)

    nomination = NominationFactory(audit=audit, label="Case 1", case=case1)
    identity = NominationIdentity.objects.create(
        nomination=nomination, child_name=CHILD_NAME, date_of_birth=datetime.date(2015, 3, 14)
    )
    LocalReference.objects.create(identity=identity, agency=housing, reference=REFERENCE)

    StrengthFactory(case=case1, agency=housing, text="Tenancy officer spotted the cold flat.")
    FindingFactory(case=case1, agency=police, text="Welfare check was not shared with school.")
    FindingFactory(case=case1, text="No one owned the plan after the move.")

    question = ToolQuestionFactory(
        section=ToolSectionFactory(audit=audit, title="Voice of the child"),
        text="Was the child seen alone?",
    )
    submitted = AgencySubmissionFactory(
        case=case1, agency=housing, status=SUBMITTED, submitted_at=timezone.now()
    )
    ToolAnswer.objects.create(submission=submitted, question=question, grade=Grade.GOOD)
    draft = AgencySubmissionFactory(case=case1, agency=police)
    ToolAnswer.objects.create(submission=draft, question=question, grade=Grade.INADEQUATE)

    ChronologyEntryFactory(
        case=case1,
        agency=police,
        date=datetime.date(2025, 2, 3),
        event="Attended after a neighbour's call about shouting.",
        impact=ChronologyEntry.Impact.NEGATIVE,
    )
    ChronologyEntryFactory(
        case=case1,
        agency=housing,
        date=datetime.date(2025, 1, 1),
        date_precision=ChronologyEntry.Precision.MONTH,
        event="Rent arrears letter sent.",
        action_taken="Referred to the money advice service.",
    )
    return audit


# Access ---------------------------------------------------------------------------------------


def _status(client, user, url):
    client.force_login(user)
    return client.get(url).status_code


def test_before_release_only_the_chair_reads_the_case_pack(
    client, pack_audit, agencies, chair, outsider
):
    qa = member(pack_audit, Role.QA_MEMBER)
    coordinator = member(pack_audit, Role.COORDINATOR, agency=agencies[0])
    viewer = member(pack_audit, Role.VIEWER)
    assert _status(client, chair, pack_url(pack_audit)) == 200
    for url in (pack_url(pack_audit), pdf_url(pack_audit)):
        assert _status(client, qa, url) == 403
        assert _status(client, coordinator, url) == 403
        assert _status(client, viewer, url) == 404
        assert _status(client, outsider, url) == 404


def test_after_release_members_read_it_but_viewers_and_outsiders_never_do(
    client, pack_audit, agencies, chair, outsider
):
    release(pack_audit)
    qa = member(pack_audit, Role.QA_MEMBER)
    coordinator = member(pack_audit, Role.COORDINATOR, agency=agencies[1])
    not_taking_part = member(pack_audit, Role.COORDINATOR, agency=AgencyFactory(name="Dentist"))
    viewer = member(pack_audit, Role.VIEWER)
    for user in (chair, qa, coordinator):
        client.force_login(user)
        response = client.get(pack_url(pack_audit))
        assert response.status_code == 200
        assert "Not released" not in response.content.decode()
    for user in (viewer, outsider, not_taking_part):
        assert _status(client, user, pack_url(pack_audit)) == 404
        assert _status(client, user, pdf_url(pack_audit)) == 404

    # Once a briefing is published the viewer can see the audit, yet never the case pack.
    BriefingVersion.objects.create(
        audit=pack_audit,
        number=1,
        published_at=timezone.now(),
        html="<p>Published.</p>",
        pdf=b"%PDF-1.7",
        sha256="0" * 64,
    )
    assert _status(client, viewer, reverse("briefing_versions", args=[pack_audit.pk])) == 200
    assert _status(client, viewer, pack_url(pack_audit)) == 403
    assert _status(client, viewer, pdf_url(pack_audit)) == 403
    assert _status(client, outsider, pack_url(pack_audit)) == 404


def test_anonymous_users_are_sent_to_log_in(client, pack_audit):
    for url in (pack_url(pack_audit), pdf_url(pack_audit)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_an_audit_that_does_not_exist_is_not_found(client, chair):
    client.force_login(chair)
    assert client.get(reverse("case_pack", args=[999999])).status_code == 404
    assert client.get(reverse("case_pack_pdf", args=[999999])).status_code == 404


# Content --------------------------------------------------------------------------------------


def _section(html, label, next_label=None):
    start = html.index(f">{label}</h2>")
    end = html.index(f">{next_label}</h2>") if next_label else len(html)
    return html[start:end]


def test_the_page_shows_each_case_with_what_is_there_and_says_what_is_missing(
    client, pack_audit, chair
):
    client.force_login(chair)
    response = client.get(pack_url(pack_audit))
    assert response["Cache-Control"] == "private, no-store"
    html = response.content.decode()
    assert "OFFICIAL-SENSITIVE" in html and CONFIDENTIAL in html
    assert "Not released" in html
    assert "Multi-agency meeting: 23 November 2026" in html

    case1 = _section(html, "Case 1", "Case 2")
    assert "Housing Trust:</strong> Tenancy officer spotted the cold flat." in case1
    assert "Police:</strong> Welfare check was not shared with school." in case1
    assert "No one owned the plan after the move." in case1
    assert case1.index("Strengths") < case1.index("Findings") < case1.index("Grade summary")
    # Only the submitted audit tool counts: Housing's "Good", not the Police's draft grade.
    assert "1 of 2 agencies submitted their audit tool" in case1  # of the two involved
    assert "Voice of the child" in case1
    assert ">Good</span>" in case1
    assert "Inadequate" not in case1
    # The integrated chronology, in date order, approximate dates marked.
    arrears = case1.index("Rent arrears letter sent.")
    assert arrears < case1.index("Attended after a neighbour&#x27;s call about shouting.")
    assert 'January 2025 <span class="approx">(approx.)</span>' in case1
    assert "3 February 2025" in case1
    assert "Referred to the money advice service." in case1

    case2 = _section(html, "Case 2")
    assert "No strengths recorded for Case 2 yet." in case2
    assert "No findings recorded for Case 2 yet." in case2
    assert "0 of 3 agencies submitted" in case2
    assert "No grades for Case 2 yet" in case2
    assert "No chronology yet" in case2
    assert "Filter the chronology for Case 2" not in case2


def test_an_audit_without_cases_says_the_pack_is_empty(client, audit, chair):
    client.force_login(chair)
    html = client.get(pack_url(audit)).content.decode()
    assert "No cases have been selected for this audit yet" in html
    assert "Select the cases" in html
    assert "Download PDF" not in html


def test_the_chronology_of_each_case_is_the_integrated_chronology(pack_audit):
    context = case_pack_context(Audit.objects.get(pk=pack_audit.pk))
    for entry in context["cases"]:
        assert entry.entries == integrated_chronology(entry.case)


def test_the_pdf_carries_the_markings_on_every_page_and_starts_each_case_on_a_new_page(
    client, pack_audit, agencies, tmp_path
):
    release(pack_audit)
    client.force_login(member(pack_audit, Role.COORDINATOR, agency=agencies[0]))
    response = client.get(pdf_url(pack_audit), follow=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert 'filename="neglect-and-housing-case-pack.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")

    text = pdf_text(response.content, tmp_path)
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) >= 3
    for page in pages:
        assert "OFFICIAL-SENSITIVE" in page
        assert CONFIDENTIAL in page

    cover = pages[0]
    assert "Case pack: Neglect and housing" in cover
    assert "Cases in this pack" in cover
    assert cover.index("Case 1") < cover.index("Case 2")
    assert "Tenancy officer" not in cover

    def body(page):
        """The page's text below the running marking."""
        return page.split(CONFIDENTIAL, 1)[1].strip()

    case_pages = [page for page in pages[1:] if re.match(r"Case \d\b", body(page))]
    assert [body(page).split("\n")[0].strip() for page in case_pages] == ["Case 1", "Case 2"]
    case1 = case_pages[0]
    order = [
        "Tenancy officer spotted the cold flat.",
        "Welfare check was not shared with school.",
        "Grade summary",
        "Voice of the child",
        "Integrated chronology",
        "Rent arrears letter sent.",
        "Attended after a neighbour",
    ]
    positions = [case1.index(words) for words in order]
    assert positions == sorted(positions)
    assert "January 2025" in case1 and "(approx.)" in case1
    assert "Inadequate" not in text
    # An agency not involved in the case says so; one involved that has not submitted shows —.
    grades = re.search(r"Voice of the child(.*)", case1).group(1).split()
    assert grades == ["Not", "involved", "Good", "—"], grades
    case2 = case_pages[1]
    assert "No strengths recorded for Case 2." in case2
    assert "No chronology yet" in case2

    # Never a child's identifying details, in the PDF or the page.
    for secret in (CHILD_NAME, "Tallulah", "Featherstonehaugh", REFERENCE, "2015"):
        assert secret not in text
        assert secret not in client.get(pack_url(pack_audit)).content.decode()


def test_the_pdf_of_an_audit_without_cases_or_marking_still_says_confidential(
    client, audit, chair, tmp_path
):
    client.force_login(chair)
    response = client.get(pdf_url(audit), follow=True)
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert CONFIDENTIAL in text
    assert "No cases have been selected for this audit yet." in text


# Queries --------------------------------------------------------------------------------------


def _fill(audit, agencies, count, start):
    housing, police, _ = agencies
    question = ToolQuestionFactory(section=ToolSectionFactory(audit=audit))
    for n in range(start, start + count):
        case = CaseFactory(audit=audit, label=f"Case {n}", order=n)
        StrengthFactory(case=case, agency=housing)
        FindingFactory(case=case, agency=police)
        FindingFactory(case=case)
        submission = AgencySubmissionFactory(case=case, agency=housing, status=SUBMITTED)
        ToolAnswer.objects.create(submission=submission, question=question, grade=Grade.GOOD)
        ChronologyEntryFactory(case=case, agency=housing)
        ChronologyEntryFactory(case=case, agency=police)


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_case_pack_runs_the_same_number_of_queries_for_one_case_or_five(
    client, audit, agencies, chair
):
    client.force_login(chair)
    _fill(audit, agencies, 1, start=1)
    client.get(pack_url(audit))  # warm the session
    one = _queries(client, pack_url(audit))
    _fill(audit, agencies, 4, start=2)
    five = _queries(client, pack_url(audit))
    assert one == five
    fetched = Audit.objects.select_related("theme", "partnership").get(pk=audit.pk)
    with CaptureQueriesContext(connection) as queries:
        context = case_pack_context(fetched)
    assert len(context["cases"]) == 5
    assert len(queries) == 10
