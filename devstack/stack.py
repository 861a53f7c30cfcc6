"""Start the whole system as separate processes: IdP, SMS simulator, services, gateway.

Used by ``make run`` (devstack.run) and by the end-to-end tests, so both exercise the same
wiring: one database per service on one server, every service's migrations, real HTTP.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack import certs
from kit import migrations
from kit.db import create_database
from kit.settings import database_name, database_url_for

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("applications", "calculation", "messaging", "meetings", "registers")
CERTS = ROOT / ".data" / "certs"  # the development CA, the simulator's server and our client certificate
# Longer than any client keeps an idle connection (the gateway 30 s, aiohttp 15 s, httpx 5 s, an ingress 60 s): a
# server closing first races the client's next request on that connection, which then fails as a 502.
KEEP_ALIVE_SECONDS = 75
ORG_NUMBER = "2120002411"  # the municipality's organisation number in register requests (a test value)


@dataclass
class Ports:
    gateway: int = 8080
    idp: int = 8090
    sms: int = 8091
    registers_sim: int = 8092
    applications: int = 8101
    calculation: int = 8102
    messaging: int = 8103
    meetings: int = 8104
    registers: int = 8105

    @classmethod
    def from_env(cls) -> Ports:
        ports = cls()
        for name in ports.__dataclass_fields__:
            value = os.environ.get(f"BISTAND_{name.upper()}_PORT")
            if value:
                setattr(ports, name, int(value))
        return ports


def free_ports(count: int) -> list[int]:
    """``count`` different free ports on loopback. Every socket stays bound until all are chosen: one closed before
    the next was asked for could be handed out again, and two processes of one stack would share a port (the one
    that lost the race exits, and its name answers with another service's routes)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


async def prepare_databases(server_url: str, names: dict[str, str] | None = None) -> dict[str, str]:
    """Create each service's database (if missing) and migrate it to head. Returns the URLs."""
    names = names or {s: database_name(s) for s in SERVICES}
    urls = {s: database_url_for(server_url, names[s]) for s in SERVICES}
    for service in SERVICES:
        await create_database(server_url, names[service])
        # One at a time: alembic keeps its migration context in a process-wide global.
        await migrations.upgrade_async(service, urls[service])
    return urls


def _client_tls(tls: certs.CertSet) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=tls.ca)
    context.load_cert_chain(tls.client_cert, tls.client_key)
    return context


