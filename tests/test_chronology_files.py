"""Chronology documents: uploads identified by content, versions, downloads, who may do what."""

import html
import io
import re
import tracemalloc
import zipfile
from pathlib import Path

import filetype
import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.storage import default_storage
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from cases.models import Audit, ChronologyFile
from cases.views import chronology as views
from maca.models import Membership

from .conftest import member, stored_files
from .factories import AgencyFactory, CaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.storage]

Role = Membership.Role


# Files made in the tests -------------------------------------------------------------------


def minimal_pdf(text: str = "Chronology") -> bytes:
    """A small, valid one-page PDF (objects, cross-reference table and trailer)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def minimal_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Chronology</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
    return buffer.getvalue()


def minimal_xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Date", "Event"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def upload(name: str, content: bytes) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def text(response) -> str:
    return html.unescape(response.content.decode())


def plain(response) -> str:
    """The page's words without tags, as a screen reader would read them."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


# The people and the case --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(audit, chair):
    """An audit open for submissions, two agencies taking part, a case, and their people."""
    audit.status = Audit.Status.SUBMISSIONS
    audit.protective_marking = "OFFICIAL-SENSITIVE"
    audit.save()
    housing = AgencyFactory(name="Housing")
    police = AgencyFactory(name="Police")
    audit.agencies.add(housing, police)
    case = CaseFactory(audit=audit, label="Case 1")
    case.agencies.add(housing, police)
    return {
        "audit": audit,
        "case": case,
        "housing": housing,
        "police": police,
        "chair": chair,
        "housing_coordinator": member(audit, Role.COORDINATOR, agency=housing),
        "police_coordinator": member(audit, Role.COORDINATOR, agency=police),
        "qa_member": member(audit, Role.QA_MEMBER),
        "viewer": member(audit, Role.VIEWER),
    }


def page_url(world, agency="housing"):
    return reverse(
        "agency_chronology", args=[world["audit"].pk, world["case"].pk, world[agency].pk]
    )


def upload_url(world, agency="housing"):
    return reverse(
        "chronology_file_upload", args=[world["audit"].pk, world["case"].pk, world[agency].pk]
    )


def post_document(client, world, name, content, agency="housing"):
    return client.post(upload_url(world, agency), {"document": upload(name, content)})


# Uploads --------------------------------------------------------------------------------------


