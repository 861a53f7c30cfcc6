"""Text every input model refuses: NUL characters, which PostgreSQL cannot store in text or jsonb.

Without this a ``"\\u0000"`` anywhere in a body validated fine and then failed in the database (a 500). The
check is a validator on the base models, so every field of every input (nested ones too) gets it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator


def reject_nul(value: Any) -> Any:
    """The value, or ValueError when a string in it (also inside lists and dicts) holds a NUL character."""
    kind = _KINDS.get(value.__class__) or _kind(value.__class__)
    if kind is _STR:
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters (\\u0000)")
    elif kind is _ITEMS:
        for item in value:
            reject_nul(item)
    elif kind is _MAPPING:
        for key, item in value.items():
            reject_nul(key)
            reject_nul(item)
    return value


# What a value's class holds, looked up once per class: this runs for every field of every input model, and most
# values (numbers, dates, enums' ints, nested models) hold no text of their own.
_STR, _ITEMS, _MAPPING, _NONE = "str", "items", "mapping", "none"
_KINDS: dict[type, str] = {}


def _kind(cls: type) -> str:
    kind = (_STR if issubclass(cls, str) else _ITEMS if issubclass(cls, list | tuple | set | frozenset) else
            _MAPPING if issubclass(cls, dict) else _NONE)
    _KINDS[cls] = kind
    return kind


class NoNulModel(BaseModel):
    """A base for input models: every field is checked after its own validation (nested models check
    themselves, so only strings and containers need looking at here)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _KINDS.get(value.__class__) is _NONE:  # the common case, without a second call
            return value
        return reject_nul(value)
