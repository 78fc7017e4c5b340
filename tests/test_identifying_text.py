"""Anyone's identifying details, found by their shape wherever the audit's words are typed or
imported: asked about next to the field, and refused by publishing until the chair confirms
each text is not what it looks like."""

import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from actions.models import Action, ActionUpdate
from cases.models import Audit, ConfirmedText
from findings.models import (
    BriefingVersion,
    CaseMeetingNote,
    Finding,
    Recommendation,
    SevenMinuteBriefing,
)
from findings.sevenminute import PART_FIELDS
from maca.concurrency import version_of
from maca.models import Membership

from .conftest import member
from .factories import ActionFactory, AgencyFactory, CaseFactory, FindingFactory
from .test_package import VALID

pytestmark = pytest.mark.django_db
Role = Membership.Role

# Invented: the NHS number passes the check digit; the phone number is from Ofcom's drama range.
DETAILS = (
    "Born on 14/03/2021, NHS number 943 476 5919, lives at 12 High Street, NN1 2AB, "
    "mobile 07700 900123."
)
ASKED = "This looks like it holds a postcode, a date of birth, an NHS number, a phone number"
TICK = "holds_no_identifiers"


@pytest.fixture
def case(audit):
    return CaseFactory(audit=audit, label="Case 1")


@pytest.fixture
def qa(audit):
    return member(audit, Role.QA_MEMBER)


@pytest.fixture
def housing(audit):
    agency = AgencyFactory(name="Housing")
    audit.agencies.add(agency)
    return agency


def add_finding(client, audit, case, text, **extra):
    url = reverse("item_add", args=[audit.pk, "finding"]) + f"?case={case.pk}"
    return client.post(url, {"new-finding-text": text, **extra})


# Asked next to the field --------------------------------------------------------------------


def test_a_finding_that_looks_identifying_is_asked_about_and_kept_until_confirmed(
    client, audit, case, qa
):
    client.force_login(qa)
    asked = add_finding(client, audit, case, DETAILS)
    page = asked.content.decode()
    assert asked.status_code == 422 and ASKED in page
    assert "I have checked: what is asked about above identifies no child" in page
    assert "943 476 5919" in page  # nothing typed is lost
    assert not Finding.objects.exists()

    saved = add_finding(client, audit, case, DETAILS, **{f"new-finding-{TICK}": "on"})
    assert saved.status_code == 302
    finding = Finding.objects.get()
    assert ConfirmedText.objects.filter(audit=audit, by_chair=False).count() == 1

    # Confirmed once, the same text is not asked about again; a changed text is.
    edit = reverse("item_edit", args=[audit.pk, "finding", finding.pk])
    prefix = f"edit-finding-{finding.pk}"
    again = client.post(
        edit, {f"{prefix}-text": DETAILS, f"{prefix}-loaded_version": version_of(finding)}
    )
    assert again.status_code == 302
    finding.refresh_from_db()
    changed = client.post(
        edit,
        {
            f"{prefix}-text": DETAILS.replace("NN1 2AB", "LE1 6ZZ"),
            f"{prefix}-loaded_version": version_of(finding),
        },
    )
    assert changed.status_code == 422 and "This looks like it holds" in changed.content.decode()


def test_a_recommendation_typed_by_the_chair_is_asked_about_too(client, audit):
    client.force_login(member(audit, Role.CHAIR))
    response = client.post(
        reverse("item_add", args=[audit.pk, "recommendation"]),
        {"new-recommendation-text": "Ring the family on 07700 900123 before visiting."},
    )
    assert response.status_code == 422
    assert "This looks like it holds a phone number" in response.content.decode()
    assert not Recommendation.objects.exists()


def test_the_7_minute_briefing_is_asked_about(client, audit, qa):
    client.force_login(qa)
    data = dict.fromkeys(PART_FIELDS, "")
    data["what_we_found"] = DETAILS
    response = client.post(reverse("seven_minute_edit", args=[audit.pk]), data)
    assert response.status_code == 422 and ASKED in response.content.decode()
    assert not SevenMinuteBriefing.objects.exists()
    client.post(reverse("seven_minute_edit", args=[audit.pk]), {**data, TICK: "on"})
    assert SevenMinuteBriefing.objects.get().what_we_found == DETAILS


def test_the_meetings_notes_are_asked_about(client, audit, case, qa):
    client.force_login(qa)
    data = {
        "attendees-TOTAL_FORMS": "0",
        "attendees-INITIAL_FORMS": "0",
        "attendees-MIN_NUM_FORMS": "0",
        "attendees-MAX_NUM_FORMS": "1000",
        "meeting_date": "",
        "learning_summary": "",
        f"note_{case.pk}": DETAILS,
        "loaded_version": version_of(audit),
    }
    response = client.post(reverse("meeting", args=[audit.pk]), data)
    assert response.status_code == 422 and ASKED in response.content.decode()
    assert not CaseMeetingNote.objects.exists()


