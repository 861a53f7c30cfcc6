"""messaging: a notification may carry a meeting's time (meeting.* events), never its place.

Revision ID: messaging_0003
Revises: messaging_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "messaging_0003"
down_revision = "messaging_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("starts_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("notifications", "starts_at")
