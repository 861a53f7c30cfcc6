"""POST /internal/protection on the registers service: which of these people have protected identity.

The population register is the one owner of that fact (DESIGN §2); the registers service answers for it. Applications
asks whenever a case's parties change, meetings and messaging before they show or name a person; the answer names
only the protected among those asked. When the population register is unavailable the registers answer 503
(problem+json) and every caller fails closed: a write is refused (503), a display treats the people as protected.
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
