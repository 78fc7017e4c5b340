"""Checking a copy: anyone who may read an audit's published briefings chooses a PDF they were
given, and MACA says which published version it is, unchanged, or that it matches none."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from findings.models import BriefingVersion
from findings.publishing import briefing_publish
from findings.services import seven_minute_draft
from maca.models import Membership

from .conftest import member
from .factories import StrengthFactory
from .test_seven_minute import written  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def check(client, audit, content: bytes, name: str = "briefing.pdf"):
    return client.post(
        reverse("briefing_versions", args=[audit.pk]),
        {"copy": SimpleUploadedFile(name, content, content_type="application/pdf")},
    )


def status_of(response) -> str:
    """The words of the check's result, as read out."""
    html = response.content.decode()
    found = re.search(r'role="status">(.*?)</div>', html, re.S)
    assert found, "no result shown"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def error_of(response) -> str:
    html = response.content.decode()
    found = re.search(r'id="error_1_id_copy"[^>]*>(.*?)</', html, re.S)
    assert found, "no message next to the field"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


@pytest.fixture
def two_versions(written, chair):  # noqa: F811
    seven_minute_draft(audit=written)
    first = briefing_publish(audit=written, user=chair)
    StrengthFactory(case=written.cases.first(), text="Added for the second version.")
    second = briefing_publish(audit=written, user=chair)
    assert (first.number, second.number) == (1, 2)
    return written, first, second


@pytest.fixture
def viewer_client(client, two_versions):
    client.force_login(member(two_versions[0], Membership.Role.VIEWER))
    return client


def test_the_latest_briefing_pdf_is_recognised_unchanged(viewer_client, two_versions):
    audit, _first, second = two_versions
    response = check(viewer_client, audit, bytes(second.pdf))
    assert response.status_code == 200
    said = status_of(response)
    assert said.startswith("This copy is version 2 of the briefing, published")
    assert "unchanged" in said and "not the latest" not in said


def test_an_older_copy_is_recognised_and_the_newer_version_offered(viewer_client, two_versions):
    audit, first, _second = two_versions
    response = check(viewer_client, audit, bytes(first.pdf))
    said = status_of(response)
    assert said.startswith("This copy is version 1 of the briefing")
    assert "It is not the latest: version 2 was published" in said
    assert reverse("briefing_version", args=[audit.pk, 2]) in response.content.decode()


def test_the_7_minute_briefing_pdf_is_recognised(viewer_client, two_versions):
    audit, first, _second = two_versions
    response = check(viewer_client, audit, bytes(first.seven_minute_pdf))
    said = status_of(response)
    assert said.startswith("This copy is the 7-minute briefing published with version 1")
    assert "It is not the latest: the 7-minute briefing of version 2 was published" in said
    assert reverse("seven_minute_version", args=[audit.pk, 2]) in response.content.decode()


def test_a_copy_changed_by_one_byte_matches_nothing(viewer_client, two_versions):
    audit, _first, second = two_versions
    changed = bytes(second.pdf) + b" "  # still a PDF: readers ignore what follows its end
    said = status_of(check(viewer_client, audit, changed))
    assert said.startswith("This copy does not match any version published here.")


def test_a_file_that_is_not_a_pdf_is_refused_next_to_the_field(viewer_client, two_versions):
    audit = two_versions[0]
    response = check(viewer_client, audit, b"case,finding\n1,late\n", name="briefing.csv")
    assert response.status_code == 200
    assert error_of(response).startswith("This file is not a PDF.")
    assert 'role="status"' not in response.content.decode()


def test_an_empty_or_missing_file_gets_a_message(viewer_client, two_versions):
    audit = two_versions[0]
    assert error_of(check(viewer_client, audit, b"")).startswith("The file is empty.")
    missing = viewer_client.post(reverse("briefing_versions", args=[audit.pk]), {})
    assert error_of(missing) == "Choose the PDF to check."


def test_a_copy_past_the_upload_limit_is_refused_unread(viewer_client, two_versions, settings):
    audit, _first, second = two_versions
    settings.MACA_UPLOAD_MAX_BYTES = 1024
    response = check(viewer_client, audit, bytes(second.pdf))
    assert "files can be up to" in error_of(response)


def test_the_copy_is_not_kept(viewer_client, two_versions, media_root):
    from .conftest import stored_files

    audit, _first, second = two_versions
    check(viewer_client, audit, bytes(second.pdf))
    assert stored_files() == []
    assert BriefingVersion.objects.count() == 2


def test_members_of_other_partnerships_get_not_found(client, two_versions, outsider):
    audit, _first, second = two_versions
    client.force_login(outsider)
    assert check(client, audit, bytes(second.pdf)).status_code == 404


def test_nothing_to_check_against_before_anything_is_published(client, written, chair):  # noqa: F811
    client.force_login(chair)
    page = client.get(reverse("briefing_versions", args=[written.pk])).content.decode()
    assert "Nothing published yet." in page and "Check a copy" not in page