def test_an_actions_text_and_its_updates_are_asked_about(client, audit, housing):
    chair = member(audit, Role.CHAIR)
    client.force_login(chair)
    due = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = client.post(
        reverse("action_create", args=[audit.pk]),
        {"text": DETAILS, "owner_agency": housing.pk, "lead": "Head of Housing", "due_date": due},
    )
    assert response.status_code == 422 and ASKED in response.content.decode()
    assert not Action.objects.exists()

    action = ActionFactory(audit=audit, owner_agency=housing, lead="Head of Housing")
    client.force_login(member(audit, Role.COORDINATOR, agency=housing))
    update = {
        "date": timezone.localdate().isoformat(),
        "text": "Visited the family at 12 High Street, NN1 2AB.",
        "status": "in_progress",
        "loaded_version": version_of(action),
    }
    response = client.post(reverse("action_detail", args=[action.pk]), update)
    assert response.status_code == 422
    assert "This looks like it holds a postcode and a street address" in response.content.decode()
    assert not ActionUpdate.objects.exists()
    client.post(reverse("action_detail", args=[action.pk]), {**update, TICK: "on"})
    assert ActionUpdate.objects.count() == 1


# Refused by publishing until the chair confirms ---------------------------------------------


def test_publishing_refuses_each_unconfirmed_text_until_the_chair_confirms_it(
    client, audit, case, qa
):
    FindingFactory(case=case, text=DETAILS)
    FindingFactory(case=case, text="Nobody asked about the move.")
    client.force_login(qa)
    # A QA member's confirmation lets the text be kept; it is the chair's call to publish it.
    add_finding(client, audit, case, "Seen at 4 Park Road clinic.", **{f"new-finding-{TICK}": "on"})
    chair = member(audit, Role.CHAIR)
    client.force_login(chair)
    url = reverse("briefing_publish", args=[audit.pk])
    refused = client.post(url)
    page = refused.content.decode()
    assert refused.status_code == 422 and not BriefingVersion.objects.exists()
    assert "Case 1, point 1 looks as if it holds a postcode" in page
    assert "Case 1, point 3 looks as if it holds a street address" in page
    assert "point 2" not in page
    assert page.count("Confirm it identifies no one") == 2

    flag = "Case 1, point 1 looks as if it holds"
    digest = next(
        line.split('value="')[1].split('"')[0]
        for line in page.splitlines()
        if 'name="digest"' in line
    )
    confirmed = client.post(reverse("briefing_confirm_text", args=[audit.pk]), {"digest": digest})
    assert confirmed.status_code == 302
    again = client.post(url).content.decode()
    assert flag not in again and "point 3 looks as if it holds" in again
    client.post(
        reverse("briefing_confirm_text", args=[audit.pk]),
        {"digest": again.split('name="digest" value="')[1].split('"')[0]},
    )
    assert client.post(url).status_code == 302
    assert BriefingVersion.objects.count() == 1


def test_only_the_chair_confirms_for_publishing(client, audit, case, qa):
    FindingFactory(case=case, text=DETAILS)
    client.force_login(qa)
    response = client.post(reverse("briefing_confirm_text", args=[audit.pk]), {"digest": "x"})
    assert response.status_code == 403
    assert not ConfirmedText.objects.exists()


# Imported packages ----------------------------------------------------------------------------


def test_an_imported_package_that_looks_identifying_is_flagged_and_not_published(client, audit):
    chair = member(audit, Role.CHAIR)
    package = json.loads(json.dumps(VALID))
    package["cases"][0]["label"] = "Jayden Smith"
    package["recommendations"][0]["cases"] = ["Jayden Smith", "Case 2"]
    package["cases"][0]["findings"][0]["text"] = DETAILS
    client.force_login(chair)
    upload = SimpleUploadedFile("past.json", json.dumps(package).encode())
    response = client.post(
        reverse("audit_import"),
        {"package": upload, "partnership": audit.partnership.pk, "publish": "on"},
        follow=True,
    )
    imported = Audit.objects.exclude(pk=audit.pk).get()
    page = response.content.decode()
    assert imported.briefing_published_at is None
    assert "was not published" in page and "2 of its texts look as if they hold" in page
    refused = client.post(reverse("briefing_publish", args=[imported.pk])).content.decode()
    assert "The case label “Jayden Smith” looks as if it holds a name." in refused
    assert "Jayden Smith, point 1 looks as if it holds a postcode" in refused


def test_the_import_command_says_what_looks_identifying_and_does_not_publish(tmp_path):
    import io

    from django.core.management import call_command

    package = json.loads(json.dumps(VALID))
    package["cases"][0]["findings"][0]["text"] = DETAILS
    path = tmp_path / "past.json"
    path.write_text(json.dumps(package))
    out = io.StringIO()
    call_command("import_audit", str(path), "--publish", "--create-partnership", stdout=out)
    assert "Its briefing was not published: 1 of its texts look as if they hold" in out.getvalue()
    assert "Published its briefing" not in out.getvalue()
    assert not BriefingVersion.objects.exists()
