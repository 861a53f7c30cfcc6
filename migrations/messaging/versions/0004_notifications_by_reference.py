"""messaging: a notification names its person by a reference, never by personnummer.

Notifications exist to be delivered and counted, not to say who someone is: each contact row gets a random,
stable ``person_ref``, and a notification keeps that instead of the personnummer (delivery finds the contact
details by it). A notification whose person has no contact details left cannot be sent any more: it ends as
skipped.

Revision ID: messaging_0004
Revises: messaging_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "messaging_0004"
down_revision = "messaging_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("contacts", sa.Column("person_ref", pg.UUID(as_uuid=True), nullable=False,
                                        server_default=sa.text("gen_random_uuid()")))
    op.create_unique_constraint("uq_contacts_person_ref", "contacts", ["person_ref"])
    op.add_column("notifications", sa.Column("person_ref", pg.UUID(as_uuid=True)))
    op.execute("UPDATE notifications n SET person_ref = c.person_ref FROM contacts c "
               "WHERE c.personal_number = n.personal_number")
    op.execute("UPDATE notifications SET person_ref = gen_random_uuid(), "
               "detail = CASE WHEN status = 'pending' THEN 'no contact details for this channel' ELSE detail END, "
               "status = CASE WHEN status = 'pending' THEN 'skipped' ELSE status END WHERE person_ref IS NULL")
    op.alter_column("notifications", "person_ref", nullable=False)
    op.drop_constraint("uq_notifications_once", "notifications")
    op.drop_column("notifications", "personal_number")
    op.create_unique_constraint("uq_notifications_once", "notifications", ["source", "person_ref", "channel"])
    op.create_index("ix_notifications_person_thread", "notifications", ["person_ref", "thread_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_person_thread", "notifications")
    op.drop_constraint("uq_notifications_once", "notifications")
    op.add_column("notifications", sa.Column("personal_number", sa.Text))
    op.execute("UPDATE notifications n SET personal_number = c.personal_number FROM contacts c "
               "WHERE c.person_ref = n.person_ref")
    op.execute("DELETE FROM notifications WHERE personal_number IS NULL")
    op.alter_column("notifications", "personal_number", nullable=False)
    op.drop_column("notifications", "person_ref")
    op.create_unique_constraint("uq_notifications_once", "notifications", ["source", "personal_number", "channel"])
    op.drop_constraint("uq_contacts_person_ref", "contacts")
    op.drop_column("contacts", "person_ref")
