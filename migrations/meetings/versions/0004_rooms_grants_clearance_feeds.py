"""meetings: video rooms that end, join links that can be revoked, clearance and feed tokens that go stale.

    bookings.video_room          a random secret per video room (the room URL is an HMAC of the booking id and
                                 this secret): replaced on a move or a new channel, cleared when the booking is
                                 cancelled or leaves video, so an old URL stops working (video_link_hash follows)
    join_grants.revoked_at       a one-time join link withdrawn (the booking cancelled, the participant removed)
    caseworkers.clearance_seen_at
                                 when the caseworker's own token last confirmed protected_access; an older
                                 confirmation than MEETINGS_CLEARANCE_MAX_AGE_SECONDS counts as not cleared
    caseworkers.feed_token_expires_at
                                 calendar feed tokens expire (and are dropped when the owner's unit or clearance
                                 changes, or on DELETE /me/feed)

Revision ID: meetings_0004
Revises: meetings_0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "meetings_0004"
down_revision = "meetings_0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("bookings", sa.Column("video_room", sa.Text))
    # Rooms derived from the booking id alone (before this revision) are ended: a new one is made on the next
    # change, and until then there is none to hand out.
    op.execute("UPDATE bookings SET video_link_hash = NULL")
    op.add_column("join_grants", sa.Column("revoked_at", TS))
    op.add_column("caseworkers", sa.Column("clearance_seen_at", TS))
    op.add_column("caseworkers", sa.Column("feed_token_expires_at", TS))
    # Feed tokens handed out before expiry existed stop working: their owners make new ones.
    op.execute("UPDATE caseworkers SET feed_token_hash = NULL")


def downgrade() -> None:
    op.drop_column("caseworkers", "feed_token_expires_at")
    op.drop_column("caseworkers", "clearance_seen_at")
    op.drop_column("join_grants", "revoked_at")
    op.drop_column("bookings", "video_room")
