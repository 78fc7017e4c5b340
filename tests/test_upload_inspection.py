"""What an upload is, read from its content in chunks: its size, its fingerprint, its text
encoding and its kind, and what each refusal tells the person who chose the file. These call
`cases.uploads` directly, without a page or a database."""

import hashlib
import io
import logging
import tracemalloc
import zipfile
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from cases import uploads
from cases.services.chronology import (
    DOCUMENT_DESCRIBED,
    DOCUMENT_KINDS,
    ROWS_DESCRIBED,
    ROWS_KINDS,
)

from .test_chronology_files import PNG, minimal_docx, minimal_pdf, minimal_xlsx
from .test_upload_bounds import CELL, JPEG, LIMITS, SHEET_NS, workbook

CHUNK = uploads.CHUNK_SIZE
HEADINGS = b"Date,Event,Source agency,Impact,Action taken\r\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56
ALL_KINDS = ("pdf", "docx", "xlsx", "csv", "png", "jpeg")


def inspected(content: bytes, name: str = "chronology.csv"):
    """As a file spooled to disk is read: in chunks of the size asked for."""
    upload = File(io.BytesIO(content), name=name)
    upload.seek(3)  # somewhere else: what read it last left it there
    return uploads.inspect(upload), upload


def upload_of(content: bytes, name: str = "c.pdf"):
    return SimpleUploadedFile(name, content)


def refusal(content: bytes, name: str, allowed=DOCUMENT_KINDS, described=DOCUMENT_DESCRIBED):
    with pytest.raises(ValidationError) as raised:
        uploads.accept(SimpleUploadedFile(name, content), allowed, described)
    return raised.value


# Reading the content -------------------------------------------------------------------------


def test_a_file_of_many_chunks_is_measured_and_fingerprinted_whole_and_left_at_its_start():
    content = HEADINGS + b"01/02/2026,Home visit,,,\r\n" * 12_000
    assert len(content) > 4 * CHUNK
    inspection, upload = inspected(content)
    assert inspection.size == len(content)
    assert inspection.sha256 == hashlib.sha256(content).hexdigest()
    assert (inspection.kind, inspection.encoding) == (uploads.CSV, "utf-8-sig")
    assert upload.read() == content  # the next reader starts at the beginning


def test_a_nul_byte_anywhere_makes_the_file_binary_not_text():
    late = HEADINGS + b"x" * (2 * CHUNK) + b"\x00" + b"y" * CHUNK
    early = b"Date,Event\x00\r\n" + b"y" * (2 * CHUNK)
    for content in (late, early):
        inspection, _ = inspected(content)
        assert (inspection.kind, inspection.encoding) == (None, None)


def test_a_character_split_between_two_chunks_is_still_utf_8():
    content = HEADINGS + b"a" * (CHUNK - len(HEADINGS) - 1) + "é visit\r\n".encode()
    assert content[CHUNK - 1 : CHUNK + 1] == "é".encode()
    inspection, _ = inspected(content)
    assert (inspection.kind, inspection.encoding) == (uploads.CSV, "utf-8-sig")


def test_windows_1252_text_is_read_as_windows_1252_wherever_it_stops_being_utf_8():
    for content in (
        HEADINGS + b"01/02/2026,Caf\xe9 visit,,,\r\n",
        HEADINGS + b"a" * (2 * CHUNK) + b"\x93quoted\x94\r\n",
        HEADINGS + b"01/02/2026,Visit \xc3",  # ends part-way through a UTF-8 character
    ):
        inspection, _ = inspected(content)
        assert (inspection.kind, inspection.encoding) == (uploads.CSV, "cp1252")


def test_text_that_is_neither_utf_8_nor_windows_1252_is_no_table():
    for content in (
        HEADINGS + b"\x81\x8d\r\n",
        HEADINGS + "é".encode() * CHUNK + b"\x81\r\n",  # Windows-1252 fails in a later chunk
    ):
        inspection, _ = inspected(content)
        assert (inspection.kind, inspection.encoding) == (None, None)


