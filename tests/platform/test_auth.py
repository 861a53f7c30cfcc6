"""Every token attack is refused with 401 problem+json, at a service."""

from __future__ import annotations

import base64
import json
import time

import httpx
import pytest
from jose import jwt

from services.calculation.app import create_app
from services.calculation.settings import CalculationSettings
from simulators.idp.app import IdpSettings, Issuer
from simulators.idp.app import create_app as create_idp
from simulators.idp.personas import PERSONAS
from tests.support import (
    AUDIENCE,
    ISSUER,
    app_client,
    fresh_database,
    serve_in_thread,
    token_for,
    verifier_for,
)


@pytest.fixture(scope="module")
async def client(issuer):
    async with fresh_database("calculation") as url:
        app = create_app(CalculationSettings(database_url=url), verifier=verifier_for(issuer))
        async with app_client(app) as c:
            yield c


def _claims(**overrides):
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "persona:anna", "roles": ["client"],
              "iat": now, "nbf": now, "exp": now + 300}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(issuer, typ="at+jwt", **overrides):
    key = issuer.keys.current
    headers = {"kid": key.kid} if typ is None else {"kid": key.kid, "typ": typ}
    token = jwt.encode(_claims(**overrides), key.private_pem.decode(), algorithm="RS256", headers=headers)
    if typ is None:  # jose always writes typ JWT: sign a header without one by hand
        header = _b64({"alg": "RS256", "kid": key.kid})
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        private = serialization.load_pem_private_key(key.private_pem, None)
        payload = token.split(".")[1]
        signature = private.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        token = f"{header}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
    return token


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _assert_401(client, token):
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = await client.get("/whoami", headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:bistand:problem:unauthorized"
    assert body["status"] == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_valid_token_is_accepted(client, issuer):
    response = await client.get("/whoami", headers={"Authorization": f"Bearer {token_for(issuer, 'karin')}"})
    assert response.status_code == 200
    assert response.json() == {"sub": "persona:karin", "roles": ["caseworker"], "unit": "nord"}


async def test_missing_token(client):
    await _assert_401(client, None)


async def test_not_a_bearer_scheme(client, issuer):
    response = await client.get("/whoami", headers={"Authorization": f"Basic {token_for(issuer, 'anna')}"})
    assert response.status_code == 401


async def test_garbage_token(client):
    await _assert_401(client, "not.a.jwt")


async def test_alg_none(client, issuer):
    header = {"alg": "none", "typ": "JWT", "kid": issuer.keys.current.kid}
    await _assert_401(client, f"{_b64(header)}.{_b64(_claims())}.")


async def test_hs256_signed_with_the_public_key(client, issuer):
    # The classic confusion attack: HMAC keyed with the RSA public key a verifier might reuse.
    from jose import jwk

    public_pem = jwk.construct(issuer.keys.current.public_jwk, "RS256").to_pem()
    header = {"alg": "HS256", "typ": "JWT", "kid": issuer.keys.current.kid}
    signing_input = f"{_b64(header)}.{_b64(_claims())}"
    import hashlib
    import hmac

    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    await _assert_401(client, forged)


async def test_wrong_issuer(client, issuer):
    await _assert_401(client, _signed(issuer, iss="https://evil.example"))


async def test_wrong_audience(client, issuer):
    await _assert_401(client, _signed(issuer, aud="another-api"))


async def test_expired(client, issuer):
    past = int(time.time()) - 3600
    await _assert_401(client, _signed(issuer, iat=past - 300, nbf=past - 300, exp=past))


async def test_not_yet_valid(client, issuer):
    future = int(time.time()) + 3600
    await _assert_401(client, _signed(issuer, nbf=future, iat=future, exp=future + 300))


async def test_issued_in_the_future(client, issuer):
    """python-jose checks exp and nbf but never iat: a token issued past the leeway is refused all the same."""
    now = int(time.time())
    await _assert_401(client, _signed(issuer, iat=now + 120, nbf=now, exp=now + 600))
    await _assert_401(client, _signed(issuer, iat=now, nbf=now + 120, exp=now + 600))
    await _assert_401(client, _signed(issuer, iat="soon"))
    within = _signed(issuer, iat=now + 10, nbf=now + 10, exp=now + 600)  # clock skew inside the 30 s leeway
    assert (await client.get("/whoami", headers={"Authorization": f"Bearer {within}"})).status_code == 200


@pytest.mark.parametrize("typ", [None, "JWT", "id_token", "dpop+jwt"])
async def test_only_access_tokens(client, issuer, typ):
    """RFC 9068: an ID token or any other JWT the IdP signs, however valid otherwise, is no access token."""
    await _assert_401(client, _signed(issuer, typ=typ))


async def test_the_idp_marks_its_tokens_as_access_tokens(client, issuer):
    for token in (token_for(issuer, "anna"), issuer.service_token("applications")):
        assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    assert (await client.get("/whoami", headers={"Authorization": f"Bearer {_signed(issuer)}"})).status_code == 200


async def test_within_clock_skew_leeway_is_accepted(client, issuer):
    now = int(time.time())
    token = _signed(issuer, iat=now - 400, nbf=now - 400, exp=now - 5)
    response = await client.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_missing_exp(client, issuer):
    await _assert_401(client, _signed(issuer, exp=None))


async def test_unknown_kid(client, issuer):
    stranger = Issuer(IdpSettings(issuer=ISSUER, audience=AUDIENCE))  # same claims, other key
    await _assert_401(client, stranger.persona_token(PERSONAS["anna"]))


async def test_tampered_payload(client, issuer):
    header, _, signature = token_for(issuer, "anna").split(".")
    payload = _b64(_claims(sub="persona:karin", roles=["caseworker", "admin"]))
    await _assert_401(client, f"{header}.{payload}.{signature}")


async def test_key_rotation_is_followed_and_refetch_is_throttled():
    issuer = Issuer(IdpSettings(issuer=ISSUER, audience=AUDIENCE))
    fetches = []
    now = [time.time()]  # the verifier's clock also judges iat, so it keeps the real time here

    async def fetch():
        fetches.append(now[0])
        return issuer.keys.jwks()

    from kit.auth import TokenRejected, TokenVerifier

    verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, fetch_jwks=fetch,
                             min_refresh_seconds=5, clock=lambda: now[0])
    before = token_for(issuer, "karin")
    assert (await verifier.verify(before)).sub == "persona:karin"
    issuer.keys.rotate()
    after = token_for(issuer, "karin")
    # Right after a fetch, an unknown kid does not trigger another (a forged-kid flood
    # cannot hammer the IdP)...
    with pytest.raises(TokenRejected):
        await verifier.verify(after)
    assert len(fetches) == 1
    # ...but once the throttle has passed, the rotated key is fetched and accepted,
    # and the previous key is still published, so older tokens keep working.
    now[0] += 6
    assert (await verifier.verify(after)).sub == "persona:karin"
    assert len(fetches) == 2
    verifier._cache.clear()
    assert (await verifier.verify(before)).sub == "persona:karin"


