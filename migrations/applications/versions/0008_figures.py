"""applications: the reason for need (försörjningshinder) with each decision, and what the figures read.

``decisions.reason_for_need`` holds one of domain/need_reasons.py's codes. A decision by a person must have one;
the constraint is added NOT VALID, so decisions made before the reason was recorded stay as they were while every
new row is checked. An automated decision ("system") inherits it and may have none (no earlier decision).
The figures count decisions by when they were made and applications by when they came in, per unit.

Revision ID: applications_0006_figures
Revises: applications_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "applications_0006_figures"
down_revision = "applications_0006_proposal"
branch_labels = None
depends_on = None

# As of this revision (domain/need_reasons.py NeedReason); a later change of the list changes the constraint.
CODES = ("unemployed_no_benefit", "unemployed_insufficient_benefit", "sick_leave_with_benefit",
         "sick_leave_without_benefit", "ill_health_without_sick_leave", "social_obstacle", "parental_leave",
         "insufficient_income_work", "insufficient_income_pension", "insufficient_income_other", "awaiting_income",
         "studies", "introduction_programme", "other")


def upgrade() -> None:
    op.add_column("decisions", sa.Column("reason_for_need", sa.Text))
    listed = ", ".join(f"'{c}'" for c in CODES)
    op.create_check_constraint("ck_decisions_reason_for_need_known", "decisions",
                               f"reason_for_need IS NULL OR reason_for_need IN ({listed})")
    op.execute("ALTER TABLE decisions ADD CONSTRAINT ck_decisions_reason_for_need_by_person "
               "CHECK (reason_for_need IS NOT NULL OR decided_by = 'system') NOT VALID")
    op.create_index("ix_decisions_decided_at", "decisions", ["decided_at"])
    op.create_index("ix_cases_unit_submitted_at", "cases", ["unit", "submitted_at"],
                    postgresql_where=sa.text("submitted_at IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_cases_unit_submitted_at", "cases")
    op.drop_index("ix_decisions_decided_at", "decisions")
    op.drop_constraint("ck_decisions_reason_for_need_by_person", "decisions")
    op.drop_constraint("ck_decisions_reason_for_need_known", "decisions")
    op.drop_column("decisions", "reason_for_need")
