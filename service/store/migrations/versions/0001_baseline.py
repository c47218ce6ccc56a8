"""Baseline: the store as it was before migrations were introduced.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "day_sequence",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "matter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("town", sa.String(length=40), nullable=False),
        sa.Column("village", sa.String(length=40), nullable=True),
        sa.Column("tier", sa.String(length=10), nullable=False),
        sa.Column("colour", sa.String(length=10), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("lead_department", sa.String(length=60), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("feedback", sa.String(length=20), nullable=True),
        sa.Column("feedback_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["citizen_id"],
            ["citizen.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_matter_category"), "matter", ["category"], unique=False)
    op.create_index(op.f("ix_matter_citizen_id"), "matter", ["citizen_id"], unique=False)
    op.create_index(op.f("ix_matter_colour"), "matter", ["colour"], unique=False)
    op.create_index(op.f("ix_matter_feedback_due"), "matter", ["feedback_due"], unique=False)
    op.create_index(op.f("ix_matter_lead_department"), "matter", ["lead_department"], unique=False)
    op.create_index(op.f("ix_matter_number"), "matter", ["number"], unique=True)
    op.create_index(op.f("ix_matter_status"), "matter", ["status"], unique=False)
    op.create_index(op.f("ix_matter_town"), "matter", ["town"], unique=False)
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=60), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ack_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clock_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matter.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_assignment_department"), "assignment", ["department"], unique=False)
    op.create_index(op.f("ix_assignment_matter_id"), "assignment", ["matter_id"], unique=False)
    op.create_index(
        op.f("ix_assignment_next_check_at"), "assignment", ["next_check_at"], unique=False
    )
    op.create_index(op.f("ix_assignment_status"), "assignment", ["status"], unique=False)
    op.create_index(
        "uq_assignment_live_lead",
        "assignment",
        ["matter_id"],
        unique=True,
        sqlite_where=sa.text("role = 'lead' AND status IN ('referred','acknowledged','resolved')"),
        postgresql_where=sa.text(
            "role = 'lead' AND status IN ('referred','acknowledged','resolved')"
        ),
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("department", sa.String(length=60), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matter.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_event_matter_id"), "event", ["matter_id"], unique=False)
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("matter_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("recipient", sa.String(length=60), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.JSON(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["matter_id"],
            ["matter.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(op.f("ix_notice_matter_id"), "notice", ["matter_id"], unique=False)
    op.create_index(op.f("ix_notice_next_attempt_at"), "notice", ["next_attempt_at"], unique=False)
    op.create_index(op.f("ix_notice_status"), "notice", ["status"], unique=False)
    op.create_table(
        "extension",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("length", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_extension_assignment_id"), "extension", ["assignment_id"], unique=False
    )
    op.create_table(
        "ladder_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("clock", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assignment_id", "clock", "level"),
    )
    op.create_index(
        op.f("ix_ladder_step_assignment_id"), "ladder_step", ["assignment_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ladder_step_assignment_id"), table_name="ladder_step")
    op.drop_table("ladder_step")
    op.drop_index(op.f("ix_extension_assignment_id"), table_name="extension")
    op.drop_table("extension")
    op.drop_index(op.f("ix_notice_status"), table_name="notice")
    op.drop_index(op.f("ix_notice_next_attempt_at"), table_name="notice")
    op.drop_index(op.f("ix_notice_matter_id"), table_name="notice")
    op.drop_table("notice")
    op.drop_index(op.f("ix_event_matter_id"), table_name="event")
    op.drop_table("event")
    op.drop_index(
        "uq_assignment_live_lead",
        table_name="assignment",
        sqlite_where=sa.text("role = 'lead' AND status IN ('referred','acknowledged','resolved')"),
        postgresql_where=sa.text(
            "role = 'lead' AND status IN ('referred','acknowledged','resolved')"
        ),
    )
    op.drop_index(op.f("ix_assignment_status"), table_name="assignment")
    op.drop_index(op.f("ix_assignment_next_check_at"), table_name="assignment")
    op.drop_index(op.f("ix_assignment_matter_id"), table_name="assignment")
    op.drop_index(op.f("ix_assignment_department"), table_name="assignment")
    op.drop_table("assignment")
    op.drop_index(op.f("ix_matter_town"), table_name="matter")
    op.drop_index(op.f("ix_matter_status"), table_name="matter")
    op.drop_index(op.f("ix_matter_number"), table_name="matter")
    op.drop_index(op.f("ix_matter_lead_department"), table_name="matter")
    op.drop_index(op.f("ix_matter_feedback_due"), table_name="matter")
    op.drop_index(op.f("ix_matter_colour"), table_name="matter")
    op.drop_index(op.f("ix_matter_citizen_id"), table_name="matter")
    op.drop_index(op.f("ix_matter_category"), table_name="matter")
    op.drop_table("matter")
    op.drop_table("day_sequence")
    op.drop_table("citizen")
