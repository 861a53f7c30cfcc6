"""Demo data for `make run`: unit Nord's booking settings and meeting types, Karin's weekly hours, and a meeting
booked by Anna with Karin at the first free time.

Idempotent: types are created only when the unit lacks one of that name, the hours are replaced by the same
hours, and Anna books only when she has no open booking. Everything goes through the gateway, like a client.
"""

from __future__ import annotations

from typing import Any

import httpx

UNIT = "nord"
OFFICE = "Storgatan 1, 111 22 Nordstad"
TYPES: list[dict[str, Any]] = [
    {"name": "Besök hos handläggare", "kind": "in_person", "duration_minutes": 60, "buffer_after_minutes": 15,
     "channels": ["in_person", "phone", "video"], "office_address": OFFICE, "client_self_bookable": True},
    {"name": "Telefonsamtal", "kind": "phone", "duration_minutes": 30, "channels": ["phone"],
     "client_self_bookable": True},
    {"name": "Hembesök", "kind": "home_visit", "duration_minutes": 90, "buffer_before_minutes": 30,
     "buffer_after_minutes": 30, "channels": ["in_person"]},
    {"name": "Samordnat möte", "kind": "multi_party", "duration_minutes": 90, "channels": ["video", "in_person"],
     "office_address": OFFICE},
    {"name": "Öppen mottagning", "kind": "drop_in", "duration_minutes": 15, "channels": ["in_person"],
     "office_address": OFFICE},
]
KARIN_HOURS = [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)] + [
    {"weekday": d, "start": "13:00", "end": "16:00"} for d in (1, 3)]


async def _token(http: httpx.AsyncClient, idp_url: str, persona: str) -> dict[str, str]:
    response = await http.get(f"{idp_url.rstrip('/')}/dev/token", params={"persona": persona})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.text.strip()}"}


async def seed(gateway_url: str, idp_url: str) -> None:
    api = f"{gateway_url.rstrip('/')}/api/meetings"
    async with httpx.AsyncClient(timeout=10.0) as http:
        tove, karin, anna = [await _token(http, idp_url, p) for p in ("tove", "karin", "anna")]
        (await http.put(f"{api}/units/{UNIT}/settings", headers=tove, json={
            "client_change_cutoff_hours": 24, "min_notice_hours": 2, "reminder_offsets_minutes": [1440, 120]})
         ).raise_for_status()
        existing = await http.get(f"{api}/units/{UNIT}/meeting-types", headers=tove)
        existing.raise_for_status()
        names = {t["name"]: t["id"] for t in existing.json()}
        for meeting_type in TYPES:
            if meeting_type["name"] not in names:
                made = await http.post(f"{api}/units/{UNIT}/meeting-types", headers=tove, json=meeting_type)
                made.raise_for_status()
                names[meeting_type["name"]] = made.json()["id"]
        hours = await http.put(f"{api}/caseworkers/me/hours", headers=karin, json={"hours": KARIN_HOURS})
        hours.raise_for_status()
        karin_id = hours.json()["caseworker_id"]

        mine = await http.get(f"{api}/me/bookings", headers=anna)
        mine.raise_for_status()
        if any(b["status"] == "booked" and b["outcome"] is None for b in mine.json()):
            return
        visit = names[TYPES[0]["name"]]
        slots = await http.get(f"{api}/slots", headers=anna,
                               params={"meeting_type_id": visit, "caseworker_id": karin_id})
        slots.raise_for_status()
        free = slots.json()["slots"]
        if not free:
            return
        booked = await http.post(f"{api}/bookings", headers=anna, json={
            "meeting_type_id": visit, "caseworker_id": karin_id, "start": free[0]["start"], "channel": "video",
            "interpreter": {"language": "ti"}})
        if booked.status_code != 409:  # taken in between by another seed run: fine
            booked.raise_for_status()
