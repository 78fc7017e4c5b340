"""Uploads are bounded and named by what they hold: a workbook's rows and cells are counted
before anything reads them, a damaged or swollen Word or Excel file is refused, names a
computer would run or open as a web page are refused, and a kept file carries its real
extension."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from cases import uploads
from cases.models import ChronologyEntry, ChronologyFile
from cases.services.chronology import (
    DOCUMENT_DESCRIBED,
    DOCUMENT_KINDS,
    ROWS_DESCRIBED,
    ROWS_KINDS,
    chronology_file_upload,
)

from . import test_chronology_files as chronology_files
from .bounds import MIB, cost
from .test_chronology_files import (
    PNG,
    minimal_docx,
    minimal_pdf,
    minimal_xlsx,
    post_document,
    stored_files,
    text,
)
from .test_chronology_rows import post_rows

pytestmark = pytest.mark.django_db
world = chronology_files.world
fast_passwords = chronology_files.fast_passwords

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 40
JPEG += b"\xff\xd9"  # the end of the image
CSV = b"Date,Event,Source agency,Impact,Action taken\r\n01/02/2026,Home visit,,,\r\n"

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def workbook(rows: list[bytes], strings: int = 0, styles: int = 0) -> bytes:
    """A workbook whose one sheet holds `rows` (each the XML of its cells), `strings` shared
    strings and, given `styles`, a stylesheet of that many cell styles, written part by part
    so that its shape is exactly what the test says."""
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>'
    )
    package_rels = (
        f'<?xml version="1.0"?><Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    book = (
        f'<?xml version="1.0"?><workbook xmlns="{SHEET_NS}" xmlns:r="{REL_NS}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    book_rels = (
        f'<?xml version="1.0"?><Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    sheet = (
        f'<?xml version="1.0"?><worksheet xmlns="{SHEET_NS}"><sheetData>'.encode()
        + b"".join(b"<row>" + cells + b"</row>" for cells in rows)
        + b"</sheetData></worksheet>"
    )
    shared = (
        f'<?xml version="1.0"?><sst xmlns="{SHEET_NS}">'.encode()
        + b"<si><t>x</t></si>" * strings
        + b"</sst>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", package_rels)
        archive.writestr("xl/workbook.xml", book)
        archive.writestr("xl/_rels/workbook.xml.rels", book_rels)
        archive.writestr("xl/sharedStrings.xml", shared)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if styles:
            archive.writestr(
                "xl/styles.xml",
                f'<?xml version="1.0"?><styleSheet xmlns="{SHEET_NS}"><cellXfs>'.encode()
                + b'<xf numFmtId="0"/>' * styles
                + b"</cellXfs></styleSheet>",
            )
    return out.getvalue()


EMPTY_TEXT_CELL = b'<c t="inlineStr"><is><t></t></is></c>'


def test_a_145_kb_sheet_of_a_million_empty_cells_is_refused_quickly(client, world):
    bomb = workbook([EMPTY_TEXT_CELL * 1_300_000])
    assert 100_000 < len(bomb) < 200_000
    client.force_login(world["housing_coordinator"])
    post_rows(client, world, "rows.xlsx", workbook([CELL * 3]))  # the page's first showing
    responses = []
    seconds, peak = cost(lambda: responses.append(post_rows(client, world, "rows.xlsx", bomb)))
    print(f"{seconds:.2f} s, {peak / MIB:.1f} MiB")
    assert "Row 1 of the workbook has more than 1,000 cells" in text(responses[-1])
    assert ChronologyEntry.objects.count() == 0
    assert seconds < 2 and peak < 100 * MIB, (seconds, peak / MIB)


LIMITS = uploads.SheetLimits(rows=3, cells_per_row=4, cells=10, strings=5, elements=200)
CELL = b"<c><v>1</v></c>"


@pytest.mark.parametrize(
    "at_the_limit, over_it, what",
    [
        ([CELL * 4], [CELL * 5], "cells in a row"),
        ([CELL] * 3, [CELL] * 4, "rows"),
        ([CELL * 4, CELL * 3, CELL * 3], [CELL * 4, CELL * 4, CELL * 3], "cells"),
    ],
)
def test_each_sheet_limit_takes_what_it_allows(at_the_limit, over_it, what):
    uploads.check_archive(
        SimpleUploadedFile("a.xlsx", workbook(at_the_limit)), "xlsx", sheet_limits=LIMITS
    )
    with pytest.raises(uploads.SheetTooLarge) as raised:
        uploads.check_archive(
            SimpleUploadedFile("a.xlsx", workbook(over_it)), "xlsx", sheet_limits=LIMITS
        )
    assert raised.value.what == what


def test_shared_strings_and_elements_are_limited_too():
    uploads.check_archive(
        SimpleUploadedFile("a.xlsx", workbook([], strings=5)), "xlsx", sheet_limits=LIMITS
    )
    with pytest.raises(uploads.SheetTooLarge) as raised:
        uploads.check_archive(
            SimpleUploadedFile("a.xlsx", workbook([], strings=6)), "xlsx", sheet_limits=LIMITS
        )
    assert raised.value.what == "pieces of text"
    many = [b"<c><is><r><t>1</t></r><r><t>2</t></r></is></c>"] * 2
    with pytest.raises(uploads.SheetTooLarge) as raised:
        uploads.check_archive(
            SimpleUploadedFile("a.xlsx", workbook(many * 1)),
            "xlsx",
            sheet_limits=uploads.SheetLimits(9, 9, 9, 9, elements=12),
        )
    assert raised.value.what == "XML elements"


def test_a_small_workbook_whose_stylesheet_holds_millions_of_styles_is_refused_quickly(
    client, world
):
    """openpyxl reads a stylesheet whole, into objects: 1.9 million styles cost it 1.5 GB and
    half a minute. Every part but the sheets and their text holds few elements."""
    bomb = workbook([CELL * 2], styles=1_900_000)
    assert len(bomb) < 200_000
    client.force_login(world["housing_coordinator"])
    post_rows(client, world, "rows.xlsx", workbook([CELL * 3]))  # the page's first showing
    responses = []
    seconds, peak = cost(lambda: responses.append(post_rows(client, world, "rows.xlsx", bomb)))
    print(f"{seconds:.2f} s, {peak / MIB:.1f} MiB")
    assert "more than 150,000 XML elements" in text(responses[-1])
    assert ChronologyEntry.objects.count() == 0
    limits = uploads.SheetLimits(9, 9, 9, 9, elements=1_000, other_elements=100)
    uploads.check_archive(
        SimpleUploadedFile("a.xlsx", workbook([], styles=98)), "xlsx", sheet_limits=limits
    )
    with pytest.raises(uploads.SheetTooLarge) as raised:
        uploads.check_archive(
            SimpleUploadedFile("a.xlsx", workbook([], styles=99)), "xlsx", sheet_limits=limits
        )
    assert (raised.value.what, raised.value.limit) == ("XML elements", 100)


@pytest.mark.parametrize(
    "content, said",
    [
        # Blank lines are rows too: counted, as a workbook's are.
        (b"Date,Event\n" + b"\n" * 3_000_000, "The file is longer than 20,000 rows"),
        # One line of commas is read as a line first, never split into millions of fields.
        (b"Date,Event\n" + b"," * 3_000_000, "A line of the file is longer than 1,000,000"),
        (b"Date,Event\n" + b"," * 1_000 + b"\n", "Row 2 of the file has more than 1,000 columns"),
        (b"Date,Event\r" + b"\r" * 3_000_000, "The file is longer than 20,000 rows"),
    ],
)
def test_a_csv_is_bounded_in_rows_line_length_and_columns_before_it_is_read(
    client, world, content, said
):
    client.force_login(world["housing_coordinator"])
    post_rows(client, world, "rows.csv", b"Date,Event\n01/01/2025,Seen\n")  # first showing
    ChronologyEntry.objects.all().delete()
    responses = []
    seconds, peak = cost(lambda: responses.append(post_rows(client, world, "rows.csv", content)))
    print(f"{seconds:.2f} s, {peak / MIB:.1f} MiB")
    assert said in text(responses[-1])
    assert ChronologyEntry.objects.count() == 0
    # The limits themselves: a row of 1,000 columns is read.
    wide = b"Date,Event" + b"," * 998 + b"\n01/01/2025,Seen" + b"," * 998 + b"\n"
    assert post_rows(client, world, "rows.csv", wide).status_code == 302


def _truncated(content: bytes) -> bytes:
    return content[: len(content) - 40]


def _corrupted(content: bytes) -> bytes:
    """Whole, but a part's packed bytes changed: its CRC no longer matches."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    part = max(archive.infolist(), key=lambda p: p.compress_size)
    start = part.header_offset + 30 + len(part.filename.encode()) + len(part.extra)
    middle = start + part.compress_size // 2
    return content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1 :]


