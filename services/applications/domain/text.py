"""Text every input model refuses: NUL characters, which PostgreSQL cannot store in text or jsonb.

Without this a ``"\\u0000"`` anywhere in a body validated fine and then failed in the database (a 500). The
check is a validator on the base models, so every field of every input (nested ones too) gets it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator


def reject_nul(value: Any) -> Any:
    """The value, or ValueError when a string in it (also inside lists and dicts) holds a NUL character."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters (\\u0000)")
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            reject_nul(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_nul(key)
            reject_nul(item)
    return value


class NoNulModel(BaseModel):
    """A base for input models: every field is checked after its own validation (nested models check
    themselves, so only strings and containers need looking at here)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return reject_nul(value)
