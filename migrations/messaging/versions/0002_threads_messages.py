"""messaging: threads, messages, attachments, read state, contacts, absences, notifications, cases.

Message bodies, subjects, file names, file content and contact details are stored encrypted
(AES-GCM, see services/messaging/store/crypto.py) with the id of the key that sealed them.
The database itself keeps messages immutable: only a retraction may be recorded, once.

Revision ID: messaging_0002
Revises: messaging_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "messaging_0002"
down_revision = "messaging_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # What messaging knows of a case, from the applications service's events (no other source).
    op.create_table(
        "cases",
        sa.Column("case_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("caseworker_sub", sa.Text),
        sa.Column("protected_identity", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("recipients", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("last_event_at", TS, nullable=False),
    )
    op.create_table(
        "protected_persons",
        sa.Column("personal_number", sa.Text, primary_key=True),
        sa.Column("since", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "threads",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("case_id", pg.UUID(as_uuid=True)),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("subject", sa.LargeBinary, nullable=False),
        sa.Column("protected_identity", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("assigned_to", sa.Text),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_message_at", TS),
        # The highest message each side has read (any member of it): the unit inbox's unread count.
        sa.Column("staff_read_seq", sa.Integer, nullable=False, server_default="0"),
        sa.Column("client_read_seq", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_index("ix_threads_unit_last", "threads", ["unit", sa.text("last_message_at DESC NULLS LAST")])
    op.create_index("ix_threads_case", "threads", ["case_id"])
    op.create_index("ix_threads_assigned", "threads", ["assigned_to"])
    op.create_table(
        "thread_members",
        sa.Column("thread_id", pg.UUID(as_uuid=True), sa.ForeignKey("threads.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("personal_number", sa.Text, primary_key=True),
    )
    op.create_index("ix_thread_members_person", "thread_members", ["personal_number"])
    op.create_table(
        "messages",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("thread_id", pg.UUID(as_uuid=True), sa.ForeignKey("threads.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("sender_sub", sa.Text, nullable=False),
        sa.Column("sender_side", sa.Text, nullable=False),
        sa.Column("sender_name", sa.Text),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("retracted_at", TS),
        sa.UniqueConstraint("thread_id", "seq", name="uq_messages_thread_seq"),
        sa.CheckConstraint("sender_side IN ('client', 'staff')", name="ck_messages_side"),
    )
    op.create_index("ix_messages_sender_at", "messages", ["sender_sub", "created_at"])
    op.execute(
        "CREATE FUNCTION messages_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'messages are immutable'; END IF; "
        # Re-keying may re-seal the body under a new key: same message, new envelope.
        "IF (NEW.id, NEW.thread_id, NEW.seq, NEW.sender_sub, NEW.sender_side, NEW.sender_name, NEW.created_at) "
        "IS DISTINCT FROM "
        "(OLD.id, OLD.thread_id, OLD.seq, OLD.sender_sub, OLD.sender_side, OLD.sender_name, OLD.created_at) "
        "OR (OLD.retracted_at IS NOT NULL AND NEW.retracted_at IS DISTINCT FROM OLD.retracted_at) "
        "OR (NEW.body IS DISTINCT FROM OLD.body AND NEW.key_id IS NOT DISTINCT FROM OLD.key_id) "
        "THEN RAISE EXCEPTION 'messages are immutable'; END IF; RETURN NEW; END $$"
    )
    op.execute("CREATE TRIGGER messages_immutable BEFORE UPDATE OR DELETE ON messages "
               "FOR EACH ROW EXECUTE FUNCTION messages_immutable()")
    op.create_table(
        "attachments",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("thread_id", pg.UUID(as_uuid=True), sa.ForeignKey("threads.id"), nullable=False),
        sa.Column("message_id", pg.UUID(as_uuid=True), sa.ForeignKey("messages.id")),
        sa.Column("position", sa.SmallInteger),  # order in the message, set when sent
        sa.Column("uploaded_by", sa.Text, nullable=False),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("filename", sa.LargeBinary, nullable=False),
        sa.Column("media_type", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_attachments_message", "attachments", ["message_id"])
    op.create_index("ix_attachments_pending", "attachments", ["thread_id", "uploaded_by"],
                    postgresql_where=sa.text("message_id IS NULL"))
    op.execute(
        "CREATE FUNCTION attachments_immutable_once_sent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF OLD.message_id IS NULL THEN RETURN COALESCE(NEW, OLD); END IF; "
        "IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'sent attachments are immutable'; END IF; "
        "IF (NEW.id, NEW.thread_id, NEW.message_id, NEW.position, NEW.media_type, NEW.size, NEW.sha256) "
        "IS DISTINCT FROM (OLD.id, OLD.thread_id, OLD.message_id, OLD.position, OLD.media_type, OLD.size, OLD.sha256) "
        "OR ((NEW.content, NEW.filename) IS DISTINCT FROM (OLD.content, OLD.filename) "
        "AND NEW.key_id IS NOT DISTINCT FROM OLD.key_id) "
        "THEN RAISE EXCEPTION 'sent attachments are immutable'; END IF; RETURN NEW; END $$"
    )
    op.execute("CREATE TRIGGER attachments_immutable BEFORE UPDATE OR DELETE ON attachments "
               "FOR EACH ROW EXECUTE FUNCTION attachments_immutable_once_sent()")
    op.create_table(
        "read_state",
        sa.Column("thread_id", pg.UUID(as_uuid=True), sa.ForeignKey("threads.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("reader", sa.Text, primary_key=True),
        sa.Column("last_read_seq", sa.Integer, nullable=False),
        sa.Column("read_at", TS, nullable=False),
    )
    # The first time the other side read a message: "read by the caseworker at ...".
    op.create_table(
        "message_receipts",
        sa.Column("message_id", pg.UUID(as_uuid=True), sa.ForeignKey("messages.id"), primary_key=True),
        sa.Column("read_by_side", sa.Text, nullable=False),
        sa.Column("reader_sub", sa.Text, nullable=False),
        sa.Column("read_at", TS, nullable=False),
    )
    op.create_table(
        "contacts",
        sa.Column("personal_number", sa.Text, primary_key=True),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("details", sa.LargeBinary, nullable=False),  # encrypted JSON {phone, email}
        sa.Column("channels", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("language", sa.Text, nullable=False, server_default="sv"),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
    )
    op.create_table(
        "absences",
        sa.Column("sub", sa.Text, primary_key=True),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("substitute_sub", sa.Text),
        sa.CheckConstraint("ends_at > starts_at", name="ck_absences_period"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("source", sa.Text, nullable=False),  # "message:<id>" or "event:<id>"
        sa.Column("personal_number", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("thread_id", pg.UUID(as_uuid=True)),
        sa.Column("message_id", pg.UUID(as_uuid=True)),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("detail", sa.Text),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", TS),
        # Each notification is made once per source, person and channel, however often the source repeats.
        sa.UniqueConstraint("source", "personal_number", "channel", name="uq_notifications_once"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'skipped', 'failed', 'cancelled')",
                           name="ck_notifications_status"),
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("absences")
    op.drop_table("contacts")
    op.drop_table("message_receipts")
    op.drop_table("read_state")
    op.execute("DROP TRIGGER attachments_immutable ON attachments")
    op.execute("DROP FUNCTION attachments_immutable_once_sent()")
    op.drop_table("attachments")
    op.execute("DROP TRIGGER messages_immutable ON messages")
    op.execute("DROP FUNCTION messages_immutable()")
    op.drop_table("messages")
    op.drop_table("thread_members")
    op.drop_table("threads")
    op.drop_table("protected_persons")
    op.drop_table("cases")
