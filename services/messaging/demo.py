"""Demo data for `make run`: a thread in unit Nord between Anna and her caseworker Karin, with a first message.

Idempotent: the calls carry fixed Idempotency-Keys, so a second run gets the first run's answers back
instead of making a second thread. Everything goes through the gateway, like a real client.
"""

from __future__ import annotations

import httpx

from simulators.idp.personas import PERSONAS

SUBJECT = "Välkommen till dina meddelanden"
BODY = ("Hej Anna! Jag heter Karin och är din handläggare. Här kan du skriva till mig och skicka "
        "underlag. Jag svarar normalt inom två arbetsdagar.")


async def seed(gateway_url: str, idp_url: str) -> None:
    async with httpx.AsyncClient(timeout=10.0) as http:
        token = (await http.get(f"{idp_url.rstrip('/')}/dev/token", params={"persona": "karin"}))
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.text.strip()}"}
        api = f"{gateway_url.rstrip('/')}/api/messaging"
        thread = await http.post(f"{api}/threads", headers={**headers, "Idempotency-Key": "demo-thread-anna-nord"},
                                 json={"personal_number": PERSONAS["anna"].personal_number, "unit": "nord",
                                       "subject": SUBJECT})
        thread.raise_for_status()
        thread_id = thread.json()["id"]
        message = await http.post(f"{api}/threads/{thread_id}/messages",
                                  headers={**headers, "Idempotency-Key": "demo-message-anna-nord"}, json={"body": BODY})
        message.raise_for_status()
