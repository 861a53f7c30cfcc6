"""Demo data for `make run`: Anna's mobile number for notifications, and a thread in unit Nord between Anna and
her caseworker Karin with a first message (so the SMS simulator shows the content-free notice it caused).
Staff write only to clients their unit knows: Anna becomes one when the applications service's demo case
reaches messaging (an outbox event, seeded just before), so the thread waits for it a little.

Idempotent: the calls carry fixed Idempotency-Keys, so a second run gets the first run's answers back
instead of making a second thread. Everything goes through the gateway, like a real client.
"""

from __future__ import annotations

import asyncio

import httpx

from simulators.idp.personas import PERSONAS

DEMO_PHONE = "070-123 45 67"  # Anna's; what is sent to it shows in the SMS simulator (GET :8091/messages)
SUBJECT = "Välkommen till dina meddelanden"
BODY = ("Hej Anna! Jag heter Karin och är din handläggare. Här kan du skriva till mig och skicka "
        "underlag. Jag svarar normalt inom två arbetsdagar.")


async def seed(gateway_url: str, idp_url: str) -> None:
    async with httpx.AsyncClient(timeout=10.0) as http:
        api = f"{gateway_url.rstrip('/')}/api/messaging"
        anna = (await http.get(f"{idp_url.rstrip('/')}/dev/token", params={"persona": "anna"}))
        anna.raise_for_status()
        contact = await http.put(f"{api}/me/contact", headers={"Authorization": f"Bearer {anna.text.strip()}"},
                                 json={"phone": DEMO_PHONE, "channels": ["sms"]})
        contact.raise_for_status()
        token = (await http.get(f"{idp_url.rstrip('/')}/dev/token", params={"persona": "karin"}))
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.text.strip()}"}
        for _ in range(50):
            thread = await http.post(f"{api}/threads", headers={**headers, "Idempotency-Key": "demo-thread-anna-nord"},
                                     json={"personal_number": PERSONAS["anna"].personal_number, "unit": "nord",
                                           "subject": SUBJECT})
            if thread.status_code != 404:
                break
            await asyncio.sleep(0.2)  # Anna's case is on its way from the applications service
        thread.raise_for_status()
        thread_id = thread.json()["id"]
        message = await http.post(f"{api}/threads/{thread_id}/messages",
                                  headers={**headers, "Idempotency-Key": "demo-message-anna-nord"}, json={"body": BODY})
        message.raise_for_status()