def test_a_real_pdf_is_kept_under_a_random_name_with_its_original_name(
    client, world, media_root, settings
):
    client.force_login(world["housing_coordinator"])
    content = minimal_pdf()
    response = post_document(client, world, "Housing chronology.pdf", content)
    assert response.status_code == 302
    document = ChronologyFile.objects.get()
    assert document.original_name == "Housing chronology.pdf"
    assert document.kind == "pdf"
    assert document.size == len(content)
    assert document.uploaded_by == world["housing_coordinator"]
    with document.file.open("rb") as stored:
        assert stored.read() == content
    if not settings.STORAGE_URL:  # the local folder
        assert Path(document.file.path).is_relative_to(Path(media_root))
    name = Path(document.file.name)
    assert "Housing" not in name.name and name.suffix == ".pdf"
    page = client.get(response["Location"]).content.decode()
    assert "“Housing chronology.pdf” is now the current chronology document." in page
    assert "Current version" in page


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("chronology.docx", minimal_docx(), "docx"),
        ("chronology.xlsx", minimal_xlsx(), "xlsx"),
        ("chronology.csv", b"Date,Event\n23/11/2026,Home visit\n", "csv"),
        ("chronology.csv", "Date,Event\n1/2/2026,Café visit\n".encode("cp1252"), "csv"),
        ("chronology.csv", "\ufeffDate,Event\n1/2/2026,Café visit\n".encode(), "csv"),
    ],
)
def test_word_excel_and_csv_documents_are_accepted(client, world, name, content, kind):
    if kind in ("docx", "xlsx"):
        assert filetype.guess(content).extension == kind
    client.force_login(world["housing_coordinator"])
    response = post_document(client, world, name, content)
    assert response.status_code == 302
    assert ChronologyFile.objects.get().kind == kind
    # A spreadsheet kept as a document is not read: the page says where its rows would go.
    hint = "add it under “Structured chronology” with “Add rows from file” too"
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(hint in m for m in said) == (kind in ("csv", "xlsx"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("chronology.pdf", PNG, "This file is not a PDF, Word (DOCX), Excel (XLSX) or CSV"),
        ("chronology.pdf", b"Just some text, not a PDF.\n", "named .pdf but its contents"),
        ("chronology.docx", minimal_pdf(), "named .docx but its contents are not a Word"),
        ("chronology.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "named .exe can&#x27;t"),
        ("notes.csv", b"Date,Event\n\x00\x01\x02binary", "This file is not"),
        ("archive.zip", b"PK\x03\x04" + b"\x00" * 60, "Its contents look like a ZIP file"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused_and_nothing_is_stored(
    client, world, media_root, name, content, message
):
    client.force_login(world["housing_coordinator"])
    response = post_document(client, world, name, content)
    assert response.status_code == 422
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    assert ChronologyFile.objects.count() == 0
    assert stored_files(media_root) == []


def test_an_empty_file_is_refused(client, world, media_root):
    client.force_login(world["housing_coordinator"])
    response = post_document(client, world, "chronology.pdf", b"")
    assert "The file is empty" in response.content.decode()
    assert ChronologyFile.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_file_over_the_size_limit_is_refused(client, world, media_root, settings):
    settings.MACA_UPLOAD_MAX_BYTES = 1024
    client.force_login(world["housing_coordinator"])
    response = post_document(client, world, "chronology.pdf", minimal_pdf() + b"%" * 2000)
    html = response.content.decode()
    assert "files can be up to 1\xa0KB" in html
    assert ChronologyFile.objects.count() == 0
    assert stored_files(media_root) == []


def test_the_same_file_twice_is_refused_as_a_duplicate(client, world, media_root):
    client.force_login(world["housing_coordinator"])
    content = minimal_pdf()
    post_document(client, world, "first.pdf", content)
    response = post_document(client, world, "renamed.pdf", content)
    assert "This file has already been uploaded for Case 1" in response.content.decode()
    assert ChronologyFile.objects.count() == 1
    assert len(stored_files(media_root)) == 1
    # The same file is a different agency's own upload, not a duplicate.
    client.force_login(world["police_coordinator"])
    assert post_document(client, world, "first.pdf", content, agency="police").status_code == 302


def test_a_new_upload_becomes_current_and_earlier_versions_are_kept(client, world):
    client.force_login(world["housing_coordinator"])
    post_document(client, world, "version one.pdf", minimal_pdf("one"))
    post_document(client, world, "version two.pdf", minimal_pdf("two"))
    assert ChronologyFile.objects.count() == 2
    html = client.get(page_url(world)).content.decode()
    html = html[html.index("Current version") :]
    assert html.index("version two.pdf") < html.index("Earlier versions")
    assert html.index("version one.pdf") > html.index("Earlier versions")


def test_uploads_are_refused_once_the_audit_no_longer_takes_submissions(client, world, media_root):
    audit = world["audit"]
    audit.status = Audit.Status.CLOSED
    audit.save()
    client.force_login(world["housing_coordinator"])
    page = client.get(page_url(world)).content.decode()
    assert "no longer accepts submissions" in page
    assert "Upload document" not in page
    response = post_document(client, world, "late.pdf", minimal_pdf())
    assert response.status_code == 403
    assert "no longer accepts submissions" in response.content.decode()
    assert ChronologyFile.objects.count() == 0
    assert stored_files(media_root) == []


def test_the_service_refuses_too_when_the_audit_is_closed(world):
    from cases.services.chronology import SubmissionsClosed, chronology_file_upload

    world["audit"].status = Audit.Status.REPORTING
    world["audit"].save()
    case = type(world["case"]).objects.get(pk=world["case"].pk)
    with pytest.raises(SubmissionsClosed):
        chronology_file_upload(
            case=case,
            agency=world["housing"],
            user=world["chair"],
            uploaded_file=upload("x.pdf", minimal_pdf()),
        )


def test_members_who_can_only_read_may_not_upload(client, world, media_root):
    world["audit"].pack_released_at = timezone.now()
    world["audit"].save()
    client.force_login(world["qa_member"])
    assert client.get(page_url(world)).status_code == 200
    response = post_document(client, world, "chronology.pdf", minimal_pdf())
    assert response.status_code == 403
    assert "only Housing's co-ordinators and the chair can change it" in text(response)
    assert ChronologyFile.objects.count() == 0


def test_the_chair_may_upload_for_any_agency(client, world):
    client.force_login(world["chair"])
    assert post_document(client, world, "c.pdf", minimal_pdf(), agency="police").status_code == 302


def test_another_agencys_coordinator_cannot_upload_or_see(client, world):
    client.force_login(world["police_coordinator"])
    assert post_document(client, world, "c.pdf", minimal_pdf()).status_code == 404
    assert ChronologyFile.objects.count() == 0


# Downloads -------------------------------------------------------------------------------------


@pytest.fixture
def document(client, world):
    client.force_login(world["housing_coordinator"])
    post_document(client, world, "Housing – chronology.pdf", minimal_pdf())
    client.logout()
    return ChronologyFile.objects.get()


def download_url(world, document):
    return reverse("chronology_file_download", args=[world["audit"].pk, document.pk])


def test_the_agencys_coordinator_downloads_the_original_bytes(client, world, document):
    client.force_login(world["housing_coordinator"])
    response = client.get(download_url(world, document))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == minimal_pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=utf-8''Housing%20%E2%80%93%20chronology.pdf" in (response["Content-Disposition"])
    )


def test_the_chair_downloads_any_agencys_file(client, world, document):
    client.force_login(world["chair"])
    assert client.get(download_url(world, document)).status_code == 200


def test_another_agencys_coordinator_gets_not_found(client, world, document):
    client.force_login(world["police_coordinator"])
    assert client.get(download_url(world, document)).status_code == 404


def test_qa_members_download_only_once_the_pack_is_released(client, world, document):
    client.force_login(world["qa_member"])
    assert client.get(download_url(world, document)).status_code == 404
    world["audit"].pack_released_at = timezone.now()
    world["audit"].save()
    assert client.get(download_url(world, document)).status_code == 200


def test_outsiders_get_not_found(client, world, document, outsider):
    client.force_login(outsider)
    assert client.get(download_url(world, document)).status_code == 404


def test_a_file_reached_through_another_audit_is_not_found(client, world, document, chair):
    from .factories import AuditFactory

    other = AuditFactory(partnership=world["audit"].partnership)
    client.force_login(chair)
    url = reverse("chronology_file_download", args=[other.pk, document.pk])
    assert client.get(url).status_code == 404


def test_there_is_no_public_media_url(client, world, document):
    client.force_login(world["chair"])
    relative = document.file.name
    for prefix in ("/media/", "/"):
        assert client.get(prefix + relative).status_code == 404


# Templates ---------------------------------------------------------------------------------


def test_the_csv_template_has_the_headings_and_an_example(client, world):
    client.force_login(world["housing_coordinator"])
    response = client.get(reverse("chronology_template", args=[world["audit"].pk, "csv"]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Date,Event,Source agency,Impact,Action taken"
    assert lines[1].startswith("23/11/2026,")


def test_the_xlsx_template_has_a_bold_frozen_header(client, world):
    from openpyxl import load_workbook

    client.force_login(world["housing_coordinator"])
    response = client.get(reverse("chronology_template", args=[world["audit"].pk, "xlsx"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == [
        "Date",
        "Event",
        "Source agency",
        "Impact",
        "Action taken",
    ]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet["A2"].value == "23/11/2026"


def test_other_template_formats_are_not_found(client, world, outsider):
    client.force_login(world["chair"])
    assert client.get(f"/audits/{world['audit'].pk}/chronology-template.pdf").status_code == 404
    client.force_login(outsider)
    url = reverse("chronology_template", args=[world["audit"].pk, "csv"])
    assert client.get(url).status_code == 404


# Memory --------------------------------------------------------------------------------------


def test_a_20_mb_upload_is_streamed_not_held_in_memory(world, media_root, capsys):
    """Peak memory growth while the view takes a 20 MB file stays a small fraction of its size."""
    size = 20 * 1024 * 1024
    line = b"% padding line to make a large PDF for the memory test............\n"
    pdf = minimal_pdf()
    header = len(b"%PDF-1.4\n")  # padded after it, so the file still ends as a PDF ends
    content = pdf[:header] + line * ((size - len(pdf)) // len(line)) + pdf[header:]
    body = encode_multipart(BOUNDARY, {"document": upload("big.pdf", content)})
    request = RequestFactory().generic(
        "POST", upload_url(world), body, content_type=MULTIPART_CONTENT
    )
    request.user = world["housing_coordinator"]
    request._messages = CookieStorage(request)
    del content, body
    default_storage.exists("warm-up")  # an object store's client loads its models once
    tracemalloc.start()
    try:
        response = views.chronology_file_upload(
            request,
            pk=world["audit"].pk,
            case_id=world["case"].pk,
            agency_id=world["housing"].pk,
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        for uploaded in request.FILES.values():
            uploaded.close()
    assert response.status_code == 302
    document = ChronologyFile.objects.get()
    assert document.size > 19 * 1024 * 1024
    with capsys.disabled():
        print(
            f"\n[memory] peak growth while uploading {document.size / 2**20:.1f} MB: "
            f"{peak / 2**20:.2f} MB"
        )
    assert peak < 4 * 1024 * 1024


def test_plain_prose_is_not_taken_for_a_csv():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases import uploads

    prose = SimpleUploadedFile("notes.txt", b"just some text\nwith no columns\n")
    assert uploads.inspect(prose).kind is None
    table = SimpleUploadedFile("rows.csv", b"Date;Event\n2026;Visit\n")
    assert uploads.inspect(table).kind == uploads.CSV


def test_what_is_past_the_size_limit_is_never_kept(settings, rf):
    """A too-large upload is counted, not stored: the form gets its size and no content."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from maca.upload_handlers import OversizedUpload

    settings.MACA_UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.pdf", b"%" * 5000, content_type="application/pdf")
    small = SimpleUploadedFile("small.pdf", b"%" * 500, content_type="application/pdf")
    request = rf.post("/", {"file": big, "other": small, "note": "kept"})
    assert request.POST["note"] == "kept"
    refused, accepted = request.FILES["file"], request.FILES["other"]
    assert isinstance(refused, OversizedUpload)
    assert (refused.name, refused.size, refused.read()) == ("big.pdf", 5000, b"")
    assert accepted.size == 500 and accepted.read() == b"%" * 500


def test_no_chronology_for_a_case_the_agency_is_not_involved_in(client, world, media_root):
    world["case"].agencies.set([world["police"]])
    for user in (world["housing_coordinator"], world["chair"]):
        client.force_login(user)
        page = client.get(page_url(world)).content.decode()
        assert "Housing is not involved in Case 1" in page
        assert "Upload document" not in page
        response = post_document(client, world, "chronology.pdf", minimal_pdf())
        assert response.status_code == 403
        assert "Housing is not involved in Case 1" in text(response)
        assert ChronologyFile.objects.count() == 0
        assert stored_files(media_root) == []


def test_the_case_page_says_an_agency_not_involved_is_asked_nothing(client, world):
    """As the progress page does: no "Not uploaded" or "Not started" for an agency that is not
    involved in the case, and its work still listed if it gave some all the same."""
    world["case"].agencies.set([world["police"]])
    client.force_login(world["chair"])
    url = reverse("case_detail", args=[world["case"].audit_id, world["case"].pk])
    page = plain(client.get(url))
    assert "Housing Not involved in this case: nothing is asked of Housing." in page
    assert page.count("Not uploaded") == 1 and page.count("Not started") == 1  # the police's
    tool = reverse(
        "tool_answer", args=[world["case"].audit_id, world["case"].pk, world["housing"].pk]
    )
    tool_page = plain(client.get(tool))
    assert "Not involved" in tool_page and "Not started" not in tool_page
    world["case"].agencies.set([])  # none recorded: every agency taking part is asked
    page = plain(client.get(url))
    assert "Not involved" not in page and page.count("Not uploaded") == 2


def test_the_page_says_a_document_or_rows_either_count_as_the_chronology(client, world):
    either = "Either one counts as your chronology for Case 1."
    client.force_login(world["housing_coordinator"])
    assert either in text(client.get(page_url(world)))
    world["audit"].pack_released_at = timezone.now()
    world["audit"].save()
    client.force_login(world["qa_member"])  # reads only: nothing to give
    assert either not in text(client.get(page_url(world)))
