"""Personnummer as a value type that validates with the ``personnummer`` library and never prints itself.

Models end up in logs and tracebacks, so ``repr``/``str`` are masked; only JSON serialisation (the API
body, the canonical signing form) and ``.value`` give the digits.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from personnummer import personnummer as _pnr
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

MASK = "************"


def normalise_personal_number(raw: str) -> str:
    """Return the 12-digit form (YYYYMMDDNNNC) or raise ValueError. Accepts 10/12 digits, with '-' or '+'."""
    text = "".join(str(raw).split())
    # The 12-digit form means the same on every day: remembered for the busiest numbers (a submit validates its
    # parties' numbers several times, the form's, the token's and the signatures', and the library's parse is a
    # regular expression and a date). A 10-digit form's century depends on today, so it is parsed every time.
    if len(text) == 12 and text.isdigit():
        return _normalised_full(text)
    return _normalised(text)


@functools.lru_cache(maxsize=2048)
def _normalised_full(text: str) -> str:
    return _normalised(text)


def _normalised(text: str) -> str:
    try:
        parsed = _pnr.Personnummer(text)
    except _pnr.PersonnummerException:
        # No input in the message: it would end up in logs.
        raise ValueError("not a valid personnummer") from None
    return parsed.format(long_format=True)


def is_valid_personal_number(raw: str | None) -> bool:
    if not raw:
        return False
    try:
        normalise_personal_number(raw)
    except ValueError:
        return False
    return True


class PersonalNumber:
    """A validated, normalised personnummer (or samordningsnummer). Compare with ``==``; read with ``.value``."""

    __slots__ = ("_value",)

    def __init__(self, raw: str | PersonalNumber) -> None:
        self._value = raw.value if isinstance(raw, PersonalNumber) else normalise_personal_number(raw)

    @property
    def value(self) -> str:
        return self._value

    @property
    def is_coordination_number(self) -> bool:
        return int(self._value[6:8]) > 60

    @property
    def birth_date(self) -> dt.date:
        day = int(self._value[6:8])
        day = day - 60 if day > 60 else day
        return dt.date(int(self._value[0:4]), int(self._value[4:6]), day)

    def __repr__(self) -> str:
        return f"PersonalNumber('{MASK}')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PersonalNumber) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("PersonalNumber", self._value))

    # --- pydantic integration -------------------------------------------------------------
    @classmethod
    def _validate(cls, raw: Any) -> PersonalNumber:
        if isinstance(raw, PersonalNumber):
            return raw
        if not isinstance(raw, str) or len(raw) > 20:
            raise PydanticCustomError("personnummer_type", "personnummer must be a string")
        try:
            return cls(raw)
        except ValueError:
            raise PydanticCustomError(
                "personnummer", "not a valid personnummer (check the digits and the date)"
            ) from None

    @staticmethod
    def _serialise(value: PersonalNumber, info: core_schema.SerializationInfo) -> Any:
        # Python-mode dumps keep the masking object; JSON (wire, signing) gets the digits.
        return value.value if info.mode_is_json() else value

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls._validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls._serialise, info_arg=True, when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "title": "Personnummer",
            "description": "Swedish personal identity number (or coordination number); answered as 12 digits.",
            "examples": ["198903149808"],
        }
