"""calculation: the outbox keeps the trace context of the change that wrote each event (kit.tracing).

Revision ID: calculation_0002
Revises: calculation_0001
"""

from kit.migrations import add_outbox_trace_context, drop_outbox_trace_context

revision = "calculation_0002"
down_revision = "calculation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_trace_context()


def downgrade() -> None:
    drop_outbox_trace_context()
