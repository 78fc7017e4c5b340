"""Stop keeping an upload once it is larger than any file may be.

Without this, Django writes the whole of a too-large upload to a temporary file before the form
can refuse it. Here, once a file passes MACA_UPLOAD_MAX_BYTES its further chunks are counted and
dropped, and the form receives an empty stand-in carrying the full size, which the usual size
check refuses with its usual message next to the field.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizedUpload(UploadedFile):
    """What is left of an upload that was too large: its name, type and size, no content."""

    def __init__(self, name, content_type, size, charset, content_type_extra):
        super().__init__(io.BytesIO(), name, content_type, size, charset, content_type_extra)


class SizeLimitUploadHandler(FileUploadHandler):
    """First of the upload handlers: passes chunks on until the file is too large."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.too_large = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.MACA_UPLOAD_MAX_BYTES:
            self.too_large = True
        return None if self.too_large else raw_data

    def file_complete(self, file_size):
        if not self.too_large:
            return None  # the next handler holds the file
        return OversizedUpload(
            self.file_name,
            self.content_type,
            file_size,
            self.charset,
            self.content_type_extra,
        )


# A leftover is a spooled upload nobody has written to for this long: a live upload is written
# to as it arrives and read within its request, so only a killed worker's file gets this old.
LEFTOVER_SECONDS = 60 * 60


def prepare_upload_temp_dir(now: float | None = None) -> list[Path]:
    """Make FILE_UPLOAD_TEMP_DIR (readable by MACA alone) and remove the uploads that workers
    killed mid-request left in it. Returns what was removed."""
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"The folder for uploads on their way in, {folder}, could not be made "
            f"({error.strerror}): set UPLOAD_TEMP_DIR, or MEDIA_ROOT whose parent holds it, to a "
            "folder MACA's user can write (it is needed with STORAGE_URL too)."
        ) from None
    now = time.time() if now is None else now
    removed = []
    for path in folder.glob("*.upload*"):  # Django names them tmpXXXXXXXX.upload.<ext>
        try:
            if path.is_file() and now - path.stat().st_mtime > LEFTOVER_SECONDS:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # another worker starting removed it first
            continue
    return removed
