"""POST /internal/protection on the applications service: which of these people have protected identity.

Meetings and messaging ask before they show a person; the answer names only the protected among those asked.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from values.personal_number import PersonalNumber

PATH = "/internal/protection"
MAX_ASKED = 100


class ProtectionQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personal_numbers: list[PersonalNumber] = Field(min_length=1, max_length=MAX_ASKED,
                                                   description="The people about to be shown (12 or 10 digits).")


class ProtectionAnswer(BaseModel):
    protected: list[str] = Field(description="Those asked about who have protected identity (12 digits).")
