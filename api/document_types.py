"""What an uploaded file is, read from its bytes (never its name), and photos made safe.

Accepted: PDF, JPEG, PNG, WebP, HEIC/HEIF (a phone's photos, read by pillow-heif), DOCX
and plain UTF-8 text. A photo is opened and saved again by Pillow with its pixels only:
EXIF (GPS position, camera, time), XMP, IPTC and comments are gone, the orientation is
applied first so the picture still stands the right way up. A HEIC photo is kept as JPEG
(browsers and PDF readers do not show HEIC).
"""

from __future__ import annotations

import codecs
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO

import filetype
import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from domain.errors import UnsupportedMediaType

PHOTOS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
# A phone's HEIC/HEIF photo is read (pillow-heif) and kept as JPEG: what pages can show.
CONVERTED = {"image/heic": "image/jpeg", "image/heif": "image/jpeg"}
ACCEPTED = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "text/plain",
)
DOCX = ACCEPTED[4]
IMAGE_PIXELS_MAX = 60_000_000  # refuse decompression bombs (about 60 megapixels)


UnsupportedType = UnsupportedMediaType
pillow_heif.register_heif_opener()  # Pillow opens HEIC/HEIF from here on


@dataclass(frozen=True)
class Checked:
    """A file as it will be stored: its (possibly re-encoded) content and what it is."""

    content: IO[bytes]
    media_type: str
    metadata_stripped: bool


def media_type_of(head: bytes, file: IO[bytes]) -> str:
    """The accepted media type the bytes are (`head`: the first 8 KiB of `file`), or
    UnsupportedMediaType naming the rule."""
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else None
    if mime == DOCX or (mime == "application/zip" and _is_docx(file)):
        return DOCX
    if mime in ACCEPTED or mime in CONVERTED:
        return str(mime)
    if mime is None and _is_text(file):
        return "text/plain"
    raise UnsupportedType(
        "file: the bytes must be a PDF, JPEG, PNG, WebP or HEIC image, a Word document (DOCX) or "
        "plain UTF-8 text (the type is read from the content, not the name)",
        field="file",
    )


def check(file: IO[bytes]) -> Checked:
    """The file to store: its type checked, a photo stripped of its metadata. Only a photo
    is read whole (to re-encode it); anything else is checked and stored as it streams."""
    file.seek(0)
    head = file.read(8192)
    media_type = media_type_of(head, file)
    if media_type == "application/pdf" and b"%%EOF" not in _tail(file):
        raise UnsupportedType("file: the PDF is incomplete (no end-of-file marker)", field="file")
    if media_type == DOCX and not _is_docx(file):
        raise UnsupportedType("file: the Word document is not a complete DOCX", field="file")
    file.seek(0)
    if media_type in CONVERTED:
        stored = CONVERTED[media_type]
        return Checked(io.BytesIO(_strip(file.read(), PHOTOS[stored])), stored, True)
    if media_type in PHOTOS:
        return Checked(io.BytesIO(_strip(file.read(), PHOTOS[media_type])), media_type, True)
    return Checked(file, media_type, False)


def _tail(file: IO[bytes]) -> bytes:
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(max(0, size - 2048))
    return file.read()


def _strip(data: bytes, fmt: str) -> bytes:
    """The picture's pixels only, upright, in the same format."""
    Image.MAX_IMAGE_PIXELS = IMAGE_PIXELS_MAX
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            # A new image from the pixels alone: no EXIF, XMP, IPTC, ICC or comments.
            clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
            if upright.mode == "P":
                clean.putpalette(upright.getpalette() or [])
            out = io.BytesIO()
            options: dict[str, object] = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
            clean.save(out, format=fmt, **options)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise UnsupportedType(
            "file: the picture could not be read (damaged or too large)", field="file"
        ) from None


def _is_docx(file: IO[bytes]) -> bool:
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def _is_text(file: IO[bytes]) -> bool:
    """UTF-8 throughout, with no control character but line breaks, tab and form feed."""
    file.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in iter(lambda: file.read(1 << 16), b""):
            text = decoder.decode(block)
            if any(ord(c) < 32 and c not in "\n\r\t\f" for c in text):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def upload_name(filename: str | None) -> str:
    """The uploaded file's own name, without any folder, made safe to show and keep."""
    raw = PureWindowsPath(PurePosixPath(filename or "").name).name
    cleaned = "".join(
        c for c in unicodedata.normalize("NFC", raw) if unicodedata.category(c)[0] != "C"
    ).strip()
    return cleaned[:200] or "document"