def test_a_table_whose_first_8_kb_end_inside_a_character_is_still_a_table():
    content = HEADINGS + b"a" * (uploads.HEAD_BYTES - len(HEADINGS) - 1) + "é,\r\n".encode() * 9
    assert content[uploads.HEAD_BYTES - 1 : uploads.HEAD_BYTES + 1] == "é".encode()
    inspection, _ = inspected(content)
    assert inspection.kind == uploads.CSV


@pytest.mark.parametrize("heading", [b"Date,Event", b"Date;Event", b"Date\tEvent", b"X<Y,Z"])
def test_a_table_may_be_split_by_commas_semicolons_or_tabs(heading):
    inspection, _ = inspected(heading + b"\r\n2026,Visit\r\n")
    assert inspection.kind == uploads.CSV


def test_a_table_may_open_with_up_to_ten_lines_of_a_title_above_its_headings():
    title = b"Chronology for Case 1\r\n"
    assert inspected(title * uploads.TITLE_LINES + HEADINGS)[0].kind == uploads.CSV
    assert inspected(title * (uploads.TITLE_LINES + 1) + HEADINGS)[0].kind is None
    assert inspected(title * 3)[0].kind is None  # text with no column anywhere


def test_the_heading_line_is_the_first_split_by_a_comma_semicolon_or_tab():
    assert uploads.heading_line("Title\nAgency\nDate;Event\nx,y") == "Date;Event"
    assert uploads.heading_line("Date\tEvent") == "Date\tEvent"
    assert uploads.heading_line("Title\n\nNo columns") is None


def test_binary_empty_and_document_contents_are_named_for_what_they_are():
    png = inspected(PNG)[0]
    assert (png.kind, png.detected, png.encoding) == (None, "png", None)
    empty = inspected(b"")[0]
    assert (empty.kind, empty.size, empty.detected) == (None, 0, None)
    assert inspected(minimal_pdf())[0].kind == uploads.PDF
    assert inspected(minimal_docx())[0].kind == uploads.DOCX
    assert inspected(minimal_xlsx())[0].kind == uploads.XLSX
    assert inspected(b"\xef\xbb\xbf")[0].kind is None  # only a byte order mark


@pytest.mark.parametrize(
    "before", ["\ufeff", " ", "\t", "\r", "\n", "\ufeff\ufeff \r\n\t", "\ufeff" * 3]
)
def test_markup_after_any_leading_space_or_byte_order_mark_is_refused(before):
    content = (before + '<svg onload="alert(1)">Date,Event</svg>').encode()
    for allowed, described in ((DOCUMENT_KINDS, DOCUMENT_DESCRIBED), (ROWS_KINDS, ROWS_DESCRIBED)):
        error = refusal(content, "chronology.csv", allowed, described)
        assert error.code == "wrong_type"
        assert error.message == (
            f"This file is not {described}: its contents are a web page, picture or other "
            "markup (HTML, SVG or XML), which can't be uploaded. Files are checked by their "
            "contents, not by their names."
        )


def test_markup_with_a_byte_order_mark_but_windows_1252_text_is_refused():
    content = b"\xef\xbb\xbf<svg><text>\x93Date\x94,Event</text></svg>"
    assert uploads.inspect(SimpleUploadedFile("c.csv", content)).encoding == "cp1252"
    error = refusal(content, "chronology.csv", ROWS_KINDS, ROWS_DESCRIBED)
    assert "web page, picture or other markup" in error.message


# What a refusal says ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, looks_like",
    [(EXE, "an EXE"), (ELF, "an ELF"), (PNG, "a PNG"), (b"GIF89a" + b"\x00" * 20, "a GIF")],
)
def test_a_refused_file_says_what_its_contents_look_like(content, looks_like):
    error = refusal(content, "chronology.pdf")
    assert error.code == "wrong_type"
    assert error.message == (
        f"This file is not {DOCUMENT_DESCRIBED}. Its contents look like {looks_like} file. "
        "Files are checked by their contents, not by their names."
    )


