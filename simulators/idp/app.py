"""A small OIDC-shaped identity provider for development and tests.

It signs RS256 JWTs for demo personas and client-credentials service tokens and publishes a
JWKS. Keys can rotate (``POST /dev/rotate``): the JWKS keeps the previous key so tokens already
issued stay valid. In production the municipality's IdP replaces it by configuration.
"""

from __future__ import annotations

import hmac
import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, Query
from fastapi.responses import PlainTextResponse
from jose import jwk, jwt
from personnummer import personnummer
from pydantic_settings import BaseSettings, SettingsConfigDict

from kit.problems import Problem, install_problem_handlers
from simulators.idp.personas import PERSONAS, Persona

PERSONA_GRANT = "urn:bistand:params:oauth:grant-type:persona"
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105 - a token type, no secret


class IdpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IDP_", extra="ignore")

    issuer: str = "http://127.0.0.1:8090"
    audience: str = "bistand"
    token_ttl_seconds: int = 3600
    service_token_ttl_seconds: int = 600
    # "id:secret,id:secret" — the services' client credentials.
    clients: str = ("applications:dev-applications,calculation:dev-calculation,"
                    "messaging:dev-messaging,meetings:dev-meetings,gateway:dev-gateway,payments:dev-payments")
    # "id=service service,…" — which services each client may get a token for (a client not named: none). A
    # token names the one service asked for (RFC 8707 `resource`), as the audience the service pattern makes.
    client_targets: str = ("applications=calculation meetings messaging registers,"
                           "meetings=applications messaging registers,"
                           "messaging=applications meetings registers,payments=applications")
    service_audience_pattern: str = "{audience}:{service}"

    def client_secrets(self) -> dict[str, str]:
        pairs = (item.split(":", 1) for item in self.clients.split(",") if ":" in item)
        return {cid.strip(): secret.strip() for cid, secret in pairs}

    def client_audiences(self, client_id: str) -> tuple[str, ...]:
        """The audiences ``client_id`` may get service tokens for."""
        for item in self.client_targets.split(","):
            cid, _, services = item.partition("=")
            if cid.strip() == client_id:
                return tuple(self.service_audience_pattern.format(audience=self.audience, service=name)
                             for name in services.split())
        return ()


@dataclass
class SigningKey:
    kid: str
    private_pem: bytes
    public_jwk: dict[str, Any]

    @classmethod
    def generate(cls) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
        kid = uuid.uuid4().hex[:16]
        public = jwk.construct(public_pem, "RS256").to_dict()
        public = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in public.items()}
        public.update(kid=kid, use="sig", alg="RS256")
        return cls(kid, pem, public)


class KeyRing:
    def __init__(self, keep: int = 2) -> None:
        self.keys = [SigningKey.generate()]
        self.keep = keep

    @property
    def current(self) -> SigningKey:
        return self.keys[0]

    def rotate(self) -> SigningKey:
        self.keys = [SigningKey.generate(), *self.keys][: self.keep]
        return self.current

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk for k in self.keys]}


class Issuer:
    def __init__(self, settings: IdpSettings, keys: KeyRing | None = None) -> None:
        self.settings = settings
        self.keys = keys or KeyRing()

    def sign(self, claims: dict[str, Any], *, ttl: int, now: float | None = None) -> str:
        now = time.time() if now is None else now
        body = {"iss": self.settings.issuer, "aud": self.settings.audience,
                "iat": int(now), "nbf": int(now), "exp": int(now) + ttl,
                "jti": uuid.uuid4().hex, **claims}
        key = self.keys.current
        # typ at+jwt (RFC 9068): an access token, which verifiers require (an ID token is no access key).
        return jwt.encode(body, key.private_pem.decode(), algorithm="RS256",
                          headers={"kid": key.kid, "typ": ACCESS_TOKEN_TYPE})

    def persona_token(self, persona: Persona, ttl: int | None = None) -> str:
        claims: dict[str, Any] = {"sub": persona.sub, "name": persona.name,
                                  "roles": list(persona.roles)}
        if persona.personal_number:
            claims["personal_number"] = persona.personal_number
        if persona.unit:
            claims["unit"] = persona.unit
        if persona.units:
            claims["units"] = list(persona.units)
        if persona.permissions:
            claims["permissions"] = list(persona.permissions)
        if persona.protected_identity:
            claims["protected_identity"] = True
        return self.sign(claims, ttl=ttl or self.settings.token_ttl_seconds)

    def service_token(self, client_id: str, audience: str | None = None) -> str:
        """A client-credentials token for ``audience``; without one (tests), for every audience the client has."""
        aud: str | list[str] = audience if audience is not None else list(self.settings.client_audiences(client_id))
        return self.sign({"sub": f"service:{client_id}", "roles": ["service"], "client_id": client_id,
                          "aud": aud}, ttl=self.settings.service_token_ttl_seconds)