def test_jwks_and_service_tokens_over_http():
    """The real IdP over HTTP: JWKS-verified persona tokens and client-credentials tokens."""
    import asyncio

    from kit.auth import TokenRejected, TokenVerifier

    with serve_in_thread(create_idp(IdpSettings(issuer=ISSUER, audience=AUDIENCE))) as base:
        persona_token = httpx.get(f"{base}/dev/token", params={"persona": "anna"}).text
        denied = httpx.post(f"{base}/token", data={"grant_type": "client_credentials",
                                                   "client_id": "applications",
                                                   "client_secret": "wrong"})
        assert denied.status_code == 401
        assert denied.headers["content-type"] == "application/problem+json"
        credentials = {"grant_type": "client_credentials", "client_id": "applications",
                       "client_secret": "dev-applications"}
        granted = httpx.post(f"{base}/token", data={**credentials, "resource": "bistand:messaging"})
        assert granted.status_code == 200
        # One service per token, and only a service this client is configured to call.
        for target in (None, "bistand:gateway", "bistand", "bistand:applications"):
            refused = httpx.post(f"{base}/token", data={**credentials, "resource": target} if target else credentials)
            assert refused.status_code == 400 and refused.json()["type"].endswith("invalid-target"), target
        verifier = TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=f"{base}/jwks.json")

        async def check():
            person = await verifier.verify(persona_token)
            service = await verifier.for_service("bistand:messaging").verify(granted.json()["access_token"])
            with pytest.raises(TokenRejected):  # the edge and person-only verifiers take no service token
                await verifier.verify(granted.json()["access_token"])
            with pytest.raises(TokenRejected):  # nor does another service
                await verifier.for_service("bistand:calculation").verify(granted.json()["access_token"])
            return person, service

        person, service = asyncio.run(check())
    assert person.sub == "persona:anna" and person.personal_number == "198903149808"
    assert service.is_service and service.sub == "service:applications"


def test_dev_tokens_for_any_test_client_by_personnummer():
    """Load tests and demos need many households: the dev IdP logs in any valid personnummer as a client."""
    import asyncio

    from jose import jwt as jose_jwt

    with serve_in_thread(create_idp(IdpSettings(issuer=ISSUER, audience=AUDIENCE))) as base:
        token = httpx.get(f"{base}/dev/token", params={"personal_number": "19800101-9804"}).text
        claims = jose_jwt.get_unverified_claims(token)
        assert claims["personal_number"] == "198001019804" and claims["roles"] == ["client"]
        other = jose_jwt.get_unverified_claims(
            httpx.get(f"{base}/dev/token", params={"personal_number": "198001029803"}).text)
        assert other["sub"] != claims["sub"] and other["sub"].startswith("persona:client-")
        bad = httpx.get(f"{base}/dev/token", params={"personal_number": "198001019805"})
        assert bad.status_code == 422 and bad.json()["type"].endswith("invalid-personal-number")
        assert asyncio.run(_verify_over_http(base, token)).roles == {"client"}


async def _verify_over_http(base: str, token: str):
    from kit.auth import TokenVerifier

    return await TokenVerifier(issuer=ISSUER, audience=AUDIENCE, jwks_url=f"{base}/jwks.json").verify(token)
