"""Uploaded files go through Django's storage API: the local folder by default, an S3-compatible
object store with STORAGE_URL. These tests run on both (make test-s3 runs every `storage` test
against a local S3-compatible server)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
ON_S3 = bool(django_settings.STORAGE_URL)


@pytest.mark.storage
def test_a_stored_file_reads_back_byte_for_byte_and_is_deleted():
    content = os.urandom(300_000)  # more than one chunk
    name = default_storage.save("chronologies/x/chronology.pdf", ContentFile(content))
    with default_storage.open(name, "rb") as stored:
        assert b"".join(stored.chunks()) == content
    assert default_storage.size(name) == len(content)
    default_storage.delete(name)
    assert not default_storage.exists(name)


@pytest.mark.storage
def test_two_files_saved_under_the_same_name_never_overwrite_each_other():
    first = default_storage.save("evidence/1/evidence.pdf", ContentFile(b"first"))
    second = default_storage.save("evidence/1/evidence.pdf", ContentFile(b"second"))
    assert first != second
    assert default_storage.open(first).read() == b"first"


@pytest.mark.storage
@pytest.mark.skipif(not ON_S3, reason="object-store settings (make test-s3)")
def test_objects_are_private_and_encrypted_at_rest():
    name = default_storage.save("private/probe.txt", ContentFile(b"case material"))
    obj = default_storage.bucket.Object(default_storage._normalize_name(name))
    assert obj.server_side_encryption == "AES256"
    grants = obj.Acl().grants
    assert all("AllUsers" not in str(g["Grantee"].get("URI", "")) for g in grants)
    assert len(grants) == 1 and grants[0]["Permission"] == "FULL_CONTROL"  # the owner only


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://bucket", "STORAGE_URL must look like s3://bucket[/prefix]?options."),
        ("s3://", "STORAGE_URL must look like s3://bucket[/prefix]?options."),
        ("s3://bucket?acl=public-read", "STORAGE_URL has unknown options: acl."),
        ("s3://bucket?encryption=rot13", "encryption must be AES256, aws:kms or none."),
    ],
)
def test_a_malformed_storage_url_stops_maca_from_starting(url, message):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "DEBUG": "1", "STORAGE_URL": url},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert message in result.stderr
