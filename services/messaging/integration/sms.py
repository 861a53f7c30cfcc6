"""The SMS gateway (BISTAND_SMS_URL): one POST per notification, its id as the Idempotency-Key, so even a send
whose result we did not record is not sent twice."""

from __future__ import annotations

import uuid

import httpx

from services.messaging.integration.failures import PermanentFailure, TransientFailure


async def send_sms(client: httpx.AsyncClient, *, sender: str, notification_id: uuid.UUID, phone: str,
                   body: str) -> None:
    try:
        response = await client.post("/messages", json={"to": phone, "text": body, "sender": sender},
                                      headers={"Idempotency-Key": str(notification_id)})
    except httpx.HTTPError as exc:
        raise TransientFailure(f"SMS gateway unreachable: {type(exc).__name__}") from None
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        raise TransientFailure(f"SMS gateway answered {response.status_code}")
    if response.status_code >= 400:
        raise PermanentFailure(f"SMS gateway refused the message ({response.status_code})")
