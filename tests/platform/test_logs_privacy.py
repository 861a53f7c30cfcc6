"""Personnummer never reach a log line: not from statement parameters, not from an exception's text."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from kit.db import make_engine
from kit.logs import JsonFormatter, redact
from tests.support import fresh_database

PNR = "198903149808"


@pytest.fixture(scope="module")
async def db_url():
    async with fresh_database("kit_logs", migrate=False) as url:
        yield url


NOTE = "Anna Andersson har skulder"


async def _failing(db_url: str, statement: str) -> DBAPIError:
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            with pytest.raises(DBAPIError) as caught:
                await conn.execute(text(statement), {"p": PNR, "note": NOTE})
    finally:
        await engine.dispose()
    return caught.value


def _logged(exc: BaseException) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    log = logging.getLogger("test.privacy.db")
    log.addHandler(handler)
    try:
        try:
            raise RuntimeError("handler failed") from exc
        except RuntimeError:
            log.exception("unhandled error")
    finally:
        log.removeHandler(handler)
    return stream.getvalue()


async def test_a_failed_statement_does_not_quote_its_parameters(db_url) -> None:
    error = await _failing(db_url, "SELECT * FROM no_such_table WHERE a = :p AND b = :note")
    assert PNR not in str(error)
    assert NOTE not in str(error)


async def test_the_log_withholds_what_the_driver_quotes(db_url) -> None:
    # asyncpg quotes a bad argument in its message; the log line must not carry it.
    error = await _failing(db_url, "SELECT CAST(:note AS integer) + CAST(:p AS integer)")
    line = _logged(error)
    assert NOTE not in line and PNR not in line
    assert "message withheld" in line and "Traceback" in line


@pytest.mark.parametrize("written", [PNR, "8903149808", "19890314-9808", "890314-9808", "890314+9808"])
def test_log_lines_mask_every_written_form(written: str) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    log = logging.getLogger("test.privacy")
    log.addHandler(handler)
    try:
        try:
            raise ValueError(f"duplicate key (personal_number)=({written})")
        except ValueError:
            log.exception("failed for %s", written, extra={"who": written})
    finally:
        log.removeHandler(handler)
    line = stream.getvalue()
    assert written not in line
    assert "[personnummer]" in line


def test_other_numbers_are_left_alone() -> None:
    for text_ in ("123456789012", "ms 1234567890", "2026-03-02T09:00:00", "amount 8200", "id 4ce0cf5a1b"):
        assert redact(text_) == text_
