"""applications: the kit's tables (audit log, outbox, idempotency keys).

Revision ID: applications_0001
Revises:
"""

from kit.migrations import create_kit_tables, drop_kit_tables

revision = "applications_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()


def downgrade() -> None:
    drop_kit_tables()
