"""applications: register extracts (registerutdrag, GDPR art. 15) — who asked for whose, when, which services
answered, and the gathered extract until it is purged (APPLICATIONS_REGISTERUTDRAG_KEEP_DAYS).

Revision ID: 0006_registerutdrag
Revises: applications_0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0006_registerutdrag"
down_revision = "applications_0006_figures"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "registerutdrag",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("personal_number", sa.Text, nullable=False),  # whose data
        sa.Column("requested_by", sa.Text, nullable=False),  # the token subject of who asked
        sa.Column("requested_via", sa.Text, nullable=False),  # client (Mina sidor) or staff (a request on paper)
        sa.Column("unit", sa.Text),  # staff requests: the unit whose caseworkers may fetch it
        sa.Column("protected_identity", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.Text, nullable=False),  # complete, partial
        sa.Column("services", pg.JSONB, nullable=False),  # [{service, status, reason}]: who answered
        sa.Column("extract", pg.JSONB),  # the gathered parts; NULL once purged
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("purged_at", TS),
        sa.CheckConstraint("requested_via IN ('client', 'staff')", name="ck_registerutdrag_via"),
        sa.CheckConstraint("status IN ('complete', 'partial')", name="ck_registerutdrag_status"),
        sa.CheckConstraint("requested_via = 'client' OR unit IS NOT NULL", name="ck_registerutdrag_staff_unit"),
    )
    op.create_index("ix_registerutdrag_person", "registerutdrag", ["personal_number", "requested_at"])
    op.create_index("ix_registerutdrag_due", "registerutdrag", ["expires_at"],
                    postgresql_where=sa.text("purged_at IS NULL"))


def downgrade() -> None:
    op.drop_table("registerutdrag")
