"""The staff the service has seen: who may be assigned a case.

There is no staff directory to ask, so the service keeps what the identity provider's tokens say about each staff
member who calls it (roles, units, clearance for protected identity) and when it last saw them. A case is assigned
only to someone seen recently in the right role and unit (domain/assignment.py).

Revision ID: applications_0004
Revises: applications_0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "applications_0004"
down_revision = "applications_0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("sub", sa.Text, primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("roles", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("units", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("protected_access", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("first_seen", TS, nullable=False),
        sa.Column("last_seen", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff")