def test_a_file_of_no_known_kind_says_only_that_it_is_not_what_was_asked_for():
    error = refusal(b"just some prose\nwith no columns\n", "notes.txt")
    assert error.message == (
        f"This file is not {DOCUMENT_DESCRIBED}. Files are checked by their contents, "
        "not by their names."
    )


@pytest.mark.parametrize(
    "content, name, says",
    [
        (minimal_pdf(), "c.csv", "The file is named .csv but its contents are not a CSV file."),
        (minimal_pdf(), "c.DOCX", "The file is named .docx but its contents are not a Word"),
        (minimal_docx(), "c.xlsx", "The file is named .xlsx but its contents are not an Excel"),
        (minimal_xlsx(), "c.pdf", "The file is named .pdf but its contents are not a PDF."),
        (HEADINGS, "c.txt.pdf", "The file is named .pdf but its contents are not a PDF."),
    ],
)
def test_a_name_claiming_another_kind_is_refused(content, name, says):
    error = refusal(content, name)
    assert error.code == "wrong_type"
    assert error.message.startswith(says)
    assert error.message.endswith(" Check that you chose the right file.")


@pytest.mark.parametrize("name", ["chronology", "chronology.dat", "chronology.CSV.bak"])
def test_a_table_must_be_named_csv(name):
    error = refusal(HEADINGS, name)
    assert error.code == "wrong_type"
    assert error.message == (
        f"This file is not {DOCUMENT_DESCRIBED}. A CSV file's name ends in .csv."
    )


@pytest.mark.parametrize(
    "content, name, kind",
    [
        (HEADINGS, "chronology.csv", "csv"),
        (HEADINGS, "CHRONOLOGY.CSV", "csv"),
        (HEADINGS, "chronology.txt", "csv"),
        (minimal_pdf(), "chronology", "pdf"),
        (minimal_pdf(), "Chronology.PDF", "pdf"),
        (minimal_docx(), "c.docx", "docx"),
        (minimal_xlsx(), "c.xlsx", "xlsx"),
    ],
)
def test_documents_named_for_what_they_hold_are_accepted(content, name, kind):
    inspection, accepted = uploads.accept(
        SimpleUploadedFile(name, content), DOCUMENT_KINDS, DOCUMENT_DESCRIBED
    )
    assert accepted == kind and inspection.kind == kind


@pytest.mark.parametrize("name", ["setup.EXE", "page.Html", "run.bat", "picture.svg"])
def test_names_a_computer_would_run_or_open_as_a_page_are_refused_in_any_case(name):
    error = refusal(minimal_pdf(), name)
    suffix = name[name.rindex(".") :].lower()
    assert error.code == "dangerous_name"
    assert error.message == (
        f"Files named {suffix} can't be uploaded: a computer would run it or open it as a web "
        f"page. Save it as {DOCUMENT_DESCRIBED} and upload that."
    )
    logo = refusal(minimal_pdf(), name, ("png", "jpg"), "a PNG or JPEG picture").message
    assert logo.endswith("Save it as a PNG or JPEG picture and upload that.")
    with pytest.raises(ValidationError) as raised:
        uploads.check_kind(uploads.inspect(upload_of(minimal_pdf())), name, ("pdf",), "a PDF")
    assert raised.value.code == "dangerous_name"


def test_a_file_with_no_name_is_judged_by_its_content():
    uploads.check_name(None, "a PDF")
    upload = SimpleUploadedFile("x", minimal_pdf())
    upload.name = None
    assert uploads.accept(upload, DOCUMENT_KINDS, DOCUMENT_DESCRIBED)[1] == uploads.PDF


# Images (evidence) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, name, kind",
    [
        (PNG, "poster.png", "png"),
        (PNG, "poster", "png"),
        (JPEG, "poster.JPG", "jpeg"),
        (JPEG, "poster.jpeg", "jpeg"),
        (minimal_pdf(), "minutes.pdf", "pdf"),
    ],
)
def test_evidence_accepts_photographs_and_documents_named_for_what_they_hold(content, name, kind):
    assert uploads.accept(SimpleUploadedFile(name, content), ALL_KINDS, "evidence")[1] == kind


CHECK = "Check that you chose the right file."


