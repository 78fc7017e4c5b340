"""Evidence files on an action: who may add them, what is refused, and who may download them."""

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from actions.models import ActionUpdate, Evidence
from maca.concurrency import version_of
from maca.models import Membership

from .conftest import member, stored_files
from .factories import ActionFactory, AgencyFactory
from .test_partnership_admin import png

pytestmark = [pytest.mark.django_db, pytest.mark.storage]
Role = Membership.Role

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 40
JPEG += b"\xff\xd9"  # the end of the image
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100


def upload(name, content):
    return SimpleUploadedFile(name, content)


@pytest.fixture
def housing(audit):
    agency = AgencyFactory(name="Housing")
    audit.agencies.add(agency)
    return agency


@pytest.fixture
def action(audit, housing):
    return ActionFactory(
        audit=audit,
        owner_agency=housing,
        due_date=datetime.date.today() + datetime.timedelta(days=30),
        lead="Head of Housing",
    )


@pytest.fixture
def people(audit, housing, outsider):
    police = AgencyFactory(name="Police")
    audit.agencies.add(police)
    return {
        "chair": member(audit, Role.CHAIR),
        "qa": member(audit, Role.QA_MEMBER),
        "own": member(audit, Role.COORDINATOR, agency=housing),
        "other": member(audit, Role.COORDINATOR, agency=police),
        "viewer": member(audit, Role.VIEWER),
        "outsider": outsider,
    }


def post_evidence(client, action, name="sign-in-sheet.pdf", content=PDF, description=""):
    return client.post(
        reverse("action_evidence_upload", args=[action.pk]),
        {"file": upload(name, content), "description": description},
    )


@pytest.mark.parametrize(
    "who, answer, stored",
    [
        ("own", 302, 1),
        ("chair", 302, 1),
        ("qa", 404, 0),  # QA members read the plan but do not add to it
        ("other", 404, 0),
        ("viewer", 404, 0),
        ("outsider", 404, 0),
    ],
)
def test_who_may_add_evidence(client, action, people, media_root, who, answer, stored):
    client.force_login(people[who])
    response = post_evidence(client, action, description="March training sign-in sheet")
    assert response.status_code == answer
    assert Evidence.objects.count() == stored
    assert len(stored_files(media_root)) == stored
    if stored:
        evidence = Evidence.objects.get()
        assert evidence.original_name == "sign-in-sheet.pdf"
        assert evidence.kind == "pdf" and evidence.size == len(PDF)
        assert evidence.description == "March training sign-in sheet"
        assert evidence.uploaded_by == people[who]
        page = client.get(reverse("action_detail", args=[action.pk])).content.decode()
        assert "sign-in-sheet.pdf" in page and "March training sign-in sheet" in page


@pytest.mark.parametrize(
    "name, content, kind",
    [("poster.png", PNG, "png"), ("poster.JPG", JPEG, "jpeg"), ("poster.jpeg", JPEG, "jpeg")],
)
def test_photographs_are_accepted(client, action, people, name, content, kind):
    client.force_login(people["own"])
    assert post_evidence(client, action, name=name, content=content).status_code == 302
    assert Evidence.objects.get().kind == kind


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("setup.exe", EXE, "Files named .exe can&#x27;t be uploaded"),
        ("report.pdf", EXE, "Files are checked by their contents"),
        ("poster.png", PDF, "The file is named .png but its contents are not a PNG image"),
        ("report.pdf", PNG, "The file is named .pdf but its contents are a PNG image"),
        ("empty.pdf", b"", "The file is empty"),
        ("poster.png", b"\x89PNG\r\n\x1a\n", "begins as a PNG image but is damaged or cut short"),
        ("poster.png", PNG[:-12], "begins as a PNG image but is damaged or cut short"),
        ("poster.png", PNG[:8] + PNG[33:], "begins as a PNG image but is damaged or cut short"),
        ("photo.jpg", JPEG[:-2], "begins as a JPEG image but is damaged or cut short"),
    ],
)
def test_refused_files_leave_nothing_behind(
    client, action, people, media_root, name, content, message
):
    client.force_login(people["own"])
    response = post_evidence(client, action, name=name, content=content, description="Kept")
    assert response.status_code == 422
    page = response.content.decode()
    assert message in page
    assert "There is a problem" in page
    assert 'href="#id_file"' in page  # said beside the file
    assert 'value="Kept"' in page  # the description typed is not lost
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_a_file_too_large_is_refused(client, action, people, media_root, settings):
    settings.MACA_UPLOAD_MAX_BYTES = 100
    client.force_login(people["own"])
    response = post_evidence(client, action, content=PDF + b"%" * 200)
    assert response.status_code == 422
    assert "files can be up to 100" in response.content.decode()
    assert not Evidence.objects.exists() and stored_files(media_root) == []


def test_the_same_file_twice_on_one_action_is_refused(client, action, people, audit, housing):
    client.force_login(people["own"])
    assert post_evidence(client, action).status_code == 302
    again = post_evidence(client, action, name="renamed.pdf")
    assert again.status_code == 422
    assert "already evidence for this action" in again.content.decode()
    assert Evidence.objects.count() == 1
    # The same file on another action is fine.
    other = ActionFactory(audit=audit, owner_agency=housing, lead="Someone")
    assert post_evidence(client, other).status_code == 302
    assert Evidence.objects.count() == 2


