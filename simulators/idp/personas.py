"""Demo and test personas. The personnummer are valid test numbers (serials 98xx), no real people."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    roles: tuple[str, ...]
    personal_number: str | None = None
    unit: str | None = None
    units: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()
    protected_identity: bool = False
    description: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def sub(self) -> str:
        return f"persona:{self.key}"


PERSONAS: dict[str, Persona] = {p.key: p for p in [
    Persona("anna", "Anna Andersson", ("client",), personal_number="198903149808",
            description="Client; applies with her partner Bertil."),
    Persona("bertil", "Bertil Andersson", ("client",), personal_number="199107229800",
            description="Co-applicant: Anna's partner, must sign the joint application."),
    Persona("cecilia", "Cecilia Carlsson", ("client",), personal_number="197501029800",
            description="Client in another household (for access tests)."),
    Persona("dana", "Dana Dahl", ("client",), personal_number="198209309809",
            protected_identity=True,
            description="Client with protected identity (skyddade personuppgifter)."),
    Persona("karin", "Karin Karlsson", ("caseworker",), unit="nord",
            description="Caseworker (handläggare), unit Nord."),
    Persona("lars", "Lars Larsson", ("caseworker",), unit="syd",
            description="Caseworker, unit Syd (another unit, for access tests)."),
    Persona("maja", "Maja Malm", ("caseworker",), unit="nord",
            permissions=("protected_identity",),
            description="Caseworker in Nord cleared for clients with protected identity."),
    Persona("nils", "Nils Nilsson", ("employment_officer",), unit="arbetsmarknad",
            description="Employment officer (arbetsmarknadssekreterare): plans and meetings only."),
    Persona("tove", "Tove Tran", ("team_lead",), unit="nord",
            description="Team lead (enhetschef) of unit Nord: statistics and queue overview."),
    Persona("adam", "Adam Admin", ("admin",),
            description="Municipality administrator: units, norm year, automation policy; reads no case."),
]}