@pytest.mark.parametrize(
    "content, name, says",
    [
        (PNG, "poster.jpg", "The file is named .jpg but its contents are a PNG image. " + CHECK),
        (JPEG, "poster.png", "The file is named .png but its contents are a JPEG image. " + CHECK),
        (PNG, "minutes.pdf", "The file is named .pdf but its contents are a PNG image. " + CHECK),
        (
            minimal_pdf(),
            "poster.JPEG",
            "The file is named .jpeg but its contents are not a JPEG image. " + CHECK,
        ),
        (
            minimal_pdf(),
            "poster.png",
            "The file is named .png but its contents are not a PNG image. " + CHECK,
        ),
        (PNG, "poster.html", "Files named .html can't be uploaded"),
    ],
)
def test_evidence_named_as_another_kind_is_refused(content, name, says):
    error = refusal(content, name, ALL_KINDS, "evidence")
    assert error.message.startswith(says)
    assert error.code in ("wrong_type", "dangerous_name")


def test_a_photograph_is_refused_where_only_documents_are_asked_for():
    error = refusal(PNG, "poster.png")
    assert "Its contents look like a PNG file." in error.message


# Sizes and names ------------------------------------------------------------------------------


def test_sizes_are_taken_up_to_the_limit_and_refused_past_it(settings):
    settings.MACA_UPLOAD_MAX_BYTES = 100
    uploads.check_size(1)
    uploads.check_size(100)
    for size in (0, None):
        with pytest.raises(ValidationError) as raised:
            uploads.check_size(size)
        assert raised.value.code == "empty"
        assert raised.value.message == "The file is empty. Choose the file again."
    with pytest.raises(ValidationError) as raised:
        uploads.check_size(101)
    assert raised.value.code == "too_large"
    assert raised.value.message == (
        "The file is 101 bytes (0.00 MB): files can be up to 100\xa0bytes (100 bytes)."
    )


def test_the_size_read_is_checked_as_well_as_the_size_announced(settings):
    settings.MACA_UPLOAD_MAX_BYTES = 100
    upload = SimpleUploadedFile("c.csv", HEADINGS * 3)
    upload.size = 50  # what the browser said
    with pytest.raises(ValidationError) as raised:
        uploads.accept(upload, DOCUMENT_KINDS, DOCUMENT_DESCRIBED)
    assert raised.value.code == "too_large"


@pytest.mark.parametrize(
    "name, kind, kept",
    [
        ("/home/me/minutes", "pdf", "minutes.pdf"),
        ("rows.txt", "csv", "rows.txt.csv"),
        ("rows.CSV", "csv", "rows.CSV"),
        ("photo.JPEG", "jpeg", "photo.JPEG"),
        ("photo.png", "jpeg", "photo.png.jpg"),
        (None, "xlsx", "file.xlsx"),
        ("  \t", "docx", "file.docx"),
        (" tab\tbed .pdf ", "pdf", "tabbed .pdf"),
    ],
)
def test_a_kept_name_carries_the_extension_of_its_contents_and_nothing_unprintable(
    name, kind, kept
):
    assert uploads.display_name(name, kind) == kept


def test_a_long_name_is_cut_to_255_characters_keeping_its_extension():
    assert uploads.display_name("a" * 251 + ".pdf", "pdf") == "a" * 251 + ".pdf"
    cut = uploads.display_name("b" * 300 + ".pdf", "pdf")
    assert cut == "b" * 251 + ".pdf"
    assert uploads.display_name("c" * 300 + ".x" * 20, "docx") == "c" * 250 + ".docx"


# Word and Excel archives -----------------------------------------------------------------------


def test_a_damaged_workbook_or_document_says_which_program_to_save_it_from_again():
    for content, kind, says in (
        (minimal_xlsx()[:-40], "xlsx", "The workbook is damaged or cut short"),
        (minimal_docx()[:-40], "docx", "The document is damaged or cut short"),
    ):
        upload = SimpleUploadedFile(f"c.{kind}", content)
        with pytest.raises(ValidationError) as raised:
            uploads.check_archive(upload, kind)
        program = "Excel" if kind == "xlsx" else "Word"
        assert raised.value.code == "damaged"
        assert raised.value.message == (
            f"{says}, so it can't be read. Save it again from {program} and upload it again."
        )
        assert upload.tell() == 0


