"""A help request's photo: checked by its content, re-encoded without metadata, staff only.

A phone's photo carries EXIF, often with the GPS position of the house; re-encoding the
pixels alone drops all of it. The file is personal data: served to triage staff, erased
with the request's contact fields.
"""

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile

from core.errors import InvalidInput
from core.i18n import _
from core.settings import Settings
from core.web import upload_path

FOLDER = "help-photos"
FORMATS = {"JPEG", "PNG", "WEBP"}
# Longest side kept: enough to see the damage, small enough to send on.
MAX_SIDE = 1600
# Refuse images that would decompress into more pixels than this (decompression bombs).
MAX_PIXELS = 40_000_000


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, fields={"photo": message})


@dataclass(frozen=True)
class Photo:
    """A checked photo, re-encoded as JPEG without metadata, not yet on disk."""

    name: str
    content: bytes

    def save(self, settings: Settings) -> None:
        upload_path(settings, FOLDER, self.name).write_bytes(self.content)


def clean(content: bytes) -> bytes:
    """The picture alone: turned upright by its EXIF orientation, then saved with no EXIF,
    GPS, XMP or comments."""
    # Imported here: Pillow costs every web worker megabytes, and only a photo needs it.
    from PIL import Image, ImageOps, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content))
            if image.format not in FORMATS:
                raise _refuse(_("Send the photo as JPEG, PNG or WebP."))
            if image.width * image.height > MAX_PIXELS:
                raise _refuse(_("The photo has too many pixels."))
            image.load()
        except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning) as exc:
            raise _refuse(_("Send the photo as JPEG, PNG or WebP.")) from exc
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


async def read_photo(upload: object, settings: Settings) -> Photo | None:
    """The photo from a form's file field, None when none was chosen."""
    if not isinstance(upload, UploadFile):
        return None
    try:
        if not upload.filename:
            return None
        content = await upload.read(settings.help_photo_max_bytes + 1)
    finally:
        await upload.close()
    if not content:
        return None
    if len(content) > settings.help_photo_max_bytes:
        limit = settings.help_photo_max_bytes // (1024 * 1024)
        raise _refuse(_("The photo is too large (at most %(mb)s MB).") % {"mb": limit})
    return Photo(secrets.token_hex(16) + ".jpg", clean(content))


def photo_path(settings: Settings, name: str) -> Path:
    return Path(settings.upload_dir, FOLDER, name)


def erase_photo(settings: Settings, name: str | None) -> None:
    if name:
        photo_path(settings, name).unlink(missing_ok=True)
