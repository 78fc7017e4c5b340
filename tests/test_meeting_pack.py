"""The meeting pack: who reads it when, its release, and its grade summaries."""

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
    AuditEvent,
    ChronologyEntry,
    LocalReference,
    NominationIdentity,
    ToolAnswer,
)
from cases.selectors.identifiers import identifying_details_in_pack
from cases.selectors.pack import pack_context
from maca.models import Membership

from .conftest import member
from .factories import (
    AgencyFactory,
    AgencySubmissionFactory,
    CaseFactory,
    ChronologyEntryFactory,
    NominationFactory,
    ToolQuestionFactory,
    ToolSectionFactory,
)

pytestmark = pytest.mark.django_db
Role = Membership.Role
SUBMITTED = AgencySubmission.Status.SUBMITTED


@pytest.fixture
def housing(audit):
    agency = AgencyFactory(name="Housing Trust")
    audit.agencies.add(agency)
    return agency


def pack_url(audit):
    return reverse("meeting_pack", args=[audit.pk])


def test_who_reads_the_pack_before_and_after_release(client, audit, chair, housing, outsider):
    audit.status = Audit.Status.MEETING
    audit.save()
    qa = member(audit, Role.QA_MEMBER)
    coordinator = member(audit, Role.COORDINATOR, agency=housing)
    client.force_login(chair)
    assert client.get(pack_url(audit)).status_code == 200
    for user in (qa, coordinator):
        client.force_login(user)
        assert client.get(pack_url(audit)).status_code == 403
    for user in (member(audit, Role.VIEWER), outsider):
        client.force_login(user)
        assert client.get(pack_url(audit)).status_code == 404

    audit.pack_released_at = timezone.now()
    audit.save()
    for user in (qa, coordinator):
        client.force_login(user)
        response = client.get(pack_url(audit))
        assert response.status_code == 200
        assert "Release the meeting pack" not in response.content.decode()


def test_the_chair_releases_the_pack_once(client, audit, chair, housing):
    release = reverse("pack_release", args=[audit.pk])
    qa = member(audit, Role.QA_MEMBER)
    client.force_login(qa)
    assert client.post(release).status_code == 403

    client.force_login(chair)
    html = client.get(pack_url(audit)).content.decode()
    assert "Not released" in html and "Release the meeting pack to members" in html
    confirm = client.get(release)
    assert confirm.status_code == 200
    assert "Release the meeting pack to members?" in confirm.content.decode()
    audit.refresh_from_db()
    assert audit.pack_released_at is None

    response = client.post(release, follow=True)
    assert "members can now read it" in response.content.decode()
    audit.refresh_from_db()
    released_at = audit.pack_released_at
    assert released_at is not None
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.PACK_RELEASED)
    assert event.actor == chair and event.audit == audit

    response = client.post(release, follow=True)
    assert "already been released" in response.content.decode()
    audit.refresh_from_db()
    assert audit.pack_released_at == released_at
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PACK_RELEASED).count() == 1
    client.force_login(qa)
    assert client.get(pack_url(audit)).status_code == 200


@pytest.fixture
def graded(audit, housing):
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    assessment = ToolSectionFactory(audit=audit, title="Assessment", order=0)
    voice = ToolSectionFactory(audit=audit, title="Voice of the child", order=1)
    q1 = ToolQuestionFactory(section=assessment, text="Timely?")
    q2 = ToolQuestionFactory(section=assessment, text="Thorough?")
    q3 = ToolQuestionFactory(section=voice, text="Seen alone?")
    case1 = CaseFactory(audit=audit, label="Case 1", order=0)
    case2 = CaseFactory(audit=audit, label="Case 2", order=1)

    def answer(case, agency, status, grades):
        submission = AgencySubmissionFactory(case=case, agency=agency, status=status)
        for question, grade in zip((q1, q2, q3), grades, strict=False):
            ToolAnswer.objects.create(submission=submission, question=question, grade=grade)

    answer(case1, housing, SUBMITTED, ["good", "good", "inadequate"])
    answer(case1, police, SUBMITTED, ["good", "requires_improvement", "good"])
    answer(case2, housing, AgencySubmission.Status.DRAFT, ["outstanding"])  # not counted
    answer(case2, police, SUBMITTED, ["not_applicable", "outstanding", "good"])
    return {"case1": case1, "case2": case2, "housing": housing, "police": police}


