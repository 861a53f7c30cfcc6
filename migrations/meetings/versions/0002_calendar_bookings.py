"""meetings: unit settings, meeting types, caseworkers and their hours, bookings, staff, join links, reminders.

"No double booking, ever" is the database's job: every staff member of a booking has a row in
booking_staff with the booking's blocked range (buffers included), and an exclusion constraint over
(caseworker_id, tstzrange(blocked_start, blocked_end)) among the active rows refuses an overlap
(SQLSTATE 23P01), whatever the number of replicas or concurrent requests.

Revision ID: meetings_0002
Revises: meetings_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "meetings_0002"
down_revision = "meetings_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "unit_settings",
        sa.Column("unit_id", sa.Text, primary_key=True),
        sa.Column("client_change_cutoff_hours", sa.Integer, nullable=False, server_default="24"),
        sa.Column("min_notice_hours", sa.Integer, nullable=False, server_default="2"),
        sa.Column("reminder_offsets_minutes", pg.ARRAY(sa.Integer), nullable=False, server_default="{1440,120}"),
        sa.Column("key_figures", pg.ARRAY(sa.Text)),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_by", sa.Text),
    )
    op.create_table(
        "meeting_types",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("unit_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("buffer_after_minutes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("channels", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("office_address", sa.Text),
        sa.Column("client_self_bookable", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("client_change_cutoff_hours", sa.Integer),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('in_person','phone','video','home_visit','multi_party','drop_in')",
                           name="ck_meeting_types_kind"),
    )
    op.create_index("ix_meeting_types_unit", "meeting_types", ["unit_id"])
    # A caseworker is known here once they publish hours (or a feed); unit from their token.
    op.create_table(
        "caseworkers",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("unit_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("feed_token_hash", sa.Text, unique=True),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_caseworkers_unit", "caseworkers", ["unit_id"])
    op.create_table(
        "weekly_hours",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("caseworker_id", sa.Text, sa.ForeignKey("caseworkers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("weekday", sa.SmallInteger, nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("end_time", sa.Time, nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="ck_weekly_hours_weekday"),
        sa.CheckConstraint("end_time > start_time", name="ck_weekly_hours_order"),
    )
    op.create_index("ix_weekly_hours_caseworker", "weekly_hours", ["caseworker_id"])
    op.create_table(
        "availability_exceptions",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("caseworker_id", sa.Text, sa.ForeignKey("caseworkers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("start_at", TS, nullable=False),
        sa.Column("end_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("kind IN ('absence','extra')", name="ck_exceptions_kind"),
        sa.CheckConstraint("end_at > start_at", name="ck_exceptions_order"),
    )
    op.create_index("ix_exceptions_caseworker", "availability_exceptions", ["caseworker_id", "start_at"])
    # Protection is sticky: once a client is known to have protected identity, every booking of theirs is.
    op.create_table(
        "protected_clients",
        sa.Column("personal_number", sa.Text, primary_key=True),
        sa.Column("since", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "bookings",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("reference", sa.Text, nullable=False, unique=True),
        sa.Column("unit_id", sa.Text, nullable=False),
        sa.Column("caseworker_id", sa.Text, nullable=False),  # who leads; also a booking_staff row
        sa.Column("client_personal_number", sa.Text),
        sa.Column("meeting_type_id", pg.UUID(as_uuid=True), sa.ForeignKey("meeting_types.id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("start_at", TS, nullable=False),
        sa.Column("end_at", TS, nullable=False),
        sa.Column("blocked_start", TS, nullable=False),
        sa.Column("blocked_end", TS, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="booked"),
        sa.Column("outcome", sa.Text),
        sa.Column("protected_identity", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("location", sa.Text),
        sa.Column("interpreter_language", sa.Text),
        sa.Column("accessibility", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("accessibility_note", sa.Text),
        sa.Column("video_link_hash", sa.Text),
        sa.Column("booked_by", sa.Text, nullable=False),
        sa.Column("booked_by_staff", sa.Boolean, nullable=False),
        sa.Column("change_reason", sa.Text),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("status IN ('booked','cancelled')", name="ck_bookings_status"),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('held','no_show','cancelled_late')",
                           name="ck_bookings_outcome"),
        sa.CheckConstraint("end_at > start_at AND blocked_start <= start_at AND blocked_end >= end_at",
                           name="ck_bookings_times"),
    )
    op.create_index("ix_bookings_client", "bookings", ["client_personal_number", "start_at"])
    op.create_index("ix_bookings_unit_start", "bookings", ["unit_id", "start_at"])
    op.create_table(
        "booking_staff",
        sa.Column("booking_id", pg.UUID(as_uuid=True), sa.ForeignKey("bookings.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("caseworker_id", sa.Text, primary_key=True),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("blocked_start", TS, nullable=False),
        sa.Column("blocked_end", TS, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint("role IN ('lead','participant')", name="ck_booking_staff_role"),
    )
    op.execute(
        "ALTER TABLE booking_staff ADD CONSTRAINT ex_booking_staff_no_overlap EXCLUDE USING gist "
        "(caseworker_id WITH =, tstzrange(blocked_start, blocked_end, '[)') WITH &&) WHERE (active)"
    )
    op.create_index("ix_booking_staff_caseworker", "booking_staff", ["caseworker_id", "blocked_start"])
    op.create_table(
        "join_grants",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("booking_id", pg.UUID(as_uuid=True), sa.ForeignKey("bookings.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("used_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_join_grants_booking", "join_grants", ["booking_id"])
    op.create_table(
        "reminders",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("booking_id", pg.UUID(as_uuid=True), sa.ForeignKey("bookings.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("offset_minutes", sa.Integer, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("sent_at", TS),
    )
    op.create_index("ix_reminders_due", "reminders", ["due_at"], postgresql_where=sa.text("sent_at IS NULL"))
    op.create_index("ix_reminders_booking", "reminders", ["booking_id"])


def downgrade() -> None:
    for table in ("reminders", "join_grants", "booking_staff", "bookings", "protected_clients",
                  "availability_exceptions", "weekly_hours", "caseworkers", "meeting_types", "unit_settings"):
        op.drop_table(table)
