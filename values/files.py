"""Uploaded files: what a file really is (by its own bytes) and the limits every service applies to uploads."""

from __future__ import annotations

from typing import Literal

import filetype

from values.errors import DomainError

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # 10 MiB per file
MAX_ATTACHMENTS_PER_APPLICATION = 30
SNIFF_BYTES = 262  # filetype needs at most this many leading bytes

MediaType = Literal["application/pdf", "image/jpeg", "image/png"]
ALLOWED_MEDIA_TYPES: frozenset[str] = frozenset({"application/pdf", "image/jpeg", "image/png"})
EXTENSIONS: dict[str, str] = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


def sniff(first_bytes: bytes) -> MediaType | None:
    """The media type read from the file's own leading bytes, or None if it is not one we accept.

    The filename and the client's Content-Type are never consulted: an .exe renamed to .pdf is an exe.
    """
    head = bytes(first_bytes[:SNIFF_BYTES])
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    kind = filetype.guess(head)
    if kind is not None and kind.mime in ("image/jpeg", "image/png"):
        return kind.mime  # type: ignore[return-value]
    return None


class AttachmentRejected(DomainError):
    status = 422
    title = "The file cannot be accepted"


def check_upload(first_bytes: bytes, size: int, existing_count: int) -> MediaType:
    """The upload rules in one place; raises AttachmentRejected with a stable code."""
    if existing_count >= MAX_ATTACHMENTS_PER_APPLICATION:
        raise AttachmentRejected(
            f"At most {MAX_ATTACHMENTS_PER_APPLICATION} files per application.", code="attachment-too-many", status=409
        )
    if size > MAX_ATTACHMENT_BYTES:
        raise AttachmentRejected("A file may be at most 10 MB.", code="attachment-too-large", status=413)
    if size <= 0:
        raise AttachmentRejected("The file is empty.", code="attachment-empty")
    media_type = sniff(first_bytes)
    if media_type is None:
        raise AttachmentRejected(
            "Only PDF, JPEG and PNG files are accepted.", code="attachment-unsupported-type", status=415
        )
    return media_type
