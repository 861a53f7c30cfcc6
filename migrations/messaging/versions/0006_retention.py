"""Gallring (services/messaging/domain/retention.py) may delete what the database otherwise keeps immutable.

Sent messages and attachments stay immutable: an UPDATE that changes them, or a DELETE, is refused, except a DELETE
in a transaction that set ``bistand.gallring = 'on'`` (SET LOCAL; only store/retention.py does).

Revision ID: messaging_0006_retention
Revises: messaging_0005
"""

import sqlalchemy as sa
from alembic import op

revision = "messaging_0006_retention"
down_revision = "messaging_0005"
branch_labels = None
depends_on = None

_GALLRING = "current_setting('bistand.gallring', true) = 'on'"


def _messages(delete_allowed: str) -> str:
    return (
        "CREATE OR REPLACE FUNCTION messages_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'DELETE' THEN IF {delete_allowed} THEN RETURN OLD; END IF; "
        "RAISE EXCEPTION 'messages are immutable'; END IF; "
        "IF (NEW.id, NEW.thread_id, NEW.seq, NEW.sender_sub, NEW.sender_side, NEW.sender_name, NEW.created_at) "
        "IS DISTINCT FROM "
        "(OLD.id, OLD.thread_id, OLD.seq, OLD.sender_sub, OLD.sender_side, OLD.sender_name, OLD.created_at) "
        "OR (OLD.retracted_at IS NOT NULL AND NEW.retracted_at IS DISTINCT FROM OLD.retracted_at) "
        "OR (NEW.body IS DISTINCT FROM OLD.body AND NEW.key_id IS NOT DISTINCT FROM OLD.key_id) "
        "THEN RAISE EXCEPTION 'messages are immutable'; END IF; RETURN NEW; END $$")


def _attachments(delete_allowed: str) -> str:
    return (
        "CREATE OR REPLACE FUNCTION attachments_immutable_once_sent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF OLD.message_id IS NULL THEN RETURN COALESCE(NEW, OLD); END IF; "
        f"IF TG_OP = 'DELETE' THEN IF {delete_allowed} THEN RETURN OLD; END IF; "
        "RAISE EXCEPTION 'sent attachments are immutable'; END IF; "
        "IF (NEW.id, NEW.thread_id, NEW.message_id, NEW.position, NEW.media_type, NEW.size, NEW.sha256) "
        "IS DISTINCT FROM (OLD.id, OLD.thread_id, OLD.message_id, OLD.position, OLD.media_type, OLD.size, OLD.sha256) "
        "OR ((NEW.content, NEW.filename) IS DISTINCT FROM (OLD.content, OLD.filename) "
        "AND NEW.key_id IS NOT DISTINCT FROM OLD.key_id) "
        "THEN RAISE EXCEPTION 'sent attachments are immutable'; END IF; RETURN NEW; END $$")


def upgrade() -> None:
    op.execute(_messages(_GALLRING))
    op.execute(_attachments(_GALLRING))
    op.create_index("ix_notifications_finished", "notifications", ["created_at"],
                    postgresql_where=sa.text("status <> 'pending'"))


def downgrade() -> None:
    op.drop_index("ix_notifications_finished", "notifications")
    op.execute(_messages("false"))
    op.execute(_attachments("false"))