def _persona(key: str) -> Persona:
    persona = PERSONAS.get(key)
    if persona is None:
        raise Problem(404, "unknown-persona", "Unknown persona",
                      f"Known personas: {', '.join(PERSONAS)}.")
    return persona


def _client(personal_number: str) -> Persona:
    """A client who is no demo persona (load tests, many households): e-ID login by a valid personnummer."""
    try:
        number = personnummer.parse(personal_number)
    except (personnummer.PersonnummerException, ValueError):
        raise Problem(422, "invalid-personal-number", "Invalid personnummer",
                      "Give a valid personnummer, YYYYMMDDNNNN.") from None
    full = number.format(long_format=True)
    return Persona(key=f"client-{uuid.uuid5(uuid.NAMESPACE_OID, full).hex[:16]}", name="Testklient",
                   roles=("client",), personal_number=full)


def create_app(settings: IdpSettings | None = None, issuer: Issuer | None = None) -> FastAPI:
    settings = settings or IdpSettings()
    issuer = issuer or Issuer(settings)
    app = FastAPI(title="Bistånd dev identity provider", version="0.1.0")
    app.state.issuer = issuer
    install_problem_handlers(app)

    @app.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        base = settings.issuer.rstrip("/")
        return {"issuer": settings.issuer, "jwks_uri": f"{base}/jwks.json",
                "token_endpoint": f"{base}/token",
                "grant_types_supported": ["client_credentials", PERSONA_GRANT],
                "id_token_signing_alg_values_supported": ["RS256"]}

    @app.get("/jwks.json")
    async def jwks() -> dict[str, Any]:
        return issuer.keys.jwks()

    @app.post("/token")
    async def token(
        grant_type: Annotated[str, Form()],
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
        persona: Annotated[str | None, Form()] = None,
        resource: Annotated[str | None, Form()] = None,
        audience: Annotated[str | None, Form()] = None,
    ) -> dict[str, Any]:
        if grant_type == "client_credentials":
            expected = settings.client_secrets().get(client_id or "")
            if expected is None or not hmac.compare_digest(expected, client_secret or ""):
                raise Problem(401, "invalid-client", "Invalid client",
                              "Unknown client or wrong secret.")
            # One token per target service (RFC 8707): the client names it and gets it only if configured for it.
            target = resource or audience
            if not target or target not in settings.client_audiences(client_id or ""):
                raise Problem(400, "invalid-target", "Invalid target",
                              "Name one service this client may call (resource=…).")
            return {"access_token": issuer.service_token(client_id or "", target), "token_type": "Bearer",
                    "expires_in": settings.service_token_ttl_seconds}
        if grant_type == PERSONA_GRANT and persona:
            return {"access_token": issuer.persona_token(_persona(persona)),
                    "token_type": "Bearer", "expires_in": settings.token_ttl_seconds}
        raise Problem(400, "unsupported-grant-type", "Unsupported grant type",
                      f"Use client_credentials or {PERSONA_GRANT} with a persona.")

    @app.get("/dev/token", response_class=PlainTextResponse,
             summary="A persona's access token as plain text (for curl); or any client's by a test personnummer")
    async def dev_token(persona: Annotated[str, Query()] = "anna",
                        personal_number: Annotated[str | None, Query()] = None) -> str:
        if personal_number is not None:
            return issuer.persona_token(_client(personal_number))
        return issuer.persona_token(_persona(persona))

    @app.get("/dev/personas")
    async def personas() -> list[dict[str, Any]]:
        return [{"persona": p.key, "name": p.name, "roles": list(p.roles), "unit": p.unit,
                 "permissions": list(p.permissions), "protected_identity": p.protected_identity,
                 "description": p.description} for p in PERSONAS.values()]

    @app.post("/dev/rotate", summary="Rotate the signing key (the previous key stays published)")
    async def rotate() -> dict[str, str]:
        return {"kid": issuer.keys.rotate().kid}

    return app
