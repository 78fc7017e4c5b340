"""Uploaded files: identified from their content, measured and hashed while streamed in chunks.

Nothing here reads a whole upload into memory. Django has already spooled anything larger than
FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; these helpers walk it chunk by chunk.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from xml.parsers import expat

import filetype
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, HttpResponse
from django.template.defaultfilters import filesizeformat

from maca.files import FETCH_UNAVAILABLE, STORAGE_ERRORS, STORE_UNAVAILABLE
from maca.wording import size_limit

logger = logging.getLogger(__name__)

# How many leading bytes the content sniffers look at.
HEAD_BYTES = 8192
# A whole PDF ends with this marker, within its last 1,024 bytes (as PDF readers allow): a file
# without it was cut short while it was saved or sent, or only begins like a PDF.
PDF_END, PDF_END_BYTES = b"%%EOF", 1024
CHUNK_SIZE = 64 * 1024

PDF, DOCX, XLSX, CSV = "pdf", "docx", "xlsx", "csv"

CONTENT_TYPES = {
    PDF: "application/pdf",
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    CSV: "text/csv",
}
KIND_NAMES = {PDF: "a PDF", DOCX: "a Word (DOCX) document", XLSX: "an Excel (XLSX) workbook"}
# The name's extension a kind may carry. A name that claims one kind while the content is another
# is refused: somebody has probably picked the wrong file.
EXTENSIONS = {PDF: {".pdf"}, DOCX: {".docx"}, XLSX: {".xlsx"}, CSV: {".csv", ".txt"}}
CLAIMED = {ext: kind for kind, exts in EXTENSIONS.items() for ext in exts if ext != ".txt"}


@dataclass(frozen=True)
class Inspection:
    """What a pass over an upload found."""

    kind: str | None  # one of PDF, DOCX, XLSX, CSV, or None when it is none of them
    size: int
    sha256: str
    detected: str | None  # filetype's extension for binary content, e.g. "png"
    encoding: str | None  # for text: "utf-8-sig" (a byte order mark is dropped) or "cp1252"
    ends_as_a_pdf: bool = False  # its last bytes hold a PDF's end-of-file marker
    whole_image: bool = False  # a PNG or JPEG with its header and its end, not cut short


def max_bytes() -> int:
    return settings.MACA_UPLOAD_MAX_BYTES


def inspect(uploaded_file) -> Inspection:
    """Read `uploaded_file` once, chunk by chunk: its size, SHA-256 and kind from its content.

    CSV has no signature: it is content with no binary signature that decodes as UTF-8 (with or
    without a byte order mark) or Windows-1252, holds no NUL bytes, and whose first line has
    columns.
    """
    digest = hashlib.sha256()
    head = bytearray()
    tail = b""
    size = 0
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = cp1252_ok = True
    has_nul = False
    ends = _ImageEnds()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks(CHUNK_SIZE):
        size += len(chunk)
        digest.update(chunk)
        if len(head) < HEAD_BYTES:
            head.extend(chunk[: HEAD_BYTES - len(head)])
        ends.see(tail[-len(PNG_END) :] + chunk)  # with what came before, for a marker split
        tail = (tail + chunk[-PDF_END_BYTES:])[-PDF_END_BYTES:]
        if not has_nul and b"\x00" in chunk:
            has_nul = True
        if utf8_ok:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8_ok = False
        if cp1252_ok:
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError:
                cp1252_ok = False
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    uploaded_file.seek(0)

    guess = filetype.guess(bytes(head)) if head else None
    detected = guess.extension if guess else None
    if head.startswith(OLD_OFFICE_SIGNATURE):
        detected = OLD_OFFICE
    elif guess is None and head.startswith(UTF16_MARKS):
        detected = UTF16_TEXT
    kind = None
    encoding = None
    if not has_nul:
        encoding = "utf-8-sig" if utf8_ok else "cp1252" if cp1252_ok else None
    if guess is None and encoding and _looks_like_markup(bytes(head), encoding):
        detected = MARKUP  # a web page, SVG picture or XML: never a table, whatever its commas
    if detected in (PDF, DOCX, XLSX):
        kind = detected
    elif guess is None and size and encoding and detected is None:
        kind = CSV if _looks_like_a_table(bytes(head), encoding) else None
    return Inspection(
        kind=kind,
        size=size,
        sha256=digest.hexdigest(),
        detected=detected,
        encoding=encoding,
        ends_as_a_pdf=PDF_END in tail,
        whole_image=_whole_image(detected, bytes(head), ends),
    )


# A PNG's first chunk is its header (IHDR) and its last the end (IEND, whose checksum is always
# the same); a JPEG's picture ends with its end-of-image marker. Phones may write more after
# either (a maker's trailer, a motion photo's video): the end is looked for anywhere in the file.
PNG_HEADER_AT, PNG_HEADER, PNG_END = 12, b"IHDR", b"IEND\xaeB`\x82"
JPEG_END = b"\xff\xd9"


class _ImageEnds:
    """Whether a PNG's and a JPEG's end markers were seen in the bytes read, chunk by chunk."""

    def __init__(self):
        self.png = self.jpeg = False

    def see(self, data: bytes) -> None:
        self.png = self.png or PNG_END in data
        self.jpeg = self.jpeg or JPEG_END in data


def _whole_image(detected: str | None, head: bytes, ends: _ImageEnds) -> bool:
    if detected == "png":
        header = head[PNG_HEADER_AT : PNG_HEADER_AT + len(PNG_HEADER)] == PNG_HEADER
        return header and ends.png
    if detected == "jpg":
        return ends.jpeg
    return False


CSV_DELIMITERS = (",", ";", "\t")
MARKUP = "html"
# Word 97-2003 (.doc), Excel 97-2003 (.xls), and a newer Word or Excel file protected by a
# password: one container format, which nothing MACA uses reads.
OLD_OFFICE, OLD_OFFICE_SIGNATURE = "old-office", bytes.fromhex("D0CF11E0A1B11AE1")
# Text with a UTF-16 byte order mark: Excel's "Unicode Text", which a CSV is sometimes saved as.
UTF16_TEXT, UTF16_MARKS = "utf-16-text", (b"\xff\xfe", b"\xfe\xff")


def _looks_like_markup(head: bytes, encoding: str) -> bool:
    """HTML, SVG or XML: text whose first character that is not a space opens a tag (after any
    byte order mark, even one before text that is not UTF-8)."""
    text = head.removeprefix(codecs.BOM_UTF8).decode(encoding, errors="ignore")
    return text.lstrip("\ufeff \t\r\n").startswith("<")


def _article(extension: str) -> str:
    """'an EXE', 'a PNG': the article goes by how the letters are said."""
    name = extension.upper()
    return f"{'an' if name[0] in 'AEFHILMNORSX' else 'a'} {name}"


# Lines of one cell (a title, the agency's name, a date of export) that may stand above a
# spreadsheet's headings: the chronology reader passes over as many.
TITLE_LINES = 10


def _looks_like_a_table(head: bytes, encoding: str) -> bool:
    """A CSV names its columns, separated by commas (or semicolons or tabs), on its first line
    or below at most TITLE_LINES lines of a title."""
    return heading_line(head.decode(encoding, errors="ignore")) is not None


def heading_line(text: str) -> str | None:
    """Of `text`'s first lines, the first split by a comma, semicolon or tab: a CSV's headings,
    below any title. None when no line is."""
    for line in text.splitlines()[: TITLE_LINES + 1]:
        if any(mark in line for mark in CSV_DELIMITERS):
            return line
    return None


def exact_size(size: int) -> str:
    """ "21,000,009 bytes (20.03 MB)": exact, with the megabytes (of 1,048,576 bytes) that a
    file manager shows, so that a file just over the limit never reads as equal to it."""
    return f"{size:,} bytes ({size / MIB:.2f} MB)"


MIB = 1024 * 1024


EMPTY_MESSAGE = "The file is empty. Choose the file again."


def upload_field(
    label: str, *, accept: str, choose: str | None = None, help_text: str = ""
) -> forms.FileField:
    """A form's file field, as every upload in MACA asks for one: the kinds it takes offered
    first by the browser's file picker (`accept`), and `choose` said when no file was chosen
    (no message: the file is optional)."""
    messages = {"empty": EMPTY_MESSAGE}
    if choose:
        messages["required"] = choose
    return forms.FileField(
        label=label,
        required=bool(choose),
        error_messages=messages,
        widget=forms.ClearableFileInput(attrs={"accept": accept}),
        help_text=help_text,
    )


def check_size(size: int | None) -> None:
    """Refuse an empty or too large upload (checked before reading it, and after)."""
    size = size or 0
    if size == 0:
        raise ValidationError(EMPTY_MESSAGE, code="empty")
    if size > max_bytes():
        raise ValidationError(
            f"The file is {exact_size(size)}: files can be up to {size_limit(max_bytes())} "
            f"({max_bytes():,} bytes).",
            code="too_large",
        )


# Names that a computer would run or a browser would open as a page. Refused whatever the file
# holds: a PDF called "invoice.html" has been renamed to trick someone, or picked by mistake.
PROGRAM_EXTENSIONS = frozenset(
    [
        ".app",
        ".bat",
        ".cmd",
        ".com",
        ".cpl",
        ".dll",
        ".exe",
        ".hta",
        ".jar",
        ".js",
        ".jse",
        ".lnk",
        ".msi",
        ".msp",
        ".php",
        ".pif",
        ".ps1",
        ".psm1",
        ".reg",
        ".scr",
        ".sh",
        ".url",
        ".vb",
        ".vbe",
        ".vbs",
        ".ws",
        ".wsf",
    ]
)
WEB_PAGE_EXTENSIONS = frozenset(
    [".htm", ".html", ".mht", ".mhtml", ".shtml", ".svg", ".svgz", ".xht", ".xhtml", ".xml", ".xsl"]
)
DANGEROUS_EXTENSIONS = PROGRAM_EXTENSIONS | WEB_PAGE_EXTENSIONS


def check_name(name: str | None, described: str) -> None:
    """Refuse a name that a computer would run, or open as a web page, saying to save it as what
    the field takes (`described`: "a PDF")."""
    dangerous = Path(name or "").suffix.lower()
    if dangerous in DANGEROUS_EXTENSIONS:
        raise ValidationError(
            f"Files named {dangerous} can't be uploaded: a computer would run it or open it as "
            f"a web page. Save it as {described} and upload that.",
            code="dangerous_name",
        )


def check_kind(inspection: Inspection, name: str, allowed: tuple[str, ...], described: str) -> str:
    """The kind of an inspected upload, or a ValidationError naming what was wrong with it."""
    suffix = Path(name or "").suffix.lower()
    check_name(name, described)
    if inspection.detected == MARKUP:
        raise ValidationError(
            f"This file is not {described}: its contents are a web page, picture or other markup "
            "(HTML, SVG or XML), which can't be uploaded. Files are checked by their contents, "
            "not by their names.",
            code="wrong_type",
        )
    if inspection.detected == UTF16_TEXT:
        save_as = " as CSV UTF-8 (in Excel: Save As, “CSV UTF-8 (Comma delimited)”)"
        raise ValidationError(
            f"This file is not {described}: it is text saved as Unicode (UTF-16), as Excel's "
            f"“Unicode Text” writes it, which MACA does not read. Save it again"
            f"{save_as if CSV in allowed else ' in one of those forms'} and upload that.",
            code="wrong_type",
        )
    if inspection.detected == OLD_OFFICE:
        raise ValidationError(
            f"This file is not {described}: it is an older Office file (such as a .doc or .xls "
            "from Office 97-2003), or one protected by a password, which can't be read. Open "
            f"it, take off any password, and save it as {described}, then upload that.",
            code="wrong_type",
        )
    if inspection.kind not in allowed:
        found = ""
        if inspection.detected:
            found = f" Its contents look like {_article(inspection.detected)} file."
        raise ValidationError(
            f"This file is not {described}.{found} Files are checked by their contents, "
            "not by their names.",
            code="wrong_type",
        )
    claimed = CLAIMED.get(suffix)
    if claimed and claimed != inspection.kind:
        raise ValidationError(
            f"The file is named {suffix} but its contents are not {_kind_name(claimed)}. "
            "Check that you chose the right file.",
            code="wrong_type",
        )
    if inspection.kind == CSV and suffix not in EXTENSIONS[CSV]:
        raise ValidationError(
            f"This file is not {described}. A CSV file's name ends in .csv.", code="wrong_type"
        )
    return inspection.kind


def _kind_name(kind: str) -> str:
    return KIND_NAMES.get(kind, "a CSV file")


# Images (evidence of an action: photographs of posters, training sign-in sheets) ---------------
# Kept apart from the document kinds above so that chronology uploads behave exactly as before.

PNG, JPEG = "png", "jpeg"
CONTENT_TYPES[PNG] = "image/png"
CONTENT_TYPES[JPEG] = "image/jpeg"
IMAGE_KINDS = {"png": PNG, "jpg": JPEG}  # filetype's extension -> kind
IMAGE_EXTENSIONS = {PNG: {".png"}, JPEG: {".jpg", ".jpeg"}}
IMAGE_NAMES = {PNG: "a PNG image", JPEG: "a JPEG image"}
FILE_EXTENSIONS = {PDF: "pdf", DOCX: "docx", XLSX: "xlsx", CSV: "csv", PNG: "png", JPEG: "jpg"}


def check_kind_or_image(
    inspection: Inspection, name: str, allowed: tuple[str, ...], described: str
) -> str:
    """As `check_kind`, also accepting PNG and JPEG images when `allowed` names them."""
    check_name(name, described)
    suffix = Path(name or "").suffix.lower()
    image = IMAGE_KINDS.get(inspection.detected or "")
    claimed_image = next((k for k, exts in IMAGE_EXTENSIONS.items() if suffix in exts), None)
    if image and image in allowed:
        claimed = CLAIMED.get(suffix) or claimed_image
        if claimed and claimed != image:
            raise ValidationError(
                f"The file is named {suffix} but its contents are {IMAGE_NAMES[image]}. "
                "Check that you chose the right file.",
                code="wrong_type",
            )
        if not inspection.whole_image:
            raise ValidationError(
                f"The file begins as {IMAGE_NAMES[image]} but is damaged or cut short, so it "
                "would not open. Open it on your computer, save it again, and choose the saved "
                "copy.",
                code="damaged",
            )
        return image
    kind = check_kind(inspection, name, allowed, described)
    if claimed_image:
        raise ValidationError(
            f"The file is named {suffix} but its contents are not {IMAGE_NAMES[claimed_image]}. "
            "Check that you chose the right file.",
            code="wrong_type",
        )
    return kind


def display_name(name: str | None, kind: str) -> str:
    """The name a file is kept and served under: the uploader's, without any path, ending in the
    extension of the kind its contents are ("minutes" becomes "minutes.pdf", "notes.doc"
    "notes.doc.pdf"), kept to 255 characters."""
    extension = FILE_EXTENSIONS[kind]
    allowed = EXTENSIONS.get(kind, set()) | IMAGE_EXTENSIONS.get(kind, set())
    name = Path(name or "").name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if not name or Path(name).suffix.lower() not in allowed - {".txt"}:
        name = f"{name or 'file'}.{extension}"
    if len(name) > 255:
        suffix = Path(name).suffix  # one of the kind's own, so short
        name = name[: 255 - len(suffix)] + suffix
    return name


def check_pdf_whole(inspection: Inspection, kind: str) -> None:
    if kind == PDF and not inspection.ends_as_a_pdf:
        raise ValidationError(
            "This PDF is not whole: it stops before a PDF's end, so it was probably cut short "
            "while it was saved or sent. Save or download it again, check that it opens, and "
            "upload that.",
            code="not_whole",
        )


# Word and Excel files are zip archives of parts -----------------------------------------------

# What an archive may unpack to: a small file that unpacks to gigabytes (a "zip bomb") would
# exhaust whatever reads it.
MAX_UNPACKED_BYTES = 50 * MIB
ARCHIVE_KINDS = (DOCX, XLSX)
_DAMAGED_ARCHIVE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,  # an encrypted part
    NotImplementedError,  # a part packed in a way zipfile does not read
)


@dataclass(frozen=True)
class SheetLimits:
    """How much a workbook's sheets may hold, counted in its XML before any cell is read."""

    rows: int  # per sheet
    cells_per_row: int
    cells: int  # per sheet
    strings: int  # shared strings, for the whole workbook
    elements: int = 2_000_000  # XML elements in a sheet or the shared strings
    # XML elements in any other part (styles, the workbook's own part…), which openpyxl reads
    # whole into objects: Excel's own limit of 64,000 cell styles needs about 130,000.
    other_elements: int = 150_000


