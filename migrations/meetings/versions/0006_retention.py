"""Gallring (services/meetings/domain/retention.py): a past booking can be anonymised, keeping its figures.

    bookings.anonymised_at    when the client's data left the booking; booked_by may then be NULL

Revision ID: meetings_0006_retention
Revises: meetings_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "meetings_0006_retention"
down_revision = "meetings_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("anonymised_at", sa.DateTime(timezone=True)))
    op.alter_column("bookings", "booked_by", nullable=True)
    op.create_index("ix_bookings_retention", "bookings", ["end_at"], postgresql_where=sa.text("anonymised_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_bookings_retention", "bookings")
    op.execute("DELETE FROM bookings WHERE anonymised_at IS NOT NULL")
    op.alter_column("bookings", "booked_by", nullable=False)
    op.drop_column("bookings", "anonymised_at")