@dataclass
class Stack:
    database_urls: dict[str, str]
    ports: Ports = field(default_factory=Ports)
    extra_env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # More replicas of a service: their ports (the first replica has the service's port in ``ports``).
    extra_replicas: dict[str, list[int]] = field(default_factory=dict)

    def replica_ports(self, service: str) -> list[int]:
        return [getattr(self.ports, service), *self.extra_replicas.get(service, [])]

    def env(self) -> dict[str, str]:
        issuer = url(self.ports.idp)
        env = {**os.environ, "BISTAND_AUTH_ISSUER": issuer, "IDP_ISSUER": issuer,
               "BISTAND_SMS_URL": url(self.ports.sms), "PYTHONUNBUFFERED": "1"}
        for service in SERVICES:
            prefix = service.upper()
            env[f"{prefix}_DATABASE_URL"] = self.database_urls[service]
            env.setdefault(f"{prefix}_SERVICE_CLIENT_ID", service)
            env.setdefault(f"{prefix}_SERVICE_CLIENT_SECRET", f"dev-{service}")
            # The gateway takes turns between the replicas; services call each other at the first one.
            env[f"GATEWAY_{prefix}_URL"] = ",".join(url(p) for p in self.replica_ports(service))
            env[f"BISTAND_{prefix}_URL"] = url(getattr(self.ports, service))
        env.update(self.registers_env())
        env.update(self.extra_env)
        return env

    def registers_env(self) -> dict[str, str]:
        """How the registers service reaches the simulated SSBTEK and Navet: HTTPS with mutual TLS."""
        tls = certs.ensure(CERTS)
        sim = f"https://127.0.0.1:{self.ports.registers_sim}"
        return {"REGISTERS_SSBTEK_URL": f"{sim}/ssbtek/v1", "REGISTERS_NAVET_URL": f"{sim}/navet/v1",
                "REGISTERS_ORG_NUMBER": ORG_NUMBER, "REGISTERS_CA_FILE": tls.ca,
                "REGISTERS_CLIENT_CERT": tls.client_cert, "REGISTERS_CLIENT_KEY": tls.client_key}

    def _spawn(self, name: str, target: str, port: int, env: dict[str, str], extra: tuple[str, ...] = ()) -> None:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = (self.log_dir / f"{name}.log").open("ab")
        # The port is bound here and the socket handed to uvicorn (--fd): a port taken meanwhile fails now, by name,
        # instead of in the child after its start-up, while someone else's server answers on that port.
        with socket.socket() as listening:
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # (a restart: old connections linger)
            # uvicorn takes an inherited socket for a Unix one and leaves Nagle on for its connections (40 ms
            # delayed ACKs on small answers); Linux passes this on from the listening socket to each accepted one.
            listening.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                listening.bind(("127.0.0.1", port))
            except OSError as exc:
                raise RuntimeError(f"{name}: port {port} is taken ({exc.strerror})") from exc
            fd = listening.fileno()
            self.processes[name] = subprocess.Popen(  # noqa: S603 - our own fixed command line
                [sys.executable, "-m", "uvicorn", target, "--factory", "--fd", str(fd),
                 "--loop", "uvloop", "--http", "httptools", "--no-access-log",
                 "--timeout-graceful-shutdown", "10", "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS),
                 "--log-level", "warning",
                 "--no-proxy-headers", *extra],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
                start_new_session=True, pass_fds=(fd,),
            )

    def start(self, only: tuple[str, ...] | None = None) -> None:
        env = self.env()
        targets = {
            "idp": ("simulators.idp.app:create_app", self.ports.idp),
            "sms": ("simulators.sms.app:create_app", self.ports.sms),
            "registers-sim": ("simulators.registers.app:create_app", self.ports.registers_sim),
            **{s: (f"services.{s}.app:create_app", getattr(self.ports, s)) for s in SERVICES},
            **{f"{s}-{n}": (f"services.{s}.app:create_app", port) for s in SERVICES
               for n, port in enumerate(self.extra_replicas.get(s, []), start=2)},
            "gateway": ("gateway.app:create_app", self.ports.gateway),
        }
        for name, (target, port) in targets.items():
            if only is None or name in only:
                self._spawn(name, target, port, env, self._registers_sim_tls() if name == "registers-sim" else ())

    @staticmethod
    def _registers_sim_tls() -> tuple[str, ...]:
        """The simulator speaks HTTPS and requires a client certificate from our CA (mutual TLS, as SSBTEK)."""
        tls = certs.ensure(CERTS)
        return ("--ssl-certfile", tls.server_cert, "--ssl-keyfile", tls.server_key, "--ssl-ca-certs", tls.ca,
                "--ssl-cert-reqs", str(int(ssl.CERT_REQUIRED)))

    def start_one(self, name: str) -> None:
        self.start(only=(name,))

    def wait_ready(self, timeout: float = 60.0) -> None:
        checks = {"idp": f"{url(self.ports.idp)}/livez", "sms": f"{url(self.ports.sms)}/livez",
                  "registers-sim": f"https://127.0.0.1:{self.ports.registers_sim}/livez",
                  "gateway": f"{url(self.ports.gateway)}/livez",
                  **{s: f"{url(getattr(self.ports, s))}/readyz" for s in SERVICES},
                  **{f"{s}-{n}": f"{url(port)}/readyz" for s in SERVICES
                     for n, port in enumerate(self.extra_replicas.get(s, []), start=2)}}
        # A service's /readyz names its migration heads: an answer with another service's heads means the port is
        # someone else's (this process could not bind it and is about to exit).
        own = {s: sorted(migrations.heads(s)) for s in SERVICES}
        deadline = time.monotonic() + timeout
        pending = {n: checks[n] for n in self.processes}
        tls = certs.ensure(CERTS)
        with httpx.Client(timeout=1.0) as client, \
                httpx.Client(timeout=1.0, verify=_client_tls(tls)) as tls_client:
            while pending:
                for name, check in list(pending.items()):
                    process = self.processes[name]
                    if process.poll() is not None:
                        raise RuntimeError(f"{name} exited with {process.returncode}")
                    try:
                        answer = (tls_client if check.startswith("https:") else client).get(check)
                    except httpx.HTTPError:
                        continue
                    if answer.status_code != 200:
                        continue
                    service = name.rsplit("-", 1)[0] if name.rsplit("-", 1)[-1].isdigit() else name
                    if service in own and answer.json().get("migrations") != own[service]:
                        raise RuntimeError(f"{name}: {check} is answered by another process")
                    del pending[name]
                if pending and time.monotonic() > deadline:
                    raise TimeoutError(f"not ready: {', '.join(pending)}")
                if pending:
                    time.sleep(0.05)  # polling a process we just started, not waiting for time

    def stop_one(self, name: str, timeout: float = 15.0) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop(self) -> None:
        for name in list(self.processes):
            process = self.processes[name]
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name in list(self.processes):
            self.stop_one(name)
