"""Mutual TLS between the adapters and the simulator, and answers that try to attack the parser.

The simulator requires a client certificate signed by the test CA. A client without one, or with one from
another CA, is refused; a client that trusts another CA refuses the simulator. Malicious XML (entity expansion,
an external entity) from a rogue register is refused without being expanded.
"""

from __future__ import annotations

import ssl

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contracts.registers import Purpose, SectionStatus, Source
from devstack import certs
from services.registers.integration.build import build_sources
from services.registers.integration.sources import IncomeOrder, RegisterUnavailable
from tests.registers.conftest import connection_to
from tests.support import serve_in_thread

ANNA = "198903149808"
ORDER = IncomeOrder(requested_by="karin", personal_number=ANNA, case_id=None, period="2026-10",
                    purpose=Purpose.CASE_HANDLING, legal_basis="SoL (2025:400)", sources=(Source.CSN,))
TLS_REFUSED = {"tls_error", "connection_error"}


async def _outcome(connection) -> tuple[list, str]:
    sources = build_sources(connection)
    try:
        sections = await sources.income.fetch(ORDER)
        with pytest.raises(RegisterUnavailable) as raised:
            await sources.population.people([ANNA], requested_by="karin", purpose=Purpose.CASE_HANDLING)
        return sections, raised.value.code
    finally:
        await sources.aclose()


async def test_with_our_client_certificate_the_adapters_get_answers(simulator, control):
    sources = build_sources(connection_to(simulator))
    try:
        assert (await sources.income.fetch(ORDER))[0].status is SectionStatus.OK
        (anna,) = await sources.population.people([ANNA], requested_by="karin", purpose=Purpose.CASE_HANDLING)
        assert anna.found
    finally:
        await sources.aclose()


def test_a_client_without_a_certificate_is_refused(simulator):
    context = ssl.create_default_context(cafile=simulator.certs.ca)
    with httpx.Client(verify=context, timeout=5.0) as client, pytest.raises(httpx.TransportError):
        client.get(f"{simulator.url}/livez")


async def test_the_adapters_without_a_certificate_are_refused(simulator, control):
    sections, navet_code = await _outcome(connection_to(simulator, client_cert=None, client_key=None))
    assert sections[0].status is SectionStatus.UNAVAILABLE and sections[0].error in TLS_REFUSED
    assert navet_code in TLS_REFUSED
    assert control.requests() == []


async def test_a_client_certificate_from_another_ca_is_refused(simulator, other_certs, control):
    connection = connection_to(simulator, client_cert=other_certs.client_cert, client_key=other_certs.client_key)
    sections, navet_code = await _outcome(connection)
    assert sections[0].error in TLS_REFUSED and navet_code in TLS_REFUSED
    assert control.requests() == []


async def test_a_server_not_signed_by_the_ca_we_trust_is_refused(simulator, other_certs, control):
    sections, navet_code = await _outcome(connection_to(simulator, ca_file=other_certs.ca))
    assert (sections[0].status, sections[0].error) == (SectionStatus.UNAVAILABLE, "tls_error")
    assert navet_code == "tls_error"
    assert control.requests() == []


def test_half_a_client_pair_is_a_configuration_error(simulator):
    with pytest.raises(ValueError, match="together"):
        build_sources(connection_to(simulator, client_key=None))


def test_certificates_are_made_once(tmp_path):
    first = certs.ensure(tmp_path / "set")
    before = {f: (tmp_path / "set" / f).read_bytes() for f in certs.FILES}
    again = certs.ensure(tmp_path / "set")
    assert again == first and {f: (tmp_path / "set" / f).read_bytes() for f in certs.FILES} == before
    assert oct((tmp_path / "set" / "client-key.pem").stat().st_mode & 0o777) == "0o600"


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<ssb:HamtaUppgifterSvar xmlns:ssb="urn:bistand:ssbtek:v1"><ssb:Personnummer>&lol9;</ssb:Personnummer>
</ssb:HamtaUppgifterSvar></soap:Body></soap:Envelope>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<nav:HamtaPersonerSvar xmlns:nav="urn:bistand:navet:v1"><nav:Person><nav:Personnummer>&x;</nav:Personnummer>
</nav:Person></nav:HamtaPersonerSvar></soap:Body></soap:Envelope>"""


@pytest.mark.parametrize("answer", [LAUGHS, EXTERNAL], ids=["entity-expansion", "external-entity"])
async def test_a_rogue_register_answering_malicious_xml_is_refused(simulator, answer):
    async def rogue(request: Request) -> Response:
        return Response(answer, media_type="text/xml")

    app = Starlette(routes=[Route("/ssbtek/v1", rogue, methods=["POST"]), Route("/navet/v1", rogue, methods=["POST"])])
    with serve_in_thread(app, lifespan="off") as url:
        connection = connection_to(simulator, ssbtek_url=f"{url}/ssbtek/v1", navet_url=f"{url}/navet/v1")
        sections, navet_code = await _outcome(connection)
    assert (sections[0].status, sections[0].error) == (SectionStatus.UNAVAILABLE, "malformed_answer")
    assert navet_code == "malformed_answer"