def test_a_closed_action_takes_no_more_evidence(client, action, people, media_root):
    action.status = "complete"
    action.save()
    client.force_login(people["chair"])
    page = client.get(reverse("action_detail", args=[action.pk])).content.decode()
    assert "Upload evidence" not in page
    response = post_evidence(client, action)
    assert response.status_code == 422
    assert "takes no more evidence" in response.content.decode()
    assert not Evidence.objects.exists() and stored_files(media_root) == []


def file_inputs(page: str) -> list[str]:
    return re.findall(r'<input[^>]*type="file"[^>]*>', page)


@pytest.mark.parametrize("who", ["own", "chair"])
def test_the_action_page_offers_one_way_to_add_evidence(client, action, people, who):
    client.force_login(people[who])
    page = client.get(reverse("action_detail", args=[action.pk])).content.decode()
    [file_input] = file_inputs(page)
    assert 'name="file"' in file_input
    assert "File showing the action’s progress or impact" in page
    assert page.count("Upload evidence") == 1


def test_a_closed_action_offers_no_file_field(client, action, people):
    action.status = "complete"
    action.save()
    client.force_login(people["own"])
    page = client.get(reverse("action_detail", args=[action.pk])).content.decode()
    assert file_inputs(page) == []
    assert "takes no more evidence" in page


def test_an_update_is_added_without_a_file(client, action, people, media_root):
    client.force_login(people["own"])
    response = client.post(
        reverse("action_detail", args=[action.pk]),
        {
            "date": "2026-11-20",
            "text": "Training delivered.",
            "status": "in_progress",
            "loaded_version": version_of(action),
        },
        follow=True,
    )
    assert "Your update was added." in response.content.decode()
    assert ActionUpdate.objects.get().text == "Training delivered."
    assert not Evidence.objects.exists() and stored_files(media_root) == []


def test_an_update_sent_with_a_file_from_an_older_page_is_refused_keeping_the_words(
    client, action, people, media_root
):
    client.force_login(people["own"])
    response = client.post(
        reverse("action_detail", args=[action.pk]),
        {
            "date": "2026-11-20",
            "text": "Training delivered.",
            "status": "in_progress",
            "loaded_version": version_of(action),
            "evidence_file": upload("sign-in.pdf", PDF),
        },
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "Add files under Evidence: this form takes words only." in page
    assert "Training delivered." in page
    assert "Your update was added." not in page
    assert not ActionUpdate.objects.exists() and not Evidence.objects.exists()
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    "who, answer",
    [
        ("own", 200),
        ("chair", 200),
        ("qa", 200),
        ("other", 404),
        ("viewer", 404),
        ("outsider", 404),
    ],
)
def test_who_may_download_evidence(client, action, people, who, answer):
    client.force_login(people["own"])
    post_evidence(client, action)
    evidence = Evidence.objects.get()
    client.force_login(people[who])
    response = client.get(reverse("action_evidence_download", args=[action.pk, evidence.pk]))
    assert response.status_code == answer
    if answer == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        assert 'filename="sign-in-sheet.pdf"' in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]


def test_evidence_is_reached_only_through_its_own_action(client, audit, action, people, housing):
    client.force_login(people["own"])
    post_evidence(client, action)
    evidence = Evidence.objects.get()
    other = ActionFactory(audit=audit, owner_agency=housing, lead="Someone")
    url = reverse("action_evidence_download", args=[other.pk, evidence.pk])
    assert client.get(url).status_code == 404
    evidence.file.delete(save=False)
    url = reverse("action_evidence_download", args=[action.pk, evidence.pk])
    assert client.get(url).status_code == 404


def test_chronology_uploads_still_refuse_images():
    from django.core.exceptions import ValidationError

    from cases import uploads
    from cases.services.chronology import DOCUMENT_DESCRIBED, DOCUMENT_KINDS

    inspection = uploads.inspect(upload("photo.png", PNG))
    with pytest.raises(ValidationError, match="Its contents look like a PNG file"):
        uploads.check_kind(inspection, "photo.png", DOCUMENT_KINDS, DOCUMENT_DESCRIBED)


def test_files_go_with_their_records_however_they_are_deleted(
    client, action, people, media_root, django_capture_on_commit_callbacks
):
    """Deleting an action (in the administration pages, or with its audit) deletes its
    evidence files from the disk too, once the deletion is committed."""
    client.force_login(people["chair"])
    post_evidence(client, action, description="Sign-in sheet")
    assert len(stored_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        action.audit.delete()
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_an_agency_that_left_the_audit_no_longer_downloads_its_evidence(
    client, audit, action, people, housing
):
    client.force_login(people["own"])
    post_evidence(client, action)
    url = reverse("action_evidence_download", args=[action.pk, Evidence.objects.get().pk])
    assert client.get(url).status_code == 200
    audit.agencies.remove(housing)
    assert client.get(url).status_code == 404


def test_the_evidence_hint_gives_the_size_limit_as_people_write_it(client, action, people):
    client.force_login(people["own"])
    page = client.get(reverse("action_detail", args=[action.pk])).content.decode()
    assert "up to 20\xa0MB: for example a training sign-in sheet" in page
    assert "20.0" not in page