# The parts whose size the rows, cells and strings limits bound: every other part of a workbook
# holds other_elements at most.
SHEET_PARTS = re.compile(r"xl/(?:worksheets/sheet\d+|sharedStrings)\.xml")


class SheetTooLarge(Exception):
    def __init__(self, what: str, limit: int, row: int | None = None):
        self.what, self.limit, self.row = what, limit, row
        super().__init__(what)


def check_archive(uploaded_file, kind: str, *, sheet_limits: SheetLimits | None = None) -> None:
    """Refuse a Word or Excel file that is cut short or damaged, or whose parts unpack to more
    than MAX_UNPACKED_BYTES. Every part is read once, in chunks (checking its CRC); with
    `sheet_limits`, the rows and cells of every part are counted as it streams past."""
    if kind not in ARCHIVE_KINDS:
        return
    name = "workbook" if kind == XLSX else "document"
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file.file) as archive:
            parts = archive.infolist()
            _check_part_count(parts, kind, name)
            unpacked = sum(part.file_size for part in parts)
            if unpacked > MAX_UNPACKED_BYTES:
                raise ValidationError(
                    f"The {name} unpacks to {filesizeformat(unpacked)}, more than any "
                    f"{name} MACA keeps (up to {size_limit(MAX_UNPACKED_BYTES)}). Save it "
                    "again without pictures or extra sheets, or as PDF, and upload that.",
                    code="unpacks_too_large",
                )
            if not any(MAIN_PARTS[kind].fullmatch(part.filename) for part in parts):
                raise zipfile.BadZipFile("no main part")  # reported as damaged
            for part in parts:
                _read_part(archive, part, sheet_limits)
    except _DAMAGED_ARCHIVE:
        raise ValidationError(
            f"The {name} is damaged or cut short, so it can't be read. Save it again from "
            f"{'Excel' if kind == XLSX else 'Word'} and upload it again.",
            code="damaged",
        ) from None
    finally:
        uploaded_file.seek(0)


