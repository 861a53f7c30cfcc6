"""The body check of the access matrices catches what a person would see (so a green matrix means something)."""

from __future__ import annotations

import httpx
import pytest

from tests.access_matrix import assert_body_tells_nothing_more


def _answer(status: int, text: str) -> httpx.Response:
    return httpx.Response(status, text=text)


@pytest.mark.parametrize(("status", "text", "caller"), [
    (201, '{"household": {"applicant": "198903149808"}}', "cecilia"),   # Anna's number to a stranger
    (200, '{"name": "Anna Andersson"}', "lars"),                         # her name to another unit
    (200, '{"client": "820930-9809"}', "karin"),                         # Dana (protected), short form, uncleared
    (409, '{"detail": "exists", "application_id": "c-1"}', "cecilia"),   # an id in a refusal
    (404, '{"unit": "nord"}', "cecilia"),                                # a unit in a refusal
    (403, '{"detail": "Bertil Andersson"}', "anna"),                     # anyone at all in a refusal
])
def test_leaks_are_caught(status: int, text: str, caller: str) -> None:
    with pytest.raises(AssertionError):
        assert_body_tells_nothing_more(_answer(status, text), caller, ids={"case": "c-1"})


@pytest.mark.parametrize(("status", "text", "caller", "known"), [
    (200, '{"applicant": "198903149808", "partner": "Bertil Andersson"}', "anna", ""),
    (200, '{"client": "198209309809"}', "maja", ""),
    (404, '{"detail": "No such case c-1."}', "cecilia", "/applications/c-1"),  # the caller sent that id
])
def test_what_the_caller_may_see_passes(status: int, text: str, caller: str, known: str) -> None:
    assert_body_tells_nothing_more(_answer(status, text), caller, known=known, ids={"case": "c-1"})