def test_grade_summary_counts(audit, graded):
    context = pack_context(audit)
    overall = {section.title: counts for section, counts in context["overall_rows"]}
    # Outstanding, Good, Requires improvement, Inadequate, Not applicable
    assert overall == {"Assessment": [1, 3, 1, 0, 1], "Voice of the child": [0, 2, 0, 1, 0]}
    assert context["overall_totals"] == [1, 5, 1, 1, 1]
    case1 = context["case_rows"][0]
    assessment = case1["summary"][0][1]  # Housing, Police
    assert [cell.grades for cell in assessment] == [
        [("Good", "text-bg-primary", 2)],
        [("Good", "text-bg-primary", 1), ("Requires improvement", "text-bg-warning", 1)],
    ]
    case2 = context["case_rows"][1]
    assert case2["summary"][0][1][0].grades == []  # the draft is left out
    assert case2["submitted"] == 1


def test_the_pack_page(client, audit, chair, graded):
    client.force_login(chair)
    html = client.get(pack_url(audit)).content.decode()
    assert (
        '<th scope="row">Assessment</th><td>1</td><td>3</td><td>1</td><td>0</td><td>1</td>' in html
    )
    assert "Good ×2" in html
    assert "Requires improvement" in html
    for case in ("case1", "case2"):
        for agency in ("housing", "police"):
            url = reverse("tool_answer", args=[audit.pk, graded[case].pk, graded[agency].pk])
            assert url in html
    assert "1 of 2 submitted" in html


def test_an_empty_pack_says_so(client, audit, chair):
    client.force_login(chair)
    assert "No cases have been selected" in client.get(pack_url(audit)).content.decode()


def _fill(audit, cases, agencies, sections):
    new_agencies = [AgencyFactory() for _ in range(agencies)]
    audit.agencies.add(*new_agencies)
    questions = [
        ToolQuestionFactory(section=ToolSectionFactory(audit=audit)) for _ in range(sections)
    ]
    for _ in range(cases):
        case = CaseFactory(audit=audit)
        for agency in audit.agencies.all():
            submission = AgencySubmissionFactory(case=case, agency=agency, status=SUBMITTED)
            for question in questions:
                ToolAnswer.objects.create(submission=submission, question=question, grade="good")


def _queries(client, audit):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(pack_url(audit)).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow(client, audit, chair):
    client.force_login(chair)
    _fill(audit, 1, 1, 1)
    small = _queries(client, audit)
    _fill(audit, 5, 3, 4)
    assert audit.cases.count() == 6 and audit.agencies.count() == 4
    assert _queries(client, audit) == small


def test_releasing_warns_the_chair_where_the_pack_holds_a_childs_details(
    client, audit, chair, housing
):
    import datetime

    from cases.models import LocalReference, NominationIdentity

    from .factories import ChronologyEntryFactory, NominationFactory

    nomination = NominationFactory(audit=audit, label="Case 1")
    identity = NominationIdentity.objects.create(
        nomination=nomination, child_name="Ellie Brampton", date_of_birth="2015-03-05"
    )
    LocalReference.objects.create(identity=identity, agency=housing, reference="HX-44821")
    case = CaseFactory(audit=audit, label="Case 1")
    ChronologyEntryFactory(
        case=case,
        agency=housing,
        date=datetime.date(2025, 1, 7),
        event="Home visit: Ellie seen with her mother.",
    )
    ChronologyEntryFactory(case=case, agency=housing, event="Case 1 seen at school.")
    question = ToolQuestionFactory(section=ToolSectionFactory(audit=audit), text="Was risk clear?")
    submission = AgencySubmissionFactory(case=case, agency=housing)
    ToolAnswer.objects.create(
        submission=submission, question=question, text="Our file HX-44821 shows it was."
    )
    client.force_login(chair)
    page = client.get(reverse("pack_release", args=[audit.pk])).content.decode()
    assert "The pack holds a child&#x27;s identifying details." in page
    assert (
        "Case 1, Housing Trust&#x27;s chronology, entry of 7 January 2025 contains part of the "
        "name held for Case 1." in page
    )
    assert "Housing Trust&#x27;s audit tool, answer to “Was risk clear?” contains" in page
    assert "seen at school" not in page


def test_releasing_a_pack_without_a_childs_details_gives_no_warning(client, audit, chair, housing):
    from .factories import ChronologyEntryFactory

    ChronologyEntryFactory(case=CaseFactory(audit=audit), agency=housing, event="Seen at school.")
    client.force_login(chair)
    page = client.get(reverse("pack_release", args=[audit.pk])).content.decode()
    assert "identifying details" not in page


