"""Uploaded files: identified from their content, measured and hashed while streamed in chunks.

Nothing here reads a whole upload into memory. Django has already spooled anything larger than
FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; these helpers walk it chunk by chunk.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat

# How many leading bytes the content sniffers look at.
HEAD_BYTES = 8192
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
    size = 0
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = cp1252_ok = True
    has_nul = False
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks(CHUNK_SIZE):
        size += len(chunk)
        digest.update(chunk)
        if len(head) < HEAD_BYTES:
            head.extend(chunk[: HEAD_BYTES - len(head)])
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
    kind = None
    encoding = None
    if not has_nul:
        encoding = "utf-8-sig" if utf8_ok else "cp1252" if cp1252_ok else None
    if detected in (PDF, DOCX, XLSX):
        kind = detected
    elif guess is None and size and encoding and _looks_like_a_table(bytes(head), encoding):
        kind = CSV
    return Inspection(
        kind=kind, size=size, sha256=digest.hexdigest(), detected=detected, encoding=encoding
    )


CSV_DELIMITERS = (",", ";", "\t")


def _article(extension: str) -> str:
    """'an EXE', 'a PNG': the article goes by how the letters are said."""
    name = extension.upper()
    return f"{'an' if name[0] in 'AEFHILMNORSX' else 'a'} {name}"


def _looks_like_a_table(head: bytes, encoding: str) -> bool:
    """A CSV's first line names its columns, separated by commas (or semicolons or tabs)."""
    first_line = head.decode(encoding, errors="ignore").splitlines()[:1]
    return bool(first_line) and any(mark in first_line[0] for mark in CSV_DELIMITERS)


def check_size(size: int | None) -> None:
    """Refuse an empty or too large upload (checked before reading it, and after)."""
    size = size or 0
    if size == 0:
        raise ValidationError("The file is empty. Choose the file again.", code="empty")
    if size > max_bytes():
        raise ValidationError(
            f"The file is {filesizeformat(size)}: files can be up to "
            f"{filesizeformat(max_bytes())}.",
            code="too_large",
        )


def check_kind(inspection: Inspection, name: str, allowed: tuple[str, ...], described: str) -> str:
    """The kind of an inspected upload, or a ValidationError naming what was wrong with it."""
    suffix = Path(name or "").suffix.lower()
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
        return image
    kind = check_kind(inspection, name, allowed, described)
    if claimed_image:
        raise ValidationError(
            f"The file is named {suffix} but its contents are not {IMAGE_NAMES[claimed_image]}. "
            "Check that you chose the right file.",
            code="wrong_type",
        )
    return kind


def display_name(name: str | None, default: str) -> str:
    """The name a file had on the uploader's machine, without any path, kept to 255 characters."""
    name = Path(name or "").name
    name = "".join(ch for ch in name if ch.isprintable()).strip() or default
    if len(name) > 255:
        suffix = Path(name).suffix[:20]
        name = name[: 255 - len(suffix)] + suffix
    return name


def store_with_record(record, uploaded_file, stored_name: str):
    """Write `uploaded_file` into `record.file` and save the record; a record that fails its
    checks leaves no file behind. Returns the record."""
    record.full_clean(exclude=["file"])
    record.file.save(stored_name, uploaded_file, save=False)
    try:
        record.full_clean()
        record.save()
    except BaseException:
        record.file.delete(save=False)
        raise
    return record


def download_response(record) -> FileResponse:
    """A stored upload (`file`, `original_name`, `kind`) sent as an attachment under its own
    name, never sniffed as another type or kept by the browser; 404 when the file is missing."""
    try:
        handle = record.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404("The file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=record.original_name,
        content_type=CONTENT_TYPES.get(record.kind, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
