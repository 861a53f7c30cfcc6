"""applications: households, cases, signatures, attachments, requested documents, history, decisions,
assignments, trust checks, client profiles.

The database guards the invariants that matter under concurrency: one live application per household and
month (a partial unique index: a withdrawn one may be replaced), one household per person, one signature per
signer and content version, one trust-check draw per unit and month.

Revision ID: applications_0002
Revises: applications_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "applications_0002"
down_revision = "applications_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    # The adult applicants of a household; a person belongs to one household at a time.
    op.create_table(
        "household_members",
        sa.Column("personal_number", sa.Text, primary_key=True),
        sa.Column("household_id", UUID, sa.ForeignKey("households.id", ondelete="CASCADE"), nullable=False),
        sa.Column("since", TS, nullable=False),
    )
    op.create_index("ix_household_members_household", "household_members", ["household_id"])
    op.create_table(
        "cases",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("household_id", UUID, sa.ForeignKey("households.id"), nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("content", pg.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("applicant_pnr", sa.Text, nullable=False),
        sa.Column("co_applicant_pnr", sa.Text),
        sa.Column("protected_identity", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("submitted_at", TS),
        sa.Column("decided_at", TS),
        sa.Column("info_due", sa.Date),
        sa.Column("calculation", pg.JSONB),
        sa.Column("calculated_at", TS),
        sa.CheckConstraint("source IN ('digital', 'paper', 'phone', 'visit')", name="ck_cases_source"),
        sa.CheckConstraint("kind IN ('first', 'monthly')", name="ck_cases_kind"),
        sa.CheckConstraint("period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'", name="ck_cases_period"),
    )
    op.create_index("uq_cases_household_period", "cases", ["household_id", "period"], unique=True,
                    postgresql_where=sa.text("status <> 'withdrawn'"))
    op.create_index("ix_cases_unit_status", "cases", ["unit", "status", "submitted_at"])
    op.create_index("ix_cases_applicant", "cases", ["applicant_pnr"])
    op.create_index("ix_cases_co_applicant", "cases", ["co_applicant_pnr"])
    op.create_table(
        "signatures",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("case_id", UUID, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("personal_number", sa.Text, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("signed_at", TS, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.UniqueConstraint("case_id", "role", "content_hash", name="uq_signatures_case_role_hash"),
    )
    op.create_table(
        "attachments",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("case_id", UUID, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("media_type", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False, server_default="other"),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("size > 0 AND size <= 10485760", name="ck_attachments_size"),
        sa.CheckConstraint("media_type IN ('application/pdf', 'image/jpeg', 'image/png')",
                           name="ck_attachments_media_type"),
    )
    op.create_index("ix_attachments_case", "attachments", ["case_id"])
    # Content apart from the metadata (listing never loads bytes); inserted in the same transaction.
    op.create_table(
        "attachment_contents",
        sa.Column("attachment_id", UUID, sa.ForeignKey("attachments.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "document_requests",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False),  # the order they were asked for
        sa.Column("case_id", UUID, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("rejection_reason", sa.Text),
        sa.Column("attachment_id", UUID, sa.ForeignKey("attachments.id")),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_document_requests_case", "document_requests", ["case_id"])
    op.create_table(
        "case_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", UUID, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_role", sa.Text, nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("details", pg.JSONB),
    )
    op.create_index("ix_case_history_case", "case_history", ["case_id", "id"])
    op.create_table(
        "decisions",
        sa.Column("case_id", UUID, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("granted", sa.Integer, nullable=False),
        sa.Column("input_hash", sa.Text, nullable=False),
        sa.Column("calculation_result", pg.JSONB, nullable=False),
        sa.Column("decision", pg.JSONB, nullable=False),
    )
    op.create_table(
        "assignments",
        sa.Column("case_id", UUID, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.Text, primary_key=True),
        sa.Column("sub", sa.Text, nullable=False),
        sa.Column("assigned_by", sa.Text, nullable=False),
        sa.Column("assigned_at", TS, nullable=False),
        sa.CheckConstraint("role IN ('caseworker', 'employment_officer')", name="ck_assignments_role"),
    )
    op.create_index("ix_assignments_sub", "assignments", ["sub"])
    op.create_table(
        "trust_check_draws",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("month", sa.Text, nullable=False),
        sa.Column("per_caseworker", sa.Integer, nullable=False),
        sa.Column("seed_id", sa.Text, nullable=False),
        sa.Column("population", sa.Integer, nullable=False),
        sa.Column("drawn_by", sa.Text, nullable=False),
        sa.Column("drawn_at", TS, nullable=False),
        sa.UniqueConstraint("unit", "month", name="uq_trust_check_draws_unit_month"),
    )
    op.create_table(
        "trust_checks",
        sa.Column("draw_id", UUID, sa.ForeignKey("trust_check_draws.id", ondelete="CASCADE"), nullable=False),
        sa.Column("case_id", UUID, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("caseworker_sub", sa.Text, nullable=False),
    )
    # What staff need to know about a person (language, interpreter) and contact kept only here.
    op.create_table(
        "client_profiles",
        sa.Column("personal_number", sa.Text, primary_key=True),
        sa.Column("preferred_language", sa.Text, nullable=False, server_default="sv"),
        sa.Column("interpreter_needed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("interpreter_language", sa.Text),
        sa.Column("protected_identity", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("phone", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("client_profiles", "trust_checks", "trust_check_draws", "assignments", "decisions",
                  "case_history", "document_requests", "attachment_contents", "attachments", "signatures",
                  "cases", "household_members", "households"):
        op.drop_table(table)
