"""messaging: letters for clients without digital access (the post room).

One row per letter: the event it answers, its kind and the case or booking it is about (to ask the owner for the
PDF), the person by the contact's reference and, sealed, by personnummer (the address is looked up from the
population register when the batch is produced, never stored), the PDF sealed, its page count and language, and
the batch day (the Swedish date it was fetched). Gallring (domain/retention.py ``letters``) deletes a row a short
time after its batch was collected.

Revision ID: messaging_0007_letters
Revises: messaging_0006_retention
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "messaging_0007_letters"
down_revision = "messaging_0006_retention"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "letters",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("source", sa.Text, nullable=False),  # "event:<id>"
        sa.Column("person_ref", pg.UUID(as_uuid=True), nullable=False),  # the contact's reference
        sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("ref", pg.UUID(as_uuid=True), nullable=False),  # the case or the booking
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("recipient", sa.LargeBinary, nullable=False),  # sealed personnummer
        sa.Column("language", sa.Text, nullable=False, server_default="sv"),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("detail", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("fetched_at", TS),
        sa.Column("batch_day", sa.Date),
        sa.Column("pages", sa.Integer),
        sa.Column("document", sa.LargeBinary),  # sealed PDF
        sa.Column("batched_at", TS),  # when its batch was first collected
        # One letter per event and person, however often the event is delivered.
        sa.UniqueConstraint("source", "person_ref", name="uq_letters_once"),
        sa.CheckConstraint("status IN ('pending', 'stored', 'failed', 'cancelled')", name="ck_letters_status"),
        sa.CheckConstraint("status <> 'stored' OR (document IS NOT NULL AND batch_day IS NOT NULL)",
                           name="ck_letters_stored_complete"),
    )
    op.create_index("ix_letters_batch_day", "letters", ["batch_day"], postgresql_where=sa.text("status = 'stored'"))
    op.create_index("ix_letters_batched_at", "letters", ["batched_at"])


def downgrade() -> None:
    op.drop_index("ix_letters_batched_at", "letters")
    op.drop_index("ix_letters_batch_day", "letters")
    op.drop_table("letters")