# The part a Word or Excel file's text is in: without it there is nothing to read (Word on the
# web names it "word/document2.xml" and the like). And how many parts one may have: Word and
# Excel write tens, a few hundred with many pictures.
MAIN_PARTS = {
    DOCX: re.compile(r"word/document\d*\.xml"),
    XLSX: re.compile(r"xl/workbook\d*\.xml"),
}
MAX_PARTS = 2_000


def _check_part_count(parts, kind: str, name: str) -> None:
    if len(parts) > MAX_PARTS:
        raise ValidationError(
            f"The {name} is made of {len(parts):,} parts, more than any {name} MACA keeps (up "
            f"to {MAX_PARTS:,}). Save it again from {'Excel' if kind == XLSX else 'Word'}, or as "
            "PDF, and upload that.",
            code="too_many_parts",
        )


def _read_part(archive, part, limits: SheetLimits | None) -> None:
    if limits and not SHEET_PARTS.fullmatch(part.filename):
        limits = replace(limits, elements=limits.other_elements)
    counter = _SheetCounter(limits) if limits else None
    with archive.open(part) as stream:
        while chunk := stream.read(CHUNK_SIZE):
            if counter:
                counter.feed(chunk)
    if counter:
        counter.feed(b"", final=True)


class _SheetCounter:
    """Counts rows, cells and shared strings as a part's XML streams past, and stops at once at
    a limit: no element is kept, so a row of a million cells costs no more than one of five."""

    def __init__(self, limits: SheetLimits):
        self.limits = limits
        self.rows = self.cells = self.row_cells = self.strings = self.elements = 0
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self._start
        self.readable = True

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if not self.readable:
            return
        try:
            self.parser.Parse(chunk, final)
        except expat.ExpatError:
            self.readable = False  # not XML (a picture): nothing here is a cell

    def _start(self, name, attributes):
        limits = self.limits
        self.elements += 1
        local = name.rpartition(":")[2]
        if local == "c":
            self.row_cells += 1
            self.cells += 1
            if self.row_cells > limits.cells_per_row:
                raise SheetTooLarge("cells in a row", limits.cells_per_row, self.rows)
            if self.cells > limits.cells:
                raise SheetTooLarge("cells", limits.cells)
        elif local == "row":
            self.rows += 1
            self.row_cells = 0
            if self.rows > limits.rows:
                raise SheetTooLarge("rows", limits.rows)
        elif local == "si":
            self.strings += 1
            if self.strings > limits.strings:
                raise SheetTooLarge("pieces of text", limits.strings)
        if self.elements > limits.elements:
            raise SheetTooLarge("XML elements", limits.elements)


