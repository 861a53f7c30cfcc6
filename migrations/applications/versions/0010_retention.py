"""Gallring (services/applications/domain/retention.py): a case can be anonymised, and an appeal holds it.

    cases.anonymised_at     when the personal data left the case (its figures stay); such a case is never shown again
    cases.appeal_pending    a lodged appeal not yet settled: the case is kept whatever its age

An anonymised case has no personnummer, no creator, no staff id in its decision or history: those columns may be NULL.

Revision ID: applications_0006_retention
Revises: applications_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "applications_0006_retention"
down_revision = "0006_registerutdrag"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("anonymised_at", sa.DateTime(timezone=True)))
    op.add_column("cases", sa.Column("appeal_pending", sa.Boolean, nullable=False, server_default=sa.false()))
    for table, column in (("cases", "applicant_pnr"), ("cases", "created_by"), ("decisions", "decided_by"),
                          ("decisions", "input_hash"), ("case_history", "actor")):
        op.alter_column(table, column, nullable=True)
    # A person's cases are found by personnummer; the gallring pass looks for quiet, closed ones.
    op.create_index("ix_cases_retention", "cases", ["updated_at"], postgresql_where=sa.text("anonymised_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_cases_retention", "cases")
    op.execute("DELETE FROM cases WHERE anonymised_at IS NOT NULL")
    for table, column in (("cases", "applicant_pnr"), ("cases", "created_by"), ("decisions", "decided_by"),
                          ("decisions", "input_hash"), ("case_history", "actor")):
        op.alter_column(table, column, nullable=False)
    op.drop_column("cases", "appeal_pending")
    op.drop_column("cases", "anonymised_at")
