"""The engine's bookkeeping: which matters' Prefect runs lag their timeline, the runs drawn,
the engines alive, and the overdue level `circular` (was `circulated`).

Revision ID: 0003_engine
Revises: 0002

Every existing matter starts stale, so the engine draws its run from the timeline once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_engine"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy of the table, which SQLite's foreign keys refuse).
    op.add_column(
        "matter", sa.Column("run_stale", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    op.create_index(
        "ix_matter_run_stale",
        "matter",
        ["id"],
        unique=False,
        sqlite_where=sa.text("run_stale"),
        postgresql_where=sa.text("run_stale"),
    )
    op.create_table(
        "matter_run",
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sa.String(length=36), nullable=True),
        sa.Column("shown_event_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=60), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["matter_id"], ["matter.id"]),
        sa.PrimaryKeyConstraint("matter_id"),
    )
    op.create_table(
        "engine_seen",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_engine_seen_seen_at"), "engine_seen", ["seen_at"], unique=False)
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.execute("UPDATE ladder_step SET level = 'circular' WHERE level = 'circulated'")


def downgrade() -> None:
    op.execute("UPDATE ladder_step SET level = 'circulated' WHERE level = 'circular'")
    op.drop_table("setting")
    op.drop_index(op.f("ix_engine_seen_seen_at"), table_name="engine_seen")
    op.drop_table("engine_seen")
    op.drop_table("matter_run")
    op.drop_index("ix_matter_run_stale", table_name="matter")
    op.execute("ALTER TABLE matter DROP COLUMN run_stale")  # SQLite 3.35+ and PostgreSQL