class _FormulaWithoutResult(Exception):
    def __init__(self, cell: str):
        self.cell = cell


def formula_without_result(uploaded_file, part: str, max_column: int) -> str | None:
    """The first cell (its reference, "C5") of a workbook's `part`, in its first `max_column`
    columns, that holds a formula whose result was not saved with it: a program other than
    Excel made the file, and its value cannot be read. The part's size was bounded when the
    upload was accepted; it is streamed past, keeping nothing."""
    scan = _FormulaScan(max_column)
    try:
        with zipfile.ZipFile(uploaded_file.file) as archive, archive.open(part) as stream:
            while chunk := stream.read(CHUNK_SIZE):
                scan.parser.Parse(chunk)
    except _FormulaWithoutResult as found:
        return found.cell
    except (expat.ExpatError, *_DAMAGED_ARCHIVE):
        return None  # reading the sheet says it is damaged
    finally:
        uploaded_file.seek(0)
    return None  # (a sheet cut short ends here too: reading it says so)


class _FormulaScan:
    """Follows a sheet's XML cell by cell. Excel saves a text formula's empty result as an empty
    value of type "str" (a number is never empty); an inline text is read as it is. A cell or
    row written without its reference is where the one before it ends, as openpyxl reads it."""

    def __init__(self, max_column: int):
        self.max_column = max_column
        self.row = self.column = 0
        self.reference, self.text = "", False
        self.formula = self.result = self.in_value = False
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.characters

    def start(self, name, attributes):
        local = name.rpartition(":")[2]
        if local == "row":
            number = attributes.get("r", "")
            self.row, self.column = int(number) if number.isdigit() else self.row + 1, 0
        elif local == "c":
            self._cell(attributes.get("r"), attributes.get("t") == "str")
        elif local == "f":
            self.formula = True
        elif local == "v":
            self.in_value = True
            self.result = self.result or self.text
        elif local == "is":
            self.result = True

    def _cell(self, reference: str | None, text: bool):
        self.column = _column_number(reference) if reference else self.column + 1
        self.reference = reference or f"{_column_letters(self.column)}{self.row}"
        self.text, self.formula, self.result = text, False, False

    def characters(self, data):
        if self.in_value and data.strip():
            self.result = True

    def end(self, name):
        local = name.rpartition(":")[2]
        if local == "v":
            self.in_value = False
        elif local == "c" and self._unread_formula():
            raise _FormulaWithoutResult(self.reference)

    def _unread_formula(self) -> bool:
        return self.formula and not self.result and 0 < self.column <= self.max_column


