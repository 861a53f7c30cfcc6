"""applications: protected identity comes from the population register (the registers service), not a checkbox.

The person's flag in client_profiles (set by the registrar route and token claims) is dropped; a case keeps its
copy in cases.protected_identity, taken from the registers when its parties change.

Revision ID: 0006_protection_from_registers
Revises: applications_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_protection_from_registers"
down_revision = "applications_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("client_profiles", "protected_identity")


def downgrade() -> None:
    op.add_column("client_profiles", sa.Column("protected_identity", sa.Boolean, nullable=False,
                                               server_default=sa.false()))
