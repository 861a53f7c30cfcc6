"""Domain errors with stable codes; the API turns them into problem+json (``type`` = urn:bistand:problem:<code>).

Built on the shared ``values.errors.DomainError`` so that the shared attachment rules (``values.files``) and ours
reach the caller in one shape (kit answers every DomainError).
"""

from __future__ import annotations

from kit.i18n import N_
from values.errors import DomainError


class MessagingError(DomainError):
    code = "messaging-error"
    status = 409
    title = N_("The request breaks a rule of messaging")


# Problem texts a client may see that are written outside messaging's code (kit.problems.not_found, the shared
# upload rules in values.files): marked here so the catalogs have them (kit.problems.use_catalogs, in app.py).
# "A file may be at most 10 MB." is what the upload size check says with the default attachment_max_bytes.
PROBLEM_TEXTS = (
    N_("No such thread."), N_("No such message."), N_("No such attachment."), N_("No such case."),
    N_("No such contact."), N_("The file cannot be accepted"), N_("A file may be at most 10 MB."),
    N_("The file is empty."), N_("Only PDF, JPEG and PNG files are accepted."),
)

__all__ = ["PROBLEM_TEXTS", "DomainError", "MessagingError"]