def _swollen(content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as original, zipfile.ZipFile(out, "w") as padded:
        for part in original.infolist():
            padded.writestr(part, original.read(part.filename), zipfile.ZIP_DEFLATED)
        padded.writestr("docProps/padding.xml", b" " * (51 * MIB), zipfile.ZIP_DEFLATED)
    return out.getvalue()


@pytest.mark.parametrize("name, make", [("c.xlsx", minimal_xlsx), ("c.docx", minimal_docx)])
@pytest.mark.parametrize(
    "spoil, words",
    [
        (_truncated, "is damaged or cut short"),
        (_corrupted, "is damaged or cut short"),
        (_swollen, "unpacks to 51.0\xa0MB"),
    ],
)
def test_damaged_or_swollen_word_and_excel_documents_are_refused(
    client, world, media_root, name, make, spoil, words
):
    client.force_login(world["housing_coordinator"])
    response = post_document(client, world, name, spoil(make()))
    assert words in text(response)
    assert ChronologyFile.objects.count() == 0 and stored_files(media_root) == []


KINDS = {
    "pdf": minimal_pdf(),
    "docx": minimal_docx(),
    "xlsx": minimal_xlsx(),
    "csv": CSV,
    "png": PNG,
    "jpeg": JPEG,
}
MISLEADING = [
    ".bat",
    ".cmd",
    ".exe",
    ".hta",
    ".js",
    ".vbs",
    ".ps1",
    ".html",
    ".htm",
    ".svg",
    ".xml",
    ".xhtml",
    ".scr",
    ".com",
    ".msi",
    ".lnk",
]


@pytest.mark.parametrize("suffix", MISLEADING)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_under_every_misleading_name_is_refused(kind, suffix):
    for allowed, described in ((DOCUMENT_KINDS, DOCUMENT_DESCRIBED), (ROWS_KINDS, ROWS_DESCRIBED)):
        name = f"Chronology{suffix.upper() if kind == 'png' else suffix}"
        with pytest.raises(ValidationError) as raised:
            uploads.accept(SimpleUploadedFile(name, KINDS[kind]), allowed, described)
        assert raised.value.code == "dangerous_name", (kind, suffix)
    with pytest.raises(ValidationError):
        uploads.accept(
            SimpleUploadedFile(f"evidence{suffix}", KINDS[kind]),
            ("pdf", "docx", "xlsx", "csv", "png", "jpeg"),
            "evidence",
        )


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body>Date,Event</body></html>",
        b"\xef\xbb\xbf  <html>,<script>alert(1)</script>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">a,b</svg>',
        b'<?xml version="1.0"?><a>Date,Event</a>',
        b"\r\n\t<script>Date,Event</script>",
    ],
)
@pytest.mark.parametrize("name", ["chronology.csv", "chronology.txt", "chronology"])
def test_web_pages_and_markup_are_refused_whatever_their_commas_and_name(content, name):
    for allowed, described in ((DOCUMENT_KINDS, DOCUMENT_DESCRIBED), (ROWS_KINDS, ROWS_DESCRIBED)):
        with pytest.raises(ValidationError) as raised:
            uploads.accept(SimpleUploadedFile(name, content), allowed, described)
        assert "web page, picture or other markup" in raised.value.message