def test_only_word_and_excel_files_are_opened_as_archives():
    for kind in ("pdf", "csv", "png"):
        uploads.check_archive(SimpleUploadedFile("c", b"not a zip"), kind)


def _archive(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b" " * size)
    return out.getvalue()


def test_an_archive_unpacking_to_exactly_the_limit_is_read_in_small_pieces():
    upload = SimpleUploadedFile("c.docx", _archive(uploads.MAX_UNPACKED_BYTES))
    tracemalloc.start()
    try:
        uploads.check_archive(upload, "docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024
    assert upload.tell() == 0


def test_an_archive_unpacking_past_the_limit_is_refused_with_its_size():
    upload = SimpleUploadedFile("c.xlsx", _archive(uploads.MAX_UNPACKED_BYTES + 1))
    with pytest.raises(ValidationError) as raised:
        uploads.check_archive(upload, "xlsx")
    assert raised.value.code == "unpacks_too_large"
    assert raised.value.message == (
        "The workbook unpacks to 50.0\xa0MB, more than any workbook MACA keeps (up to "
        "50\xa0MB). Save it again without pictures or extra sheets, or as PDF, and upload that."
    )
    assert upload.tell() == 0


def check_sheet(rows, strings=0, limits=LIMITS):
    uploads.check_archive(
        SimpleUploadedFile("a.xlsx", workbook(rows, strings)), "xlsx", sheet_limits=limits
    )


def too_large(rows, strings=0, limits=LIMITS):
    with pytest.raises(uploads.SheetTooLarge) as raised:
        check_sheet(rows, strings, limits)
    return raised.value


def test_each_sheet_limit_names_itself_and_its_number():
    assert vars(too_large([CELL] * 4)) == {"what": "rows", "limit": 3, "row": None}
    assert vars(too_large([CELL * 4, CELL * 4, CELL * 3])) == {
        "what": "cells",
        "limit": 10,
        "row": None,
    }
    assert vars(too_large([CELL, CELL * 5])) == {"what": "cells in a row", "limit": 4, "row": 2}
    assert vars(too_large([], strings=6)) == {"what": "pieces of text", "limit": 5, "row": None}
    error = too_large([], strings=5, limits=uploads.SheetLimits(9, 9, 9, 9, elements=10))
    assert vars(error) == {"what": "XML elements", "limit": 10, "row": None}
    assert str(error) == "XML elements"


def test_a_part_of_exactly_the_elements_allowed_is_taken():
    # The shared strings part: <sst> and, for each of 5 strings, <si><t>: 11 elements.
    check_sheet([], strings=5, limits=uploads.SheetLimits(9, 9, 9, 9, elements=11))


def test_a_sheet_written_with_a_namespace_prefix_is_counted_the_same():
    rows = [b"<x:c><x:v>1</x:v></x:c>"] * 4
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook([]))) as original,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy,
    ):
        for part in original.infolist():
            data = original.read(part.filename)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = (
                    f'<?xml version="1.0"?><x:worksheet xmlns:x="{SHEET_NS}"><x:sheetData>'.encode()
                    + b"".join(b"<x:row>" + cells + b"</x:row>" for cells in rows)
                    + b"</x:sheetData></x:worksheet>"
                )
            copy.writestr(part.filename, data)
    with pytest.raises(uploads.SheetTooLarge) as raised:
        uploads.check_archive(
            SimpleUploadedFile("a.xlsx", out.getvalue()), "xlsx", sheet_limits=LIMITS
        )
    assert raised.value.what == "rows"


def test_rows_past_the_first_chunk_of_a_sheet_are_counted_too():
    long_text = b'<c t="inlineStr"><is><t>' + b"x" * (2 * CHUNK) + b"</t></is></c>"
    error = too_large([long_text, CELL, CELL, CELL])
    assert error.what == "rows"


