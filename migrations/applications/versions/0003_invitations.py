"""A named co-applicant is invited, not enrolled: cases.co_applicant_status.

    invited    named by the applicant (or by staff on a paper form); may read the draft, accept or decline
    joined     accepted (or signed) with their own login, or their paper signature was recorded: a party now,
               and a member of the case's household
    declined   said no: no access to the case

Before this the partner named in a draft was a party at once (and joined the household when signing), so a
stranger could name anyone. Existing rows: a co-applicant who is a member of the case's household has joined.

Revision ID: applications_0003
Revises: applications_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "applications_0003"
down_revision = "applications_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("co_applicant_status", sa.Text))
    op.execute(
        "UPDATE cases c SET co_applicant_status = CASE WHEN EXISTS (SELECT 1 FROM household_members m "
        "WHERE m.personal_number = c.co_applicant_pnr AND m.household_id = c.household_id) THEN 'joined' "
        "ELSE 'invited' END WHERE c.co_applicant_pnr IS NOT NULL")
    op.create_check_constraint(
        "ck_cases_co_applicant_status", "cases",
        "(co_applicant_pnr IS NULL AND co_applicant_status IS NULL) OR "
        "(co_applicant_pnr IS NOT NULL AND co_applicant_status IN ('invited', 'joined', 'declined'))")
    # The invitations page looks people up by personnummer among drafts.
    op.create_index("ix_cases_invitations", "cases", ["co_applicant_pnr"],
                    postgresql_where=sa.text("co_applicant_status = 'invited' AND status = 'draft'"))


def downgrade() -> None:
    op.drop_index("ix_cases_invitations", "cases")
    op.drop_constraint("ck_cases_co_applicant_status", "cases")
    op.drop_column("cases", "co_applicant_status")
