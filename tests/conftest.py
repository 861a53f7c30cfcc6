"""One PostgreSQL server per test run, shared by all xdist workers.

With DATABASE_URL set, that server is used. Otherwise the controller process starts an embedded
server before the workers exist (they inherit DATABASE_URL) and stops it at the end. Each test
module makes its own uniquely named databases on it (tests/support.py: fresh_database).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.idp.personas import PERSONAS
from tests.registers_standin import RegistersStandIn, registers_standin
from tests.support import auth, make_issuer

ROOT = Path(__file__).resolve().parent.parent
_STARTED_KEY = "BISTAND_TEST_EMBEDDED_PGDATA"


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get("DATABASE_URL"):
        return
    from devstack import embedded

    pgdata = ROOT / ".data" / f"test-postgres-{uuid.uuid4().hex[:8]}"
    pgdata.parent.mkdir(exist_ok=True)
    os.environ["DATABASE_URL"] = embedded.start(pgdata, durable=False)
    os.environ[_STARTED_KEY] = str(pgdata)
    # A run stopped by SIGTERM (a CI time-out, `timeout`) still reaches pytest_unconfigure
    # and stops the server, instead of leaving it running.
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def pytest_unconfigure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    pgdata = os.environ.pop(_STARTED_KEY, None)
    if pgdata:
        from devstack import embedded

        embedded.stop(Path(pgdata))
        shutil.rmtree(pgdata, ignore_errors=True)
        os.environ.pop("DATABASE_URL", None)


@pytest.fixture(scope="session")
def issuer():
    return make_issuer()


@pytest.fixture(scope="session")
def as_persona(issuer):
    """as_persona("anna") -> Authorization header for that persona."""
    return lambda persona: auth(issuer, persona)


# --- the registers: the owner of protected identity for applications, meetings and messaging --------------------

@pytest.fixture(scope="session")
def registers(issuer) -> Iterator[RegistersStandIn]:
    """THE registers every test of applications, meetings and messaging asks about protected identity: the real
    registers service (tests/registers_standin.py) over HTTP on a free port, in front of the registers simulator
    over HTTPS with mutual TLS, one per test process. Tests use ``.url``, ``set_person(pnr, protected=True)`` and
    ``register_down()`` below.

    Dana (the demo persona) is protected in the population register, as in the simulator. Tests that mark someone
    else protected use personnummer of their own (the state lives as long as the test process)."""
    with registers_standin(issuer) as state:
        state.set_person(PERSONAS["dana"].personal_number, protected=True)
        yield state


@contextlib.contextmanager
def register_down(registers: RegistersStandIn) -> Iterator[None]:
    """The population register unavailable for a while: the registers answer 503 (problem+json) to every question."""
    registers.navet_down = True
    try:
        yield
    finally:
        registers.navet_down = False
