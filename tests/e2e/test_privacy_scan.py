"""A whole journey through the real system, then a look where personal data must never be: every log line of every
process, and every idempotency, outbox and notification row of every service's database.

Anna and Bertil apply and sign, Karin decides and writes to Anna, Anna answers and books a meeting; Dana (protected
identity) applies; Karin registers a paper application for a client without e-ID. None of their personnummer (in
any written form), names or message texts may show up in those places.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from devstack.stack import SERVICES, url
from kit.db import plain_url
from tests.access_matrix import written_forms
from tests.e2e.conftest import running_stack, this_month

pytestmark = pytest.mark.xdist_group("e2e")

ANNA, BERTIL, DANA, OLLE = "198903149808", "199107229800", "198209309809", "194703129801"
NAMES = ("Anna Andersson", "Bertil Andersson", "Dana Dahl", "Olle Ohlsson")
SECRET_SUBJECT = "Hyresskulden i oktober"
SECRET_BODY = "Jag har en skuld på 4 312 kronor till hyresvärden Bostadsbolaget."
SECRET_REPLY = "Min bror Kalle lånar mig pengar till medicinen."
# Tables that exist to carry events and retries, never content.
PLUMBING = r"(idempot|outbox|notification)"


def _content(pnr: str, name: str, period: str, partner: tuple[str, str] | None = None) -> dict:
    household: dict = {"applicant": {"personal_number": pnr, "name": name}}
    if partner:
        household["partner"] = {"personal_number": partner[0], "name": partner[1], "relation": "married"}
    return {"kind": "first", "period": period, "household": household,
            "housing": {"type": "rental", "rent": 7100, "household_size": 2 if partner else 1},
            "incomes": {"items": [{"type": "wages_net", "member": "applicant", "amount": 2100}]},
            "costs": [{"type": "household_electricity", "amount": 450}], "assets": {"none_declared": True},
            "plan": {"activities": [{"member": m, "status": "registered_at_af"}
                                    for m in ("applicant", "partner")[: 2 if partner else 1]]},
            "message": SECRET_REPLY}


def _marks() -> list[str]:
    return [form for pnr in (ANNA, BERTIL, DANA, OLLE) for form in written_forms(pnr)] + [
        *NAMES, SECRET_SUBJECT, SECRET_BODY, SECRET_REPLY, "Kalle"]


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    logs = tmp_path_factory.mktemp("privacy-logs")
    env = {"BISTAND_LOG_LEVEL": "INFO", "APPLICATIONS_RELAY_POLL_SECONDS": "0.2",
           "MESSAGING_NOTIFY_POLL_SECONDS": "0.2", "MEETINGS_WORKER_POLL_SECONDS": "0.2"}
    with running_stack("privacy", env, log_dir=logs) as stack:
        idp = url(stack.ports.idp)

        def h(persona: str, **extra: str) -> dict[str, str]:
            token = httpx.get(f"{idp}/dev/token", params={"persona": persona}).text
            return {"Authorization": f"Bearer {token}", **extra}

        def key() -> str:
            return str(uuid.uuid4())

        with httpx.Client(base_url=f"{url(stack.ports.gateway)}/api", timeout=20) as api:
            ok = (200, 201, 202)
            assert api.put("/messaging/me/contact", headers=h("anna"),
                           json={"phone": "+46701234597", "channels": ["sms"]}).status_code in ok
            made = api.post("/applications/applications", headers=h("anna", **{"Idempotency-Key": key()}),
                            json=_content(ANNA, NAMES[0], this_month(), (BERTIL, NAMES[1])))
            assert made.status_code == 201, made.text
            case = f"/applications/applications/{made.json()['id']}"
            for who in ("anna", "bertil"):
                signed = api.post(f"{case}/signatures", headers=h(who))
                assert signed.status_code in ok, signed.text
            submitted = api.post(f"{case}/submit", headers=h("anna", **{"Idempotency-Key": key()}))
            assert submitted.status_code == 200, submitted.text
            assert api.post(f"{case}/assign", headers=h("karin")).status_code == 200
            assert api.post(f"{case}/calculation", headers=h("karin")).status_code == 200
            decided = api.post(f"{case}/decision", headers=h("karin"),
                               json={"reasons_sv": "Beviljas enligt beräkningen.", "reasons_en": "Granted.",
                                     "reason_for_need": "unemployed_no_benefit"})
            assert decided.status_code == 201, decided.text

            thread = api.post("/messaging/threads", headers=h("karin", **{"Idempotency-Key": key()}),
                              json={"personal_number": ANNA, "unit": "nord", "subject": SECRET_SUBJECT})
            assert thread.status_code == 201, thread.text
            messages = f"/messaging/threads/{thread.json()['id']}/messages"
            for who, text in (("karin", SECRET_BODY), ("anna", SECRET_REPLY)):
                sent = api.post(messages, headers=h(who, **{"Idempotency-Key": key()}), json={"body": text})
                assert sent.status_code == 201, sent.text

            protected = api.post("/applications/applications", headers=h("dana", **{"Idempotency-Key": key()}),
                                 json=_content(DANA, NAMES[2], this_month()))
            assert protected.status_code == 201, protected.text
            paper = api.post("/applications/staff/applications", headers=h("karin", **{"Idempotency-Key": key()}),
                             json={"personal_number": OLLE, "source": "paper",
                                   "content": _content(OLLE, NAMES[3], this_month())})
            assert paper.status_code == 201, paper.text

        from devstack.demo import meetings as demo

        asyncio.run(demo.seed(url(stack.ports.gateway), url(stack.ports.idp)))  # Anna books a meeting
        databases = dict(stack.database_urls)
        yield logs, databases
    # the stack is stopped here: every process has flushed its log


def test_no_log_line_names_anyone_or_quotes_a_message(journey):
    logs, _ = journey
    files = sorted(logs.glob("*.log"))
    assert {f.stem for f in files} >= set(SERVICES) | {"gateway"}
    seen_lines = 0
    for file in files:
        for number, line in enumerate(file.read_text(errors="replace").splitlines(), 1):
            seen_lines += 1
            for mark in _marks():
                assert mark not in line, f"{file.name}:{number} carries {mark!r}"
    assert seen_lines > 20  # the services did log the journey (INFO)


async def _plumbing_rows(database_url: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        tables = [r["table_name"] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_name ~ $1", PLUMBING)]
        rows: list[tuple[str, str]] = []
        for table in tables:
            rows += [(table, r["t"]) for r in await conn.fetch(f'SELECT row_to_json(x)::text AS t FROM "{table}" x')]  # noqa: S608
        return rows
    finally:
        await conn.close()


def test_no_idempotency_outbox_or_notification_row_holds_personal_data(journey):
    _, databases = journey
    checked = 0
    for service, database_url in databases.items():
        for table, row in asyncio.run(_plumbing_rows(database_url)):
            checked += 1
            for mark in _marks():
                assert mark not in row, f"{service}.{table} holds {mark!r}"
    assert checked > 5  # the journey did leave such rows to look at
