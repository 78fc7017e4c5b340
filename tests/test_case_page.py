"""The case page: who sees it, which agencies' work it lists, and what it says about each."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import AgencySubmission, ChronologyFile
from maca.models import Membership

from . import test_chronology_files as chronology_files
from .conftest import member
from .factories import (
    AgencyFactory,
    AgencySubmissionFactory,
    AuditFactory,
    ChronologyEntryFactory,
    NominationFactory,
)
from .test_chronology_files import minimal_pdf, plain, post_document

pytestmark = pytest.mark.django_db

# Shared fixtures: the people, agencies and case of an audit open for submissions.
world = chronology_files.world
fast_passwords = chronology_files.fast_passwords


def case_url(world):
    return reverse("case_detail", args=[world["audit"].pk, world["case"].pk])


def links(response):
    return response.content.decode()


@pytest.fixture
def filled(client, world):
    """Housing has two versions of its document, three rows and a submitted audit tool."""
    client.force_login(world["housing_coordinator"])
    post_document(client, world, "Housing v1.pdf", minimal_pdf("1"))
    post_document(client, world, "Housing v2.pdf", minimal_pdf("2"))
    client.logout()
    for _ in range(3):
        ChronologyEntryFactory(case=world["case"], agency=world["housing"])
    AgencySubmissionFactory(
        case=world["case"],
        agency=world["housing"],
        status=AgencySubmission.Status.SUBMITTED,
        submitted_at=timezone.make_aware(datetime.datetime(2026, 11, 20, 10)),
    )
    AgencySubmissionFactory(case=world["case"], agency=world["police"])
    return world


def test_the_chair_sees_every_agencys_work(client, filled):
    client.force_login(filled["chair"])
    response = client.get(case_url(filled))
    assert response.status_code == 200
    page = plain(response)
    assert "Case 1" in page
    assert "Agencies involved Housing, Police" in page
    assert "Housing v2.pdf Uploaded" in page
    assert "2 versions" in page
    assert "3 rows" in page
    assert "Submitted on 20 November 2026" in page
    assert "Draft" in page
    html = links(response)
    args = [filled["audit"].pk, filled["case"].pk]
    for agency in ("housing", "police"):
        pk = filled[agency].pk
        assert reverse("agency_chronology", args=[*args, pk]) in html
        assert reverse("tool_answer", args=[*args, pk]) in html
    assert reverse("integrated_chronology", args=args) in html
    current = ChronologyFile.objects.get(original_name="Housing v2.pdf")
    assert reverse("chronology_file_download", args=[filled["audit"].pk, current.pk]) in html


def test_a_coordinator_sees_only_their_own_agencys_work(client, filled):
    client.force_login(filled["police_coordinator"])
    response = client.get(case_url(filled))
    assert response.status_code == 200
    page = plain(response)
    assert "Not uploaded" in page and "Draft" in page
    assert "Housing v2.pdf" not in page
    assert "Submitted on" not in page
    assert "Housing's chronology" not in page
    assert reverse("integrated_chronology", args=[filled["audit"].pk, filled["case"].pk]) not in (
        links(response)
    )
    assert "Other agencies' work on this case is open to the chair" in page


def test_a_qa_member_waits_for_the_pack_then_sees_everything(client, filled):
    client.force_login(filled["qa_member"])
    page = plain(client.get(case_url(filled)))
    assert "open to you when the chair releases the meeting pack" in page
    assert "Housing v2.pdf" not in page
    filled["audit"].pack_released_at = timezone.now()
    filled["audit"].save()
    response = client.get(case_url(filled))
    assert "Housing v2.pdf" in plain(response)
    assert "Integrated chronology" in plain(response)


def test_a_case_without_work_says_what_is_missing(client, world):
    client.force_login(world["chair"])
    page = plain(client.get(case_url(world)))
    assert page.count("Not uploaded") == 2
    assert page.count("Not started") == 2
    assert page.count("0 rows") == 2


@pytest.mark.parametrize(
    ("person", "status"),
    [("viewer", 404), ("outsider", 404)],
)
def test_people_outside_the_audits_work_get_not_found(client, world, outsider, person, status):
    client.force_login(outsider if person == "outsider" else world[person])
    assert client.get(case_url(world)).status_code == status


def test_a_case_of_another_audit_is_not_found(client, world):
    other = AuditFactory(partnership=world["audit"].partnership)
    client.force_login(world["chair"])
    assert client.get(reverse("case_detail", args=[other.pk, world["case"].pk])).status_code == 404


def test_identifying_details_are_linked_only_for_those_who_may_see_them(client, world):
    nomination = NominationFactory(audit=world["audit"], label="Case 1", case=world["case"])
    identifiers = reverse("nomination_identifiers", args=[world["audit"].pk, nomination.pk])
    uninvolved = AgencyFactory(name="Education")
    world["audit"].agencies.add(uninvolved)
    education = member(world["audit"], Membership.Role.COORDINATOR, agency=uninvolved)
    expected = {
        "chair": True,
        "housing_coordinator": True,
        "qa_member": False,
    }
    for person, shown in expected.items():
        client.force_login(world[person])
        assert (identifiers in links(client.get(case_url(world)))) is shown, person
    client.force_login(education)
    response = client.get(case_url(world))
    assert response.status_code == 200
    assert identifiers not in links(response)
    assert "Identifying details" not in plain(response)


def test_no_identifiers_link_without_a_nomination(client, world):
    client.force_login(world["chair"])
    assert "Identifying details" not in plain(client.get(case_url(world)))


def test_queries_do_not_grow_with_agencies_files_or_rows(client, world):
    def add(n):
        for _ in range(n):
            agency = AgencyFactory()
            world["audit"].agencies.add(agency)
            world["case"].agencies.add(agency)
            ChronologyFile.objects.create(
                case=world["case"],
                agency=agency,
                file="audits/x/chronologies/f.pdf",
                original_name="f.pdf",
                kind="pdf",
                size=1,
                sha256=f"{agency.pk:064d}",
                uploaded_by=world["chair"],
            )
            for _ in range(3):
                ChronologyEntryFactory(case=world["case"], agency=agency)
            AgencySubmissionFactory(case=world["case"], agency=agency)

    nomination = NominationFactory(audit=world["audit"], label="Case 1", case=world["case"])
    assert nomination.case == world["case"]
    client.force_login(world["chair"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(case_url(world))
        assert response.status_code == 200
        return len(queries)

    add(2)
    small = count()
    add(18)
    assert count() == small


def test_names_ending_in_s_take_the_apostrophe_alone(client, world):
    from maca.wording import possessive

    assert possessive("Police") == "Police's"
    assert possessive("Health – GP practices") == "Health – GP practices'"
    gp = AgencyFactory(name="Health – GP practices")
    world["audit"].agencies.add(gp)
    world["case"].agencies.add(gp)
    client.force_login(world["chair"])
    page = client.get(case_url(world)).content.decode()
    assert "Health – GP practices' audit tool" in page.replace("&#x27;", "'")
    assert "practices's" not in page.replace("&#x27;", "'")