def test_a_picture_inside_a_workbook_is_not_counted_as_cells():
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook([CELL] * 3))) as original,
        zipfile.ZipFile(out, "w") as copy,
    ):
        for part in original.infolist():
            copy.writestr(part.filename, original.read(part.filename))
        copy.writestr("xl/media/image1.png", PNG + b"<row>" * 10 + PNG * 3000)
    uploads.check_archive(SimpleUploadedFile("a.xlsx", out.getvalue()), "xlsx", sheet_limits=LIMITS)


# Downloads -------------------------------------------------------------------------------------


class _Unreachable:
    def __init__(self, error):
        self.error = error

    def open(self, mode):
        raise self.error


def test_a_missing_file_is_not_found():
    for error in (FileNotFoundError(), ValueError()):
        record = SimpleNamespace(file=_Unreachable(error), original_name="c.pdf", kind="pdf")
        with pytest.raises(Http404) as raised:
            uploads.download_response(record)
        assert str(raised.value) == "The file is missing."


def test_a_file_store_that_cannot_be_reached_says_to_try_again_and_is_logged(caplog):
    record = SimpleNamespace(file=_Unreachable(PermissionError()), original_name="c", kind="pdf")
    with caplog.at_level(logging.ERROR, logger="cases.uploads"):
        response = uploads.download_response(record)
    assert response.status_code == 503
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("The file cannot be fetched just now.")
    assert [r.getMessage() for r in caplog.records] == ["Fetching a stored file failed"]


class _Stored:
    def __init__(self, content: bytes):
        self.content = content

    def open(self, mode):
        return io.BytesIO(self.content)


@pytest.mark.parametrize(
    "kind, content_type",
    [
        ("pdf", "application/pdf"),
        ("csv", "text/csv"),
        ("docx", uploads.CONTENT_TYPES["docx"]),
        ("jpeg", "image/jpeg"),
    ],
)
def test_a_download_is_an_attachment_never_sniffed_or_kept_by_the_browser(kind, content_type):
    record = SimpleNamespace(file=_Stored(b"held"), original_name="Case 1 notes", kind=kind)
    response = uploads.download_response(record)
    extension = uploads.FILE_EXTENSIONS[kind]
    assert response["Content-Disposition"] == f'attachment; filename="Case 1 notes.{extension}"'
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == b"held"


def test_a_name_one_past_255_characters_is_cut_to_255():
    assert uploads.display_name("a" * 252 + ".pdf", "pdf") == "a" * 251 + ".pdf"


# Keeping a file with its record ----------------------------------------------------------------


@pytest.fixture
def kept(db, media_root):
    from cases.models import ChronologyFile

    from .factories import AgencyFactory, CaseFactory, UserFactory

    case = CaseFactory(label="Case 1")
    agency = AgencyFactory(name="Housing")
    user = UserFactory()

    def record():
        return ChronologyFile(
            case=case,
            agency=agency,
            original_name="c.pdf",
            kind="pdf",
            size=len(minimal_pdf()),
            sha256=hashlib.sha256(minimal_pdf()).hexdigest(),
            uploaded_by=user,
        )

    return record


def test_a_file_kept_with_its_record_is_stored_under_a_name_of_its_own(kept):
    from .conftest import stored_files

    record = uploads.store_with_record(
        kept(), SimpleUploadedFile("c.pdf", minimal_pdf()), "chronology.pdf"
    )
    record.refresh_from_db()
    assert record.file.read() == minimal_pdf()
    assert stored_files() == [record.file.name]


def test_the_same_file_kept_a_moment_ago_by_another_press_is_refused_and_leaves_nothing(kept):
    from .conftest import stored_files

    first = uploads.store_with_record(
        kept(), SimpleUploadedFile("c.pdf", minimal_pdf()), "chronology.pdf"
    )
    with pytest.raises(ValidationError) as raised:
        uploads.store_with_record(
            kept(), SimpleUploadedFile("c.pdf", minimal_pdf()), "chronology.pdf"
        )
    assert raised.value.code == "duplicate"
    assert raised.value.message == "This file has just been uploaded here. Choose another file."
    assert stored_files() == [first.file.name]
    assert type(first).objects.get().pk == first.pk


