"""Scanned receipts of disbursements: checked by their content, stored, served to officials.

Receipts are evidence, but scans may show names, signatures or bank details, so they are
served to officials only; the ledger and the disbursement list publish the receipt reference.
"""

import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.datastructures import UploadFile

from core.errors import NotFound
from core.i18n import _
from core.settings import Settings
from core.web import upload_path
from donations.errors import BadReceiptFile
from donations.models import Disbursement

SUFFIXES = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
MAGIC = {"application/pdf": b"%PDF", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}
FOLDER = "receipts"


@dataclass(frozen=True)
class Scan:
    """An uploaded scan that passed the checks, not yet on disk."""

    name: str
    content_type: str
    content: bytes
    settings: Settings

    def save(self) -> None:
        upload_path(self.settings, FOLDER, self.name).write_bytes(self.content)


async def read_scan(upload: object, settings: Settings) -> Scan | None:
    """The scan from a form's file field, None when no file was chosen; refused unless it is
    a PDF, JPEG or PNG by its first bytes and within the upload limit."""
    if not isinstance(upload, UploadFile):
        return None
    try:
        if not upload.filename:
            return None
        content = await upload.read(settings.max_upload_bytes + 1)
    finally:
        await upload.close()
    kind = next((t for t, magic in MAGIC.items() if content.startswith(magic)), None)
    if kind is None:
        message = _("Upload the receipt as PDF, JPEG or PNG.")
        raise BadReceiptFile(message, fields={"receipt_file": message})
    if len(content) > settings.max_upload_bytes:
        message = _("The file is too large.")
        raise BadReceiptFile(message, fields={"receipt_file": message})
    return Scan(secrets.token_hex(16) + SUFFIXES[kind], kind, content, settings)


def scan_path(settings: Settings, disbursement: Disbursement) -> Path:
    """Where a disbursement's scan is stored."""
    if not disbursement.receipt_file:
        raise NotFound(_("No file was attached."))
    return Path(settings.upload_dir, FOLDER, disbursement.receipt_file)