def _child_with_details(audit, agency, n):
    nomination = NominationFactory(audit=audit, label=f"Case {n}")
    identity = NominationIdentity.objects.create(
        nomination=nomination, child_name=f"Ellie Bramp{n}ton", date_of_birth="2015-03-05"
    )
    LocalReference.objects.create(identity=identity, agency=agency, reference=f"HX-{n}4821")
    return CaseFactory(audit=audit, label=f"Case {n}")


def _fill_with_details(audit, agency, children, entries, start=0):
    question = ToolQuestionFactory(section=ToolSectionFactory(audit=audit))
    for n in range(start, start + children):
        case = _child_with_details(audit, agency, n)
        for _ in range(entries):
            ChronologyEntryFactory(case=case, agency=agency, event=f"Ellie Bramp{n}ton seen.")
        submission = AgencySubmissionFactory(case=case, agency=agency)
        ToolAnswer.objects.create(submission=submission, question=question, text="HX-04821")


def _pack_check_queries(audit):
    with CaptureQueriesContext(connection) as captured:
        identifying_details_in_pack(audit)
    return len(captured)


def test_the_pack_check_takes_the_same_queries_however_large_the_audit(audit, housing):
    _fill_with_details(audit, housing, 1, 1)
    small = _pack_check_queries(audit)
    _fill_with_details(audit, housing, 4, 5, start=10)
    assert _pack_check_queries(audit) == small


def test_the_pack_check_reads_the_action_taken_too(audit, housing):
    case = _child_with_details(audit, housing, 1)
    ChronologyEntryFactory(
        case=case,
        agency=housing,
        event="Home visit.",
        action_taken="Referred Ellie Bramp1ton to the school nurse.",
    )
    assert identifying_details_in_pack(audit), "a child's name in 'Action taken' is not found"


def test_the_pack_check_names_an_approximate_date_as_the_chronology_shows_it(audit, housing):
    case = _child_with_details(audit, housing, 1)
    ChronologyEntryFactory(
        case=case,
        agency=housing,
        date=datetime.date(2025, 3, 1),
        date_precision=ChronologyEntry.Precision.MONTH,
        event="Ellie Bramp1ton moved school.",
    )
    (place,) = identifying_details_in_pack(audit)
    assert "entry of March 2025 (approx.) contains" in place


def test_each_case_counts_only_the_agencies_involved_in_it(client, audit, chair, graded):
    """As the progress matrix does: an agency not involved in a case is asked nothing for it."""
    health = AgencyFactory(name="Health")
    audit.agencies.add(health)
    graded["case2"].agencies.set([graded["housing"], graded["police"]])
    client.force_login(chair)
    html = client.get(pack_url(audit)).content.decode()
    case1, case2 = html.split('id="case-')[1:3]
    assert "(2 of 3 submitted)" in case1  # no agencies recorded: every agency is asked
    assert "(1 of 2 submitted)" in case2
    assert reverse("tool_answer", args=[audit.pk, graded["case2"].pk, health.pk]) not in html
    assert reverse("tool_answer", args=[audit.pk, graded["case1"].pk, health.pk]) in html
    # In the grade table, Health (the first column) is "Not involved" in Case 2 alone; where an
    # involved agency has given no grade, a dash.
    table = case2[case2.index('<th scope="row">Assessment</th>') :]
    assert table.index("Not involved") < table.index("Outstanding")
    assert "Not involved" not in case1
    assert "— no grade submitted" in " ".join(re.sub(r"<[^>]+>", " ", case1).split())


def test_releasing_the_pack_says_how_many_returns_are_still_missing(client, audit, chair, housing):
    audit.status = Audit.Status.MEETING
    audit.save()
    case = CaseFactory(audit=audit, label="Case 1")
    CaseFactory(audit=audit, label="Case 2")
    AgencySubmissionFactory(case=case, agency=housing, status=SUBMITTED)
    ChronologyEntryFactory(case=case, agency=housing)
    client.force_login(chair)
    page = client.get(reverse("pack_release", args=[audit.pk])).content.decode()
    assert "1 of 2 agency returns" in page
    assert f"is not complete yet: {housing.name} (Case 2)." in page


def test_pressing_release_twice_says_released_not_already_released(client, audit, chair, housing):
    from .test_one_press import assert_same_answer, press_twice, said

    client.force_login(chair)
    first, second = press_twice(client, reverse("pack_release", args=[audit.pk]))
    assert_same_answer(first, second)
    assert said(second) == ["The meeting pack has been released: members can now read it."]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PACK_RELEASED).count() == 1
