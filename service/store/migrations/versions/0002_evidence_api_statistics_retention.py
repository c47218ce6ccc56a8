"""The hash-chained timeline, the HTTP API's tables, statistics indexes, personal-data erasure.

Revision ID: 0002
Revises: 0001

Existing timelines are chained here, in event order, before the append-only triggers exist;
each matter's chain head and last event time are set from them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from models.tables import Event
from service.store.evidence import GENESIS, digest

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("holder", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_token", recreate="never") as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_holder"), ["holder"], unique=False)

    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("caller", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("caller", "key"),
    )
    op.create_table(
        "event_mark",
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matter.id"],
        ),
        sa.PrimaryKeyConstraint("matter_id"),
    )
    op.create_table(
        "feedback_link_use",
        sa.Column("nonce", sa.String(length=80), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matter.id"],
        ),
        sa.PrimaryKeyConstraint("nonce"),
    )
    with op.batch_alter_table("feedback_link_use", recreate="never") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_link_use_matter_id"), ["matter_id"], unique=False
        )

    with op.batch_alter_table("assignment", recreate="never") as batch_op:
        batch_op.create_index("ix_assignment_assigned_at", ["assigned_at"], unique=False)

    with op.batch_alter_table("citizen", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("event", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    with op.batch_alter_table("matter", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("timeline_head", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("timeline_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_matter_created_at", ["created_at"], unique=False)

    _chain_existing_timelines()
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


APPEND_ONLY = "timeline events are append-only"
TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER event_no_update BEFORE UPDATE ON event "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
        "CREATE TRIGGER event_no_delete BEFORE DELETE ON event "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$",
        "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
        "FOR EACH ROW EXECUTE FUNCTION event_append_only()",
        "CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event "
        "FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()",
    ],
}
DROP_TRIGGERS = {
    "sqlite": ["DROP TRIGGER IF EXISTS event_no_update", "DROP TRIGGER IF EXISTS event_no_delete"],
    "postgresql": [
        "DROP TRIGGER IF EXISTS event_append_only ON event",
        "DROP TRIGGER IF EXISTS event_no_truncate ON event",
        "DROP FUNCTION IF EXISTS event_append_only()",
    ],
}


def _chain_existing_timelines() -> None:
    """Seal every event written before the chain, matter by matter, in event order."""
    connection = op.get_bind()
    matter = sa.table(
        "matter",
        sa.column("id", sa.Integer),
        sa.column("number", sa.String),
        sa.column("timeline_head", sa.String),
        sa.column("timeline_at", sa.DateTime(timezone=True)),
    )
    event = sa.table(
        "event",
        sa.column("id", sa.Integer),
        sa.column("matter_id", sa.Integer),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("action", sa.String),
        sa.column("actor", sa.String),
        sa.column("department", sa.String),
        sa.column("note", sa.Text),
        sa.column("data", sa.JSON),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    numbers = dict(connection.execute(sa.select(matter.c.id, matter.c.number)).all())
    rows = connection.execute(sa.select(event).order_by(event.c.matter_id, event.c.id)).all()
    heads: dict[int, tuple[str, datetime]] = {}
    for row in rows:
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)  # SQLite keeps naive UTC
        prev = heads[row.matter_id][0] if row.matter_id in heads else GENESIS
        values = Event(
            matter_id=row.matter_id,
            at=at,
            action=row.action,
            actor=row.actor,
            department=row.department,
            note=row.note,
            data=row.data,
        )
        own = digest(numbers[row.matter_id], values, prev)
        connection.execute(
            sa.update(event).where(event.c.id == row.id).values(prev_hash=prev, hash=own)
        )
        heads[row.matter_id] = (own, row.at)
    for matter_id, (head, at) in heads.items():
        connection.execute(
            sa.update(matter)
            .where(matter.c.id == matter_id)
            .values(timeline_head=head, timeline_at=at)
        )


def downgrade() -> None:
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("matter", recreate="never") as batch_op:
        batch_op.drop_index("ix_matter_created_at")
        batch_op.drop_column("timeline_at")
        batch_op.drop_column("timeline_head")

    with op.batch_alter_table("event", recreate="never") as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")

    with op.batch_alter_table("citizen", recreate="never") as batch_op:
        batch_op.drop_column("erased_at")

    with op.batch_alter_table("assignment", recreate="never") as batch_op:
        batch_op.drop_index("ix_assignment_assigned_at")

    with op.batch_alter_table("feedback_link_use", recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_link_use_matter_id"))

    op.drop_table("feedback_link_use")
    op.drop_table("event_mark")
    op.drop_table("idempotency_record")
    with op.batch_alter_table("api_token", recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_holder"))

    op.drop_table("api_token")
