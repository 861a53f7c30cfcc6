"""applications: the outbox keeps the trace context of the change that wrote each event (kit.tracing).

Revision ID: applications_0005
Revises: applications_0004
"""

from kit.migrations import add_outbox_trace_context, drop_outbox_trace_context

revision = "applications_0005"
down_revision = "applications_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_trace_context()


def downgrade() -> None:
    drop_outbox_trace_context()
