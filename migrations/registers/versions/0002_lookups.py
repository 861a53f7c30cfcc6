"""registers: the audit of every look-up in the national registers (append-only; no register data kept).

The person looked up is kept as a keyed fingerprint (found again for the person's own view, under every key of the
ring) and sealed (AES-GCM, bound to the row), never in the clear.

Revision ID: registers_0002
Revises: registers_0001
"""

from alembic import op

revision = "registers_0002"
down_revision = "registers_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE lookups (
            id uuid PRIMARY KEY,
            made_at timestamptz NOT NULL,
            kind text NOT NULL CHECK (kind IN ('income', 'population')),
            client_id text NOT NULL,
            process text NOT NULL,
            caseworker text,
            requested_by text NOT NULL,
            subject_fingerprint text NOT NULL,
            subject_sealed jsonb NOT NULL,
            case_id uuid,
            unit text,
            purpose text NOT NULL,
            legal_basis text NOT NULL,
            period text,
            outcomes jsonb NOT NULL,
            answer_sha256 text CHECK (answer_sha256 ~ '^[0-9a-f]{64}$'),
            request_id text
        )""")
    op.execute("CREATE INDEX ix_lookups_subject ON lookups (subject_fingerprint, made_at DESC)")
    op.execute("CREATE INDEX ix_lookups_unit ON lookups (unit, made_at DESC)")
    op.execute("CREATE INDEX ix_lookups_made_at ON lookups (made_at DESC)")
    op.execute("CREATE INDEX ix_lookups_case ON lookups (case_id)")
    op.execute("CREATE FUNCTION lookups_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN RAISE EXCEPTION 'lookups is append-only'; END $$")
    op.execute("CREATE TRIGGER lookups_no_change BEFORE UPDATE OR DELETE ON lookups "
               "FOR EACH ROW EXECUTE FUNCTION lookups_append_only()")


def downgrade() -> None:
    op.execute("DROP TRIGGER lookups_no_change ON lookups")
    op.execute("DROP FUNCTION lookups_append_only()")
    op.execute("DROP TABLE lookups")
