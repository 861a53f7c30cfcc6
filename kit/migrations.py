"""Alembic, per service: one history under migrations/<service>/, run programmatically."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncpg
import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from kit.db import async_url, plain_url
from kit.tables import AuditEntry, IdempotencyRecord, OutboxMessage

ROOT = Path(__file__).resolve().parent.parent / "migrations"


def config(service: str, url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / service))
    if url:
        cfg.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    return cfg


def heads(service: str) -> set[str]:
    return set(ScriptDirectory.from_config(config(service)).get_heads())


def upgrade(service: str, url: str, revision: str = "head") -> None:
    command.upgrade(config(service, url), revision)


_one_at_a_time = threading.Lock()


async def upgrade_async(service: str, url: str, revision: str = "head") -> None:
    # env.py runs its own event loop, so alembic goes to a thread; and alembic's context is a
    # process-wide global, so never two migrations at once in one process.
    def run() -> None:
        with _one_at_a_time:
            upgrade(service, url, revision)

    await asyncio.to_thread(run)


def run_env() -> None:
    """The body of every service's env.py: online migrations over asyncpg."""
    url = context.config.get_main_option("sqlalchemy.url")

    def do_run(connection: sa.Connection) -> None:
        context.configure(connection=connection, target_metadata=None,
                          transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run())


def create_kit_tables() -> None:
    """Called from each service's first migration: the audit log, the outbox and the idempotency keys, as
    kit.tables defines them (the outbox's trace context came later: add_outbox_trace_context)."""
    _create(AuditEntry.__table__)
    # Append-only, enforced by the database rather than by convention.
    op.execute(
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    _create(OutboxMessage.__table__, leave_out={"trace_context"})
    create_idempotency_table()


def add_outbox_trace_context() -> None:
    """The W3C trace context of the change that wrote an event, so its delivery continues that trace."""
    op.add_column("outbox", OutboxMessage.__table__.c.trace_context._copy())


def drop_outbox_trace_context() -> None:
    op.drop_column("outbox", "trace_context")


def drop_kit_tables() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("outbox")
    op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
    op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("audit_log")


def create_idempotency_table() -> None:
    _create(IdempotencyRecord.__table__)


def _create(table: sa.Table, leave_out: frozenset[str] | set[str] = frozenset()) -> None:
    """``table`` as kit.tables defines it, its indexes included, less the columns a later migration adds.
    The columns are copied: a column belongs to one table, and these belong to the model's."""
    op.create_table(table.name, *(column._copy() for column in table.columns if column.name not in leave_out))
    for index in sorted(table.indexes, key=lambda index: index.name or ""):
        op.create_index(index.name, table.name, [column.name for column in index.columns],
                        unique=index.unique, **index.dialect_kwargs)


async def _upgrade_locked(service: str, url: str) -> None:
    """Migrate under a PostgreSQL advisory lock: safe when every replica's init step runs it."""
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"bistand-migrate-{service}")
        await upgrade_async(service, url)
    finally:
        await conn.close()  # closing the session releases the lock


def main(argv: list[str] | None = None) -> None:
    """``python -m kit.migrations <service>``: the deploy step (Kubernetes init container)."""
    import argparse
    import importlib

    parser = argparse.ArgumentParser(description="Migrate a service's database to head.")
    parser.add_argument("service", choices=sorted(p.name for p in ROOT.iterdir() if p.is_dir()))
    args = parser.parse_args(argv)
    settings_module = importlib.import_module(f"services.{args.service}.settings")
    settings_cls = next(v for k, v in vars(settings_module).items()
                        if k.endswith("Settings") and k != "KitSettings")
    asyncio.run(_upgrade_locked(args.service, settings_cls().resolved_database_url()))
    print(f"{args.service}: migrations at head")


if __name__ == "__main__":
    main()
