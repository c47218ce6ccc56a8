"""Security: idempotency records expire and belong to a matter; notices keep the feedback link
unsigned and remember a re-send.

Revision ID: 0006_security
Revises: 0005_workbench

Records made before this revision have no matter; they expire with the rest (retention.yaml's
`idempotency_keys`, a day by default).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_security"
down_revision: str | None = "0005_workbench"
branch_labels = None
depends_on = None


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # SQLite adds a column's foreign key only inline, in ALTER TABLE ADD COLUMN
        op.execute(
            "ALTER TABLE idempotency_record ADD COLUMN matter_id INTEGER REFERENCES matter (id)"
        )
    else:
        op.add_column("idempotency_record", sa.Column("matter_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "idempotency_record_matter_id_fkey",
            "idempotency_record",
            "matter",
            ["matter_id"],
            ["id"],
        )
    with op.batch_alter_table("idempotency_record", recreate="never") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_record_matter_id"), ["matter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_idempotency_record_created_at"), ["created_at"], unique=False
        )
    with op.batch_alter_table("notice", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("link", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("resent_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notice", recreate="never") as batch_op:
        batch_op.drop_column("resent_at")
        batch_op.drop_column("link")
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.drop_constraint(
            "idempotency_record_matter_id_fkey", "idempotency_record", type_="foreignkey"
        )
    # SQLite drops a column named in a foreign key only by copying the table
    with op.batch_alter_table(
        "idempotency_record", recreate="always" if sqlite else "never"
    ) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_record_created_at"))
        batch_op.drop_index(batch_op.f("ix_idempotency_record_matter_id"))
        batch_op.drop_column("matter_id")
