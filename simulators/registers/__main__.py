"""``python -m simulators.registers [--port 8092] [--certs DIR]``: serve the simulator.

With ``--certs`` (a directory made by ``devstack.certs``) it speaks HTTPS and requires a client certificate signed
by that directory's CA (mutual TLS, as SSBTEK does); without it, plain HTTP for a quick look.
"""

from __future__ import annotations

import argparse
import ssl
from pathlib import Path

import uvicorn

from simulators.registers.app import create_app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m simulators.registers")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8092)
    parser.add_argument("--certs", type=Path, help="directory with ca.pem, server.pem, server-key.pem")
    args = parser.parse_args()
    tls = {}
    if args.certs:
        tls = {"ssl_certfile": str(args.certs / "server.pem"), "ssl_keyfile": str(args.certs / "server-key.pem"),
               "ssl_ca_certs": str(args.certs / "ca.pem"), "ssl_cert_reqs": ssl.CERT_REQUIRED}
    # Idle connections kept longer than the registers service's client keeps them (see devstack.stack).
    uvicorn.run(create_app(), host=args.host, port=args.port, access_log=False, proxy_headers=False,
                log_level="warning", timeout_keep_alive=75, **tls)


if __name__ == "__main__":
    main()
