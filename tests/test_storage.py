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

from .test_chronology_files import world  # noqa: F401 (a fixture)

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


# An object store that goes away ----------------------------------------------------------------


@pytest.fixture
def own_object_store(settings, tmp_path):
    """A private S3-compatible server for this test alone, so that stopping it harms no other."""
    import socket
    import time

    import boto3

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"aws_access_key_id": "maca-test", "aws_secret_access_key": "maca-test"}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-2", **credentials)
    for _ in range(150):
        try:
            client.create_bucket(
                Bucket="outage", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
            )
            break
        except Exception:  # not answering yet
            time.sleep(0.2)
    storage = django_settings.STORAGES["default"]
    settings.STORAGES = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "outage",
                "endpoint_url": endpoint,
                "region_name": "eu-west-2",
                "access_key": "maca-test",
                "secret_key": "maca-test",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    yield server
    server.kill()
    server.wait()
    assert storage  # the run's own store is untouched


def test_an_object_store_outage_saves_nothing_and_says_so(client, world, own_object_store):  # noqa: F811
    from cases.models import ChronologyFile

    from .test_chronology_files import download_url, minimal_pdf, post_document

    client.force_login(world["housing_coordinator"])
    assert post_document(client, world, "First.pdf", minimal_pdf("first")).status_code == 302
    first = ChronologyFile.objects.get()
    assert client.get(download_url(world, first)).status_code == 200

    own_object_store.kill()
    own_object_store.wait()
    response = post_document(client, world, "Second.pdf", minimal_pdf("second"))
    assert response.status_code == 422
    page = response.content.decode()
    assert "could not be stored just now, so nothing was saved" in page
    assert list(ChronologyFile.objects.all()) == [first]  # no record without its file

    download = client.get(download_url(world, first))
    assert download.status_code == 503
    assert "cannot be fetched just now" in download.content.decode()
