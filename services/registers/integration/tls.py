"""The TLS side of a register connection: whom we trust, and the organisation certificate we show (mutual TLS)."""

from __future__ import annotations

import ssl

from services.registers.integration.sources import Connection


def ssl_context(connection: Connection) -> ssl.SSLContext:
    """Verification always on; ``ca_file`` replaces the system trust store (the registers' own CA), and a client
    certificate is presented when one is configured. Both halves of the client pair or neither."""
    if bool(connection.client_cert) != bool(connection.client_key):
        raise ValueError("client_cert and client_key go together")
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=connection.ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if connection.client_cert and connection.client_key:
        context.load_cert_chain(connection.client_cert, connection.client_key)
    return context