@pytest.mark.parametrize(
    "name, kept",
    [
        ("minutes", "minutes.pdf"),
        ("notes.doc", "notes.doc.pdf"),
        ("Chronology.PDF", "Chronology.PDF"),
        ("report.final", "report.final.pdf"),
        ("\x07", "file.pdf"),
    ],
)
def test_a_kept_file_is_named_and_served_with_the_extension_of_what_it_holds(
    client, world, media_root, name, kept
):
    document = chronology_file_upload(
        case=world["case"],
        agency=world["housing"],
        user=world["housing_coordinator"],
        uploaded_file=SimpleUploadedFile(name, minimal_pdf()),
    )
    assert document.original_name == kept
    assert document.file.name.endswith(".pdf")
    client.force_login(world["housing_coordinator"])
    response = client.get(
        reverse("chronology_file_download", args=[world["audit"].pk, document.pk])
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith(f'filename="{kept}"')


def test_a_file_kept_before_under_a_misleading_name_is_served_with_its_real_extension(
    client, world, media_root
):
    document = chronology_file_upload(
        case=world["case"],
        agency=world["housing"],
        user=world["housing_coordinator"],
        uploaded_file=SimpleUploadedFile("kept.pdf", minimal_pdf()),
    )
    ChronologyFile.objects.filter(pk=document.pk).update(original_name="x.hta")
    client.force_login(world["housing_coordinator"])
    response = client.get(
        reverse("chronology_file_download", args=[world["audit"].pk, document.pk])
    )
    assert response["Content-Disposition"].endswith('filename="x.hta.pdf"')


@override_settings(MACA_UPLOAD_MAX_BYTES=20 * MIB)
def test_a_file_just_over_the_limit_says_its_size_exactly():
    with pytest.raises(ValidationError) as raised:
        uploads.check_size(21_000_009)
    assert raised.value.message == (
        "The file is 21,000,009 bytes (20.03 MB): files can be up to 20\xa0MB (20,971,520 bytes)."
    )
    uploads.check_size(20 * MIB)
    with pytest.raises(ValidationError):
        uploads.check_size(20 * MIB + 1)


def test_uploads_are_spooled_in_macas_own_folder_and_leftovers_go_at_start(settings, tmp_path):
    from maca.upload_handlers import LEFTOVER_SECONDS, prepare_upload_temp_dir

    assert Path(settings.FILE_UPLOAD_TEMP_DIR).is_dir()  # made as MACA started
    settings.FILE_UPLOAD_TEMP_DIR = folder = tmp_path / "upload-tmp"
    assert prepare_upload_temp_dir() == []
    assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o700
    left = folder / "tmpa1b2c3.upload.pdf"
    arriving = folder / "tmpd4e5f6.upload.xlsx"
    other = folder / "notes.txt"
    for path in (left, arriving, other):
        path.write_bytes(b"%PDF")
    now = left.stat().st_mtime + LEFTOVER_SECONDS + 1
    import os

    os.utime(arriving, (now - 5, now - 5))
    assert prepare_upload_temp_dir(now=now) == [left]
    assert not left.exists() and arriving.exists() and other.exists()


def test_a_large_upload_is_spooled_in_the_configured_folder(client, world, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = folder = tmp_path / "spool"
    folder.mkdir()
    seen = []
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    original = TemporaryFileUploadHandler.file_complete

    def watch(self, size):
        seen.append(Path(self.file.temporary_file_path()).parent)
        return original(self, size)

    TemporaryFileUploadHandler.file_complete = watch
    try:
        client.force_login(world["housing_coordinator"])
        post_document(client, world, "big.pdf", minimal_pdf() + b"%" * 400_000)
    finally:
        TemporaryFileUploadHandler.file_complete = original
    assert seen == [folder]


def sheet_of(cells: str) -> SimpleUploadedFile:
    """A workbook whose first sheet's XML holds `cells` (rows and cells as a program wrote
    them), the rest of it as small as a reader needs."""
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
        f'org/spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>'
    )
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    return SimpleUploadedFile("rows.xlsx", content.getvalue())


SHEET = "xl/worksheets/sheet1.xml"


@pytest.mark.parametrize(
    ("cells", "found"),
    [
        ('<row r="3"><c r="B3"><f>A2+7</f><v></v></c></row>', "B3"),
        ('<row r="3"><c r="B3"><f>A2+7</f></c></row>', "B3"),  # no value at all
        ('<row r="3"><c r="B3"><f>A2+7</f><v>46093</v></c></row>', None),
        ('<row r="3"><c r="B3" t="str"><f>IF(1,"","x")</f><v></v></c></row>', None),
        ('<row r="3"><c r="B3"><f>A2+7</f><v> </v></c></row>', "B3"),  # a space is no result
        ('<row r="3"><c r="B3" t="inlineStr"><f>x</f><is><t>Seen</t></is></c></row>', None),
        ('<row r="3"><c r="AD3"><f>1+1</f><v></v></c></row>', "AD3"),  # the 30th column
        ('<row r="3"><c r="AE3"><f>1+1</f><v></v></c></row>', None),  # past the columns read
        ('<row r="3"><c r="A3"><v>1</v></c><c r="B3"><f>A3</f><v></v></c></row>', "B3"),
        # Written without references: where the one before ends, as openpyxl reads it.
        ("<row><c><v>1</v></c></row><row><c><v>2</v></c><c><f>A2</f><v></v></c></row>", "B2"),
        ('<row r="7"><c r="C7"><v>1</v></c><c><f>C7</f><v></v></c></row>', "D7"),
        ('<row r="3"><c r="B3"><f>A2+7</f><v></v>', None),  # cut short: reading says so
        ('<row r="3"><c r="A3"><f>1</f><v></v></c></row>', "A3"),  # the first column
        ('<row r="3"><c r="5"><f>1</f><v></v></c></row>', None),  # no column: not read
        ('<row r="3"><c r="A3"><f>1</f><v>1</v></c><c r="B3"/></row>', None),  # an empty cell
        ('<row r="3"><c r="B3"><f>x</f><extLst/></c></row>', "B3"),  # no value among others
        ("<row>" + "<c><v>1</v></c>" * 26 + "<c><f>1</f></c></row>", "AA1"),
    ],
)
def test_a_formula_without_its_saved_result_is_found_in_the_columns_read(cells, found):
    upload = sheet_of(cells)
    assert uploads.formula_without_result(upload, SHEET, 30) == found
    assert upload.tell() == 0  # left for the reader


def test_the_first_formula_without_a_result_is_the_one_named():
    cells = "".join(f'<row r="{n}"><c r="C{n}"><f>1</f><v></v></c></row>' for n in (4, 9))
    assert uploads.formula_without_result(sheet_of(cells), SHEET, 30) == "C4"


def test_a_sheet_read_in_many_pieces_and_written_with_prefixes_is_followed_whole():
    rows = "".join(
        f'<x:row r="{n}"><x:c r="A{n}"><x:v>{n}</x:v></x:c></x:row>' for n in range(1, 6000)
    )
    last = '<x:row r="6000"><x:c r="B6000"><x:f>A1</x:f></x:c></x:row>'
    xml = (
        '<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main"><x:sheetData>{rows}{last}</x:sheetData></x:worksheet>'
    )
    assert len(xml) > 3 * uploads.CHUNK_SIZE
    content = io.BytesIO()
    with zipfile.ZipFile(content, "w") as archive:
        archive.writestr(SHEET, xml)
    upload = SimpleUploadedFile("rows.xlsx", content.getvalue())
    assert uploads.formula_without_result(upload, SHEET, 30) == "B6000"
