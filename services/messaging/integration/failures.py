"""How a send to an external system failed: worth trying again later, or not."""

from __future__ import annotations


class TransientFailure(Exception):
    """Try again later (the relay backs off)."""


class PermanentFailure(Exception):
    """Retrying will not help (a refused address, a malformed number)."""
