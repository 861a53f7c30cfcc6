"""What time it is: every service takes a Clock (tests pass a fixed or stepping one) and defaults to utcnow."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
