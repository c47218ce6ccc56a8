"""Open311 that real clients use: a matter's coordinates, and whether it is anonymous (匿名).

Revision ID: 0004_open311
Revises: 0003_engine

Matters registered before this revision all had a phone, so none is anonymous.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_open311"
down_revision: str | None = "0003_engine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("matter", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("lat", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("long", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("matter", recreate="never") as batch_op:
        batch_op.drop_column("anonymous")
        batch_op.drop_column("long")
        batch_op.drop_column("lat")
