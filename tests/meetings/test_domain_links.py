from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re

import pytest

from services.meetings.domain.bookings import BookingStatus, ExternalRole, Outcome
from services.meetings.domain.links import (
    check_join,
    hash_token,
    issue_join_link,
    link_url,
    new_token,
    redeem,
    token_matches,
    video_meeting_link,
)
from services.meetings.domain.meeting_types import Channel, MeetingKind
from services.meetings.domain.rules import Reason
from tests.meetings.test_domain_factories import booking, sthlm

BASE = "https://video.malmo.example/m/"
START = sthlm(2026, 3, 10, 10)
MIN = dt.timedelta(minutes=1)
VIDEO = booking(start=START, kind=MeetingKind.MULTI_PARTY, channel=Channel.VIDEO, location=None)


def test_tokens_are_random_and_long() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)  # 32 bytes, URL-safe
    with pytest.raises(ValueError):
        new_token(8)


def test_only_a_hash_is_kept() -> None:
    token = new_token()
    digest = hash_token(token)
    assert digest == hashlib.sha256(token.encode()).hexdigest() and token not in digest
    assert token_matches(token, digest)
    assert not token_matches(token + "x", digest)
    assert not token_matches(new_token(), digest)


def test_video_meeting_link_per_booking() -> None:
    first, second = video_meeting_link(BASE), video_meeting_link(BASE)
    assert first.url != second.url
    assert first.url.startswith("https://video.malmo.example/m/") and "//" not in first.url[8:]
    token = first.url.rsplit("/", 1)[1]
    assert token_matches(token, first.token_hash)
    assert str(VIDEO.id) not in first.url and VIDEO.reference not in first.url  # opaque: nothing derivable
    assert video_meeting_link(BASE, token="abc").url == "https://video.malmo.example/m/abc"
    assert "token" not in {f.name for f in dataclasses.fields(first)}  # the token lives only in the URL


@pytest.mark.parametrize(
    "base", ["http://video.example/m", "ftp://video.example", "https://video.example/m?x=1", "https://", "video"]
)
def test_base_url_must_be_https(base: str) -> None:
    with pytest.raises(ValueError):
        link_url(base, "t")


def test_localhost_may_use_http() -> None:
    assert link_url("http://localhost:8080/m", "t") == "http://localhost:8080/m/t"


def test_one_time_join_link() -> None:
    url, grant = issue_join_link(BASE, VIDEO, ExternalRole.AGENCY)
    token = url.rsplit("/", 1)[1]
    assert grant.booking_id == VIDEO.id and grant.role is ExternalRole.AGENCY and grant.used_at is None
    assert token not in repr(grant) and grant.token_hash == hash_token(token)

    assert check_join(grant, token, VIDEO, START - 15 * MIN)
    assert check_join(grant, token, VIDEO, START - 16 * MIN).reason is Reason.JOIN_TOO_EARLY
    assert check_join(grant, token, VIDEO, VIDEO.end - MIN)
    assert check_join(grant, token, VIDEO, VIDEO.end).reason is Reason.JOIN_LINK_INVALID
    assert check_join(grant, "guess", VIDEO, START).reason is Reason.JOIN_LINK_INVALID

    used = redeem(grant, START)
    assert used.used_at == START
    assert check_join(used, token, VIDEO, START + MIN).reason is Reason.JOIN_LINK_INVALID  # one time only
    with pytest.raises(ValueError, match="already used"):
        redeem(used, START + MIN)


def test_join_window_follows_a_moved_meeting_and_closes_on_cancellation() -> None:
    url, grant = issue_join_link(BASE, VIDEO, ExternalRole.PARENT)
    token = url.rsplit("/", 1)[1]
    moved = VIDEO.model_copy(update={"start": VIDEO.start + dt.timedelta(days=1),
                                     "end": VIDEO.end + dt.timedelta(days=1)})
    assert check_join(grant, token, moved, START).reason is Reason.JOIN_TOO_EARLY
    assert check_join(grant, token, moved, moved.start)
    for cancelled in (VIDEO.model_copy(update={"status": BookingStatus.CANCELLED}),
                      VIDEO.model_copy(update={"outcome": Outcome.CANCELLED_LATE})):
        assert check_join(grant, token, cancelled, START).reason is Reason.JOIN_LINK_INVALID
    with pytest.raises(ValueError, match="another booking"):
        check_join(grant, token, booking(), START)
