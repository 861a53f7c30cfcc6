"""The owners of a letter's content (contracts.letters): the applications service for ``application.*`` letters, the
meetings service for ``meeting.*`` ones, each asked ``POST /internal/letters`` with our service token (client_id
messaging, audience the owner). Only the owner knows what a letter says; we ask it for the PDF and keep it sealed.

A 404 is the owner's "no such letter for this person" (an unknown case or booking, or the person no party to it),
a 409 "nothing to post" (the information was already sent, no decision, the booking changed again since), a 422 "not
my kind": each a final answer, given up, never retried. Anything else that is not a usable 200 (unreachable, a
time-out, 5xx, a malformed answer) is ``LetterOwnerUnavailable``: the outbox tries again later.
"""

from __future__ import annotations

import logging

import httpx
from pydantic import ValidationError

from contracts.letters import MAX_PDF_BYTES, PATH, LetterDocument, LetterRequest

log = logging.getLogger("messaging.letters")


class LetterOwnerUnavailable(Exception):
    """No usable answer from the owner (retry later). The message is a stable reason, never content."""


class NoLetter(Exception):
    """The owner's final answer that there is no letter to post (404, 409 or 422): given up, not retried."""

    def __init__(self, status: int) -> None:
        super().__init__(f"answered {status}")
        self.status = status


FINAL_STATUSES = frozenset({404, 409, 422})


class LetterOwners:
    """One client per owning service (kit.http.service_client); an owner without a configured URL is unavailable."""

    def __init__(self, clients: dict[str, httpx.AsyncClient]) -> None:
        self.clients = clients

    async def fetch(self, owner: str, request: LetterRequest) -> LetterDocument:
        """The letter as its owner renders it; ``NoLetter`` when the owner says there is none to post."""
        client = self.clients.get(owner)
        if client is None:
            raise LetterOwnerUnavailable(f"{owner}: not configured")
        try:
            response = await client.post(PATH, json=request.model_dump(mode="json"))
        except (httpx.HTTPError, KeyError, ValueError) as exc:  # also: no service token from the IdP
            raise LetterOwnerUnavailable(f"{owner}: {type(exc).__name__}") from None
        if response.status_code in FINAL_STATUSES:
            raise NoLetter(response.status_code)
        if response.status_code != 200:
            raise LetterOwnerUnavailable(f"{owner}: answered {response.status_code}")
        try:
            document = LetterDocument.model_validate_json(response.content)
        except ValidationError:
            raise LetterOwnerUnavailable(f"{owner}: answered something else") from None
        if document.kind != request.kind or not document.pdf.startswith(b"%PDF-") \
                or len(document.pdf) > MAX_PDF_BYTES:
            raise LetterOwnerUnavailable(f"{owner}: not the letter asked for, or not a PDF")
        return document