def test_a_file_store_that_refuses_keeps_no_record_says_so_and_is_logged(kept, monkeypatch, caplog):
    record = kept()

    def refuse(*args, **kwargs):
        raise PermissionError("the store is down")

    monkeypatch.setattr(record.file.storage, "save", refuse)
    upload = SimpleUploadedFile("c.pdf", minimal_pdf())
    with (
        caplog.at_level(logging.ERROR, logger="cases.uploads"),
        pytest.raises(ValidationError) as raised,
    ):
        uploads.store_with_record(record, upload, "chronology.pdf")
    assert raised.value.code == "storage_unavailable"
    assert raised.value.message.startswith("The file could not be stored just now")
    assert not type(record).objects.exists()
    assert [r.getMessage() for r in caplog.records] == ["Storing an upload failed"]


def test_a_record_that_fails_to_save_leaves_neither_file_nor_record(kept):
    from django.db import OperationalError

    from .conftest import stored_files

    record = kept()
    real_save, calls = record.save, []

    def save_failing_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("the database went away for a moment")
        return real_save(*args, **kwargs)

    record.save = save_failing_once
    with pytest.raises(OperationalError):
        uploads.store_with_record(record, SimpleUploadedFile("c.pdf", minimal_pdf()), "c.pdf")
    assert not type(record).objects.exists()
    assert stored_files() == []


def test_accepting_checks_the_archive_and_the_sheet_limits_asked_for():
    error = refusal(minimal_docx()[:-40], "c.docx")
    assert error.code == "damaged"
    with pytest.raises(uploads.SheetTooLarge):
        uploads.accept(
            SimpleUploadedFile("c.xlsx", workbook([CELL] * 4)),
            ROWS_KINDS,
            ROWS_DESCRIBED,
            sheet_limits=LIMITS,
        )


