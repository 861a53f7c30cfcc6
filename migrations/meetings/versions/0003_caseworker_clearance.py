"""meetings: whether a caseworker is cleared for clients with protected identity (from their token).

A protected client's meeting may only be held, joined or seen by cleared staff: slots offered to such a
client, the lead caseworker of their booking and every colleague added to it must be cleared.

Revision ID: meetings_0003
Revises: meetings_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "meetings_0003"
down_revision = "meetings_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("caseworkers", sa.Column("protected_access", sa.Boolean, nullable=False,
                                           server_default=sa.false()))


def downgrade() -> None:
    op.drop_column("caseworkers", "protected_access")
