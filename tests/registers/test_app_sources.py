"""Where the adapters come from: given ones (tests) stay the caller's; ones the app makes from its settings'
connection (``sources_factory``, by default integration/build.py) are made at start-up and closed at shutdown."""

from __future__ import annotations

from services.registers.app import create_app
from services.registers.integration.build import build_sources
from services.registers.settings import RegistersSettings
from tests.support import app_client, fresh_database, verifier_for


async def test_the_app_makes_its_adapters_from_the_connection_and_closes_them(issuer):
    made = []

    def factory(connection):
        sources = build_sources(connection)  # the real adapters; nothing is asked of them here
        made.extend([connection, sources])
        return sources

    async with fresh_database("registers") as url:
        settings = RegistersSettings(database_url=url, ssbtek_url="https://ssbtek.example/ws",
                                     navet_url="https://navet.example", retries=1, housekeeping_enabled=False)
        app = create_app(settings, sources_factory=factory, verifier=verifier_for(issuer))
        async with app_client(app) as client:
            assert (await client.get("/readyz")).status_code == 200
            connection, sources = made
            assert connection.ssbtek_url == "https://ssbtek.example/ws"
            assert connection.navet_url == "https://navet.example"
            assert connection.retries == 1
            assert connection.org_number == settings.org_number and connection.timeout_seconds == 5.0
            assert not sources.income.http.is_closed and not sources.population.http.is_closed
        assert sources.income.http.is_closed and sources.population.http.is_closed

        given = build_sources(settings.connection())
        async with app_client(create_app(settings, sources=given, verifier=verifier_for(issuer))):
            pass
        assert not given.income.http.is_closed  # the caller's to close
        await given.aclose()
