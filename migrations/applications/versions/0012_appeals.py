"""Appeals (överklaganden) of a case's decision to förvaltningsrätten: services/applications/domain/appeals.py.

    appeals     one row per appeal received (by the client on Mina sidor, or registered by staff from paper, a visit
                or a phone call confirmed in writing), with its timeliness and the authority's steps; the rows follow
                the case: kept while it is kept, deleted with its personal data (store/retention.py)

While any appeal of a case is open, cases.appeal_pending (0010) is true and gallring keeps the case.

Revision ID: applications_0007_appeals
Revises: applications_0006_retention
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "applications_0007_appeals"
down_revision = "applications_0007_ombud"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "appeals",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("case_id", pg.UUID(as_uuid=True), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("decision_decided_at", TS, nullable=False),  # the decision appealed (one in force per case)
        sa.Column("appellant_role", sa.Text, nullable=False),  # applicant / co_applicant
        sa.Column("source", sa.Text, nullable=False),  # digital / paper / visit / phone
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("in_time", sa.Boolean, nullable=False),
        sa.Column("registered_by", sa.Text, nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("status_at", TS, nullable=False),
        sa.Column("forwarded_on", sa.Date),
        sa.Column("reconsidered_on", sa.Date),
        sa.Column("reconsideration", sa.Text),
        sa.Column("dismissed_on", sa.Date),
        sa.Column("dismissal_reason", sa.Text),
        sa.Column("court_outcome", sa.Text),
        sa.Column("ruled_on", sa.Date),
        sa.Column("note", sa.Text),
        sa.CheckConstraint("status IN ('received', 'reconsidered_partly', 'forwarded', 'reconsidered', "
                           "'dismissed', 'ruled')", name="ck_appeals_status"),
        sa.CheckConstraint("source IN ('digital', 'paper', 'visit', 'phone')", name="ck_appeals_source"),
        sa.CheckConstraint("court_outcome IS NULL OR court_outcome IN ('upheld', 'changed', 'returned')",
                           name="ck_appeals_court_outcome"),
    )
    op.create_index("ix_appeals_case", "appeals", ["case_id"])
    # The unit's queue: the open ones, oldest first.
    op.create_index("ix_appeals_open", "appeals", ["received_on"],
                    postgresql_where=sa.text("status IN ('received', 'reconsidered_partly', 'forwarded')"))


def downgrade() -> None:
    op.drop_table("appeals")