# A PDF must be whole -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.4",  # only its first bytes
        b"%PDF-1.7 not really a document",
        None,  # a real PDF cut short before its end
        None,  # a real PDF with more than 1 KB after its end
    ],
    ids=["header-only", "not-a-document", "cut-short", "end-too-far-back"],
)
def test_a_file_that_only_begins_like_a_pdf_is_refused_as_not_whole(content, request):
    pdf = minimal_pdf()
    content = {
        "cut-short": pdf[: len(pdf) // 2],
        "end-too-far-back": pdf + b" " * (uploads.PDF_END_BYTES + 1),
    }.get(request.node.callspec.id, content)
    error = refusal(content, "chronology.pdf")
    assert error.code == "not_whole"
    assert error.message == (
        "This PDF is not whole: it stops before a PDF's end, so it was probably cut short while "
        "it was saved or sent. Save or download it again, check that it opens, and upload that."
    )


def test_a_pdf_whose_end_marker_falls_across_two_chunks_or_is_followed_by_a_line_end_is_taken():
    pdf = minimal_pdf()
    header = len(b"%PDF-1.4\n")
    # A comment line after the header that puts "%%EOF" across the first two chunks read.
    padding = b"%" + b"." * (CHUNK - 4 - pdf.index(b"%%EOF")) + b"\n"
    content = pdf[:header] + padding + pdf[header:] + b"\r\n"
    assert content.index(b"%%EOF") < CHUNK < content.index(b"%%EOF") + 5
    upload = SimpleUploadedFile("chronology.pdf", content)
    assert uploads.accept(upload, DOCUMENT_KINDS, DOCUMENT_DESCRIBED)[1] == uploads.PDF


@pytest.mark.parametrize("name", ["minutes.doc", "chronology.xls", "chronology.docx"])
def test_an_older_or_password_protected_office_file_is_refused_saying_how_to_save_it(name):
    content = uploads.OLD_OFFICE_SIGNATURE + bytes(512)
    error = refusal(content, name)
    assert error.code == "wrong_type"
    assert error.message == (
        f"This file is not {DOCUMENT_DESCRIBED}: it is an older Office file (such as a .doc or "
        ".xls from Office 97-2003), or one protected by a password, which can't be read. Open "
        f"it, take off any password, and save it as {DOCUMENT_DESCRIBED}, then upload that."
    )


def _docx_of(names) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", minimal_docx_types())
        for name in names:
            archive.writestr(name, "")
    return buffer.getvalue()


def minimal_docx_types() -> str:
    with zipfile.ZipFile(io.BytesIO(minimal_docx())) as archive:
        return archive.read("[Content_Types].xml").decode()


def test_a_word_file_without_its_document_part_is_refused_as_damaged():
    error = refusal(_docx_of(["word/styles.xml"]), "chronology.docx")
    assert error.code == "damaged"
    assert error.message.startswith("The document is damaged or cut short")
    # Word on the web names its main part "document2.xml", and the like.
    upload = SimpleUploadedFile("c.docx", _docx_of(["word/document2.xml"]))
    assert uploads.accept(upload, DOCUMENT_KINDS, DOCUMENT_DESCRIBED)[1] == uploads.DOCX


def test_a_word_file_of_too_many_parts_is_refused_before_they_are_read(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PARTS", 3)
    error = refusal(_docx_of(["word/document.xml", "a.xml", "b.xml"]), "chronology.docx")
    assert error.code == "too_many_parts"
    assert error.message == (
        "The document is made of 4 parts, more than any document MACA keeps (up to 3). Save it "
        "again from Word, or as PDF, and upload that."
    )
    upload = SimpleUploadedFile("c.docx", _docx_of(["word/document.xml", "a.xml"]))
    assert uploads.accept(upload, DOCUMENT_KINDS, DOCUMENT_DESCRIBED)[1] == uploads.DOCX


def test_a_workbook_of_too_many_parts_says_to_save_it_again_from_excel(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PARTS", 2)
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w") as archive,
        zipfile.ZipFile(io.BytesIO(minimal_xlsx())) as workbook,
    ):
        for part in workbook.infolist():
            archive.writestr(part, workbook.read(part))
    error = refusal(buffer.getvalue(), "rows.xlsx")
    assert error.code == "too_many_parts"
    assert error.message.startswith("The workbook is made of ")
    assert "Save it again from Excel, or as PDF" in error.message


DAMAGED = (
    "The file begins as {} but is damaged or cut short, so it would not open. Open it on your "
    "computer, save it again, and choose the saved copy."
)


@pytest.mark.parametrize(
    "content, name, kind",
    [
        (PNG[:8], "poster.png", "a PNG image"),  # the signature alone
        (PNG[:-12], "poster.png", "a PNG image"),  # its end chunk gone
        (PNG[:8] + b"\x00\x00\x00\x00NOPE" + PNG[16:], "poster.png", "a PNG image"),  # no header
        (JPEG[:-2], "photo.jpg", "a JPEG image"),  # its end marker gone
    ],
)
def test_a_picture_cut_short_or_damaged_is_refused_saying_how_to_mend_it(content, name, kind):
    refused = refusal(content, name, ALL_KINDS, "evidence")
    assert refused.messages == [DAMAGED.format(kind)]
    assert refused.code == "damaged"


def test_only_a_whole_png_or_jpeg_counts_as_a_whole_picture():
    assert inspected(PNG, "p.png")[0].whole_image
    assert inspected(JPEG + b"\x00" * 16, "p.jpg")[0].whole_image  # padding after its end
    # A phone's trailer, or a motion photo's video, after the picture's end.
    assert inspected(JPEG + b"\x17" * 200_000, "p.jpg")[0].whole_image
    assert inspected(PNG + b"\x17" * 200_000, "p.png")[0].whole_image
    # An end marker split across two of the chunks the file is read in.
    split = PNG[:-12] + b"\x00" * (uploads.CHUNK_SIZE - len(PNG) + 4) + PNG[-12:]
    assert split.index(b"IEND") == uploads.CHUNK_SIZE - 4
    assert inspected(split, "p.png")[0].whole_image
    assert not inspected(minimal_pdf(), "m.pdf")[0].whole_image
