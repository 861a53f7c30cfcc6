"""applications: representations (ombud) — a god man, förvaltare or someone the client authorised acts for them.

Who acts for whom (personnummer, as every table of this service keeps them), of which kind, within which scopes,
from and until which day (Europe/Stockholm, both inclusive), on what document it rests (a free-text reference such
as "beslut Stockholms tingsrätt ..."), who registered it and, once revoked, who revoked it and when.

Revision ID: applications_0007_ombud
Revises: applications_0006_retention
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "applications_0007_ombud"
down_revision = "applications_0006_retention"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "representations",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("client_pnr", sa.Text, nullable=False),
        sa.Column("client_name", sa.Text),  # as staff wrote it, if they did
        sa.Column("representative_pnr", sa.Text, nullable=False),
        sa.Column("representative_name", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("scopes", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("unit", sa.Text),  # the registering staff's unit (None: an administrator)
        sa.Column("registered_by", sa.Text, nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.Column("revoked_by", sa.Text),
        sa.CheckConstraint("kind IN ('god_man', 'forvaltare', 'fullmakt')", name="ck_representations_kind"),
        sa.CheckConstraint("cardinality(scopes) > 0", name="ck_representations_scopes"),
        sa.CheckConstraint("valid_from <= valid_until", name="ck_representations_dates"),
        sa.CheckConstraint("client_pnr <> representative_pnr", name="ck_representations_not_self"),
    )
    op.create_index("ix_representations_client", "representations", ["client_pnr"])
    op.create_index("ix_representations_representative", "representations", ["representative_pnr"])


def downgrade() -> None:
    op.drop_table("representations")
