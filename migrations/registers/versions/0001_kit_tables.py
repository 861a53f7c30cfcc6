"""registers: the kit's tables (audit log, outbox with its trace context, idempotency keys).

Revision ID: registers_0001
Revises:
"""

from kit.migrations import add_outbox_trace_context, create_kit_tables, drop_kit_tables, drop_outbox_trace_context

revision = "registers_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()
    add_outbox_trace_context()


def downgrade() -> None:
    drop_outbox_trace_context()
    drop_kit_tables()
