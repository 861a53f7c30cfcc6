"""applications: decision proposals (one current per case, history kept), the register look-ups a client may see,
the municipality's automation policy, automated decisions (and the undone ones), a client's review request.

Revision ID: applications_0006_proposal
Revises: applications_0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "applications_0006_proposal"
down_revision = "0006_protection_from_registers"
branch_labels = None
depends_on = None

UUID = pg.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "decision_proposals",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("case_id", UUID, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        # The outbox message that asked for it: a re-delivery finds it and does nothing twice.
        sa.Column("job_id", UUID, nullable=False, unique=True),
        sa.Column("made_at", TS, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("fast_lane", sa.Boolean, nullable=False),
        sa.Column("discrepancies", sa.Integer, nullable=False),
        sa.Column("proposal", pg.JSONB, nullable=False),
        sa.CheckConstraint("outcome IN ('all_passed', 'checks_failed', 'not_available')",
                           name="ck_decision_proposals_outcome"),
    )
    op.create_index("uq_decision_proposals_current", "decision_proposals", ["case_id"], unique=True,
                    postgresql_where=sa.text("current"))
    op.create_table(
        "register_lookups",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", UUID, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("made_at", TS, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("register", sa.Text, nullable=False),
        sa.Column("sources", pg.ARRAY(sa.Text), nullable=False),
    )
    op.create_index("ix_register_lookups_case", "register_lookups", ["case_id", "id"])
    op.create_table(
        "automation_policy",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("delegation", sa.Text),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_automation_policy_single"),  # one policy: the municipality's
        sa.CheckConstraint("NOT enabled OR delegation IS NOT NULL", name="ck_automation_policy_delegation"),
    )
    op.add_column("decisions", sa.Column("automated", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "undone_decisions",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", UUID, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("automated", sa.Boolean, nullable=False),
        sa.Column("decision", pg.JSONB, nullable=False),
        sa.Column("undone_at", TS, nullable=False),
        sa.Column("undone_by", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.add_column("cases", sa.Column("review_requested_at", TS))


def downgrade() -> None:
    op.drop_column("cases", "review_requested_at")
    op.drop_table("undone_decisions")
    op.drop_column("decisions", "automated")
    op.drop_table("automation_policy")
    op.drop_table("register_lookups")
    op.drop_table("decision_proposals")
