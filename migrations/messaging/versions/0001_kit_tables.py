"""messaging: the kit's tables (audit log, outbox, idempotency keys).

Revision ID: messaging_0001
Revises:
"""

from kit.migrations import create_kit_tables, drop_kit_tables

revision = "messaging_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()


def downgrade() -> None:
    drop_kit_tables()