def _column_number(reference: str) -> int:
    """ "C5" is in column 3, "AA1" in column 27."""
    letters = re.match(r"[A-Z]{0,3}", reference).group()
    return sum(26**place * (ord(letter) - 64) for place, letter in enumerate(letters[::-1]))


def _column_letters(number: int) -> str:
    """Column 3 is "C", column 27 "AA"."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def accept(
    uploaded_file,
    allowed: tuple[str, ...],
    described: str,
    *,
    sheet_limits: SheetLimits | None = None,
) -> tuple[Inspection, str]:
    """An upload checked before anything is kept: its size, its name, its kind from its
    contents (PNG and JPEG too when `allowed` names them) and, for Word and Excel files, that
    the archive is whole and unpacks to a sensible size (and, given `sheet_limits`, that a
    workbook's sheets hold no more than they allow: SheetTooLarge). Returns the inspection and
    the kind."""
    check_size(uploaded_file.size)
    inspection = inspect(uploaded_file)
    check_size(inspection.size)
    kind = check_kind_or_image(inspection, uploaded_file.name, allowed, described)
    check_pdf_whole(inspection, kind)
    check_archive(uploaded_file, kind, sheet_limits=sheet_limits)
    return inspection, kind


def store_with_record(record, uploaded_file, stored_name: str, *, field: str = "file"):
    """Write `uploaded_file` into the record's file field (`field`) and save the record; a
    record that fails its checks leaves no file behind. Returns the record.

    The caller has refused a file already there; one saved by another press since is refused
    here, by the database's unique constraint, as a duplicate."""
    record.full_clean(exclude=[field], validate_constraints=False)
    stored = getattr(record, field)
    try:
        stored.save(stored_name, uploaded_file, save=False)
    except STORAGE_ERRORS:
        logger.exception("Storing an upload failed")
        raise ValidationError(STORE_UNAVAILABLE, code="storage_unavailable") from None
    try:
        record.full_clean(validate_constraints=False)
        with transaction.atomic():
            record.save()
    except IntegrityError:
        # The same file saved a moment ago by another press: refused as a duplicate, as it
        # would have been a moment later.
        stored.delete(save=False)
        raise ValidationError(
            "This file has just been uploaded here. Choose another file.", code="duplicate"
        ) from None
    except BaseException:
        stored.delete(save=False)
        raise
    return record


def download_response(record) -> FileResponse:
    """A stored upload (`file`, `original_name`, `kind`) sent as an attachment under its own
    name, never sniffed as another type or kept by the browser; 404 when the file is missing."""
    try:
        handle = record.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is missing.") from None
    except STORAGE_ERRORS:
        logger.exception("Fetching a stored file failed")
        return HttpResponse(FETCH_UNAVAILABLE, status=503, content_type="text/plain; charset=utf-8")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=display_name(record.original_name, record.kind),
        content_type=CONTENT_TYPES[record.kind],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
