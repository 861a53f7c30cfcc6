"""The service's shape holds: api/ reaches the database only through service/, no import hides in a function (the
old meeting_types -> stats -> bookings loop), and the outbox payload is the contract's with the rows' old shape."""

from __future__ import annotations

import ast
import datetime as dt
import pathlib

from contracts.events import MeetingEventPayload
from services.meetings.domain.bookings import Booking
from services.meetings.domain.meeting_types import Channel
from services.meetings.service.events import event_payload
from tests.meetings.conftest import ANNA
from tests.meetings.test_domain_factories import booking

ROOT = pathlib.Path(__file__).resolve().parents[2] / "services" / "meetings"


def _imports(path: pathlib.Path) -> list[tuple[str, bool]]:
    """(module, at module level) for every import of one of our modules in the file."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, id(node) in top))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, id(node) in top) for alias in node.names)
    return found


def test_the_api_does_not_reach_the_store():
    for path in (ROOT / "api").glob("*.py"):
        assert not [m for m, _ in _imports(path) if m.startswith("services.meetings.store")], path.name


def test_no_import_hides_inside_a_function():
    for path in ROOT.rglob("*.py"):
        hidden = [m for m, top in _imports(path) if not top and m.startswith("services.")]
        assert not hidden, f"{path.relative_to(ROOT)}: {hidden}"


def test_meeting_types_builds_on_nothing_that_builds_on_it():
    assert not [m for m, _ in _imports(ROOT / "domain" / "meeting_types.py") if m.startswith("services.meetings")
                and not m.endswith(".times")]


def _booking(client: str | None) -> Booking:
    return booking(unit_id="nord", client_id=client, channel=Channel.PHONE, start=dt.datetime(2026, 3, 17, 9, 0,
                   tzinfo=dt.UTC), location=None, protected_identity=True)


def test_the_event_payload_is_the_contracts_in_the_rows_old_shape():
    b = _booking(ANNA)
    payload = event_payload(b)
    assert payload == {"booking_id": str(b.id), "unit": "nord", "recipients": [ANNA], "protected_identity": True,
                       "starts_at": "2026-03-17T09:00:00+00:00", "channel": "phone"}
    assert list(payload) == ["booking_id", "unit", "recipients", "protected_identity", "starts_at", "channel"]
    assert MeetingEventPayload.model_validate(payload).model_dump(mode="json")["recipients"] == [ANNA]


def test_a_personnummer_the_contract_refuses_does_not_stop_the_booking():
    b = _booking("not-a-personnummer")
    assert event_payload(b)["recipients"] == ["not-a-personnummer"]
