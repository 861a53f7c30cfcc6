"""The rules of a message: what a body may be, how many files, how often, and the retract window.

Text is kept as text: HTML or script is stored exactly as written and only ever returned as a JSON
string (never rendered), so there is nothing to sanitise, only control characters to drop.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass

from kit.i18n import N_
from services.messaging.domain.errors import MessagingError

# C0/C1 control characters except tab and newline: invisible, break terminals and exports.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class MessageEmpty(MessagingError):
    code = "message-empty"
    status = 422
    title = N_("The message is empty")


class MessageTooLong(MessagingError):
    code = "message-too-long"
    status = 422
    title = N_("The message is too long")


class SubjectInvalid(MessagingError):
    code = "subject-invalid"
    status = 422
    title = N_("The subject is empty or too long")


class TooManyAttachments(MessagingError):
    code = "too-many-attachments"
    status = 422
    title = N_("Too many attachments")


class RateLimited(MessagingError):
    code = "message-rate-limited"
    status = 429
    title = N_("Too many messages")


class RetractNotAllowed(MessagingError):
    code = "retract-not-allowed"
    status = 409
    title = N_("The message cannot be retracted")


def clean_text(raw: str) -> str:
    """NFC, Unix newlines, no control characters, no surrounding whitespace."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def check_body(raw: str, max_chars: int) -> str:
    body = clean_text(raw)
    if not body:
        raise MessageEmpty(N_("Write something before sending."))
    if len(body) > max_chars:
        raise MessageTooLong(f"A message may be at most {max_chars} characters (this one has {len(body)}).",
                             max_chars=max_chars)
    return body


def check_subject(raw: str, max_chars: int = 200) -> str:
    subject = " ".join(clean_text(raw).split())  # one line
    if not subject or len(subject) > max_chars:
        raise SubjectInvalid(f"A subject is 1 to {max_chars} characters.", max_chars=max_chars)
    return subject


def check_attachment_count(count: int, max_per_message: int) -> None:
    if count > max_per_message:
        raise TooManyAttachments(f"At most {max_per_message} files per message.", max_attachments=max_per_message)


@dataclass(frozen=True)
class RateLimit:
    per_minute: int
    per_hour: int


def check_rate(sent_last_minute: int, sent_last_hour: int, limit: RateLimit) -> None:
    """Per sender, across replicas (the counts come from the database). Retry-After is a hint in seconds."""
    if sent_last_minute >= limit.per_minute:
        raise RateLimited(f"At most {limit.per_minute} messages a minute. Try again shortly.", retry_after=60)
    if sent_last_hour >= limit.per_hour:
        raise RateLimited(f"At most {limit.per_hour} messages an hour.", retry_after=3600)


def retract_deadline(sent_at: dt.datetime, window: dt.timedelta) -> dt.datetime:
    return sent_at + window


def check_retract(*, sender_sub: str, caller_sub: str, sent_at: dt.datetime, retracted: bool,
                  now: dt.datetime, window: dt.timedelta) -> None:
    """Only the sender, only once, only within the window after sending (then it is part of the record)."""
    if sender_sub != caller_sub:
        raise RetractNotAllowed(N_("Only the sender may retract a message."), code="retract-not-sender", status=403)
    if retracted:
        raise RetractNotAllowed(N_("The message is already retracted."), code="retract-already-done")
    if now > retract_deadline(sent_at, window):
        minutes = math.ceil(window.total_seconds() / 60)
        raise RetractNotAllowed(f"A message can be retracted within {minutes} minutes of sending.",
                                code="retract-window-passed", window_minutes=minutes)
