"""An SMS gateway simulator: accepts messages over HTTP and keeps them for inspection.

Shaped like a typical SMS provider's REST API (POST a message, get an id back). It can be told
to fail the next N sends, so retries and backoff are exercised over the network.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import FastAPI, Header, Query
from pydantic import BaseModel, Field

from kit.problems import Problem, install_problem_handlers


class SmsIn(BaseModel):
    to: str = Field(pattern=r"^\+?[0-9]{6,15}$")
    text: str = Field(min_length=1, max_length=918)  # six concatenated segments
    sender: str = Field(default="Bistand", max_length=11)


class SmsOut(SmsIn):
    id: str
    idempotency_key: str | None = None


def create_app() -> FastAPI:
    app = FastAPI(title="SMS gateway simulator", version="0.1.0")
    install_problem_handlers(app)
    sent: list[SmsOut] = []
    by_key: dict[str, SmsOut] = {}
    failures = {"remaining": 0}

    @app.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/messages", status_code=202)
    async def send(message: SmsIn,
                   idempotency_key: Annotated[str | None, Header()] = None) -> SmsOut:
        if failures["remaining"] > 0:
            failures["remaining"] -= 1
            raise Problem(503, "sms-unavailable", "SMS gateway unavailable", "Injected failure.")
        if idempotency_key and idempotency_key in by_key:
            return by_key[idempotency_key]
        out = SmsOut(**message.model_dump(), id=uuid.uuid4().hex, idempotency_key=idempotency_key)
        sent.append(out)
        if idempotency_key:
            by_key[idempotency_key] = out
        return out

    @app.get("/messages")
    async def messages(to: Annotated[str | None, Query()] = None) -> list[SmsOut]:
        return [m for m in sent if to is None or m.to == to]

    @app.post("/dev/fail-next")
    async def fail_next(count: Annotated[int, Query(ge=0, le=100)] = 1) -> dict[str, int]:
        failures["remaining"] = count
        return failures

    @app.delete("/messages", status_code=204)
    async def clear() -> None:
        sent.clear()
        by_key.clear()

    return app
