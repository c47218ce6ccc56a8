"""The matter store's tables. Personal data lives only in `citizen`; everything else refers to it.

Timestamps are stored as UTC and always come back timezone-aware, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; refuse naive ones so local time never sneaks in."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Citizen(SQLModel, table=True):
    """The person who brought the matter; the only table holding personal data."""

    __tablename__ = "citizen"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    phone: str = Field(max_length=20)
    id_number: str | None = Field(default=None, max_length=18)
    created_at: datetime = _ts()


class Matter(SQLModel, table=True):
    """One citizen matter from intake to closing."""

    __tablename__ = "matter"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True, index=True)
    citizen_id: int = Field(foreign_key="citizen.id", index=True)
    category: str = Field(max_length=40, index=True)
    title: str = Field(max_length=200)
    description: str = Field(sa_column=Column(sa.Text, nullable=False))
    channel: str = Field(max_length=20)
    area: str = Field(max_length=40)
    town: str = Field(max_length=40, index=True)
    village: str | None = Field(default=None, max_length=40)
    tier: str = Field(max_length=10)
    colour: str = Field(max_length=10, index=True)
    people: int = 1
    visits: int = 0
    amount: int = 0
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=20, index=True)
    lead_department: str | None = Field(default=None, max_length=60, index=True)
    outcome: str | None = Field(default=None, max_length=20)
    outcome_note: str | None = Field(default=None, sa_column=Column(sa.Text))
    feedback: str | None = Field(default=None, max_length=20)
    feedback_due: datetime | None = _ts(nullable=True, index=True)
    reopen_count: int = 0
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    resolved_at: datetime | None = _ts(nullable=True)
    closed_at: datetime | None = _ts(nullable=True)


LIVE_LEAD = "role = 'lead' AND status IN ('referred','acknowledged','resolved')"


class Assignment(SQLModel, table=True):
    """One department's part in a matter (lead 主办 or co-handler 协办), with its own clocks."""

    __tablename__ = "assignment"
    __table_args__ = (
        # At most one live lead per matter, enforced by the database itself.
        sa.Index(
            "uq_assignment_live_lead",
            "matter_id",
            unique=True,
            sqlite_where=sa.text(
                "role = 'lead' AND status IN ('referred','acknowledged','resolved')"
            ),
            postgresql_where=sa.text(
                "role = 'lead' AND status IN ('referred','acknowledged','resolved')"
            ),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    matter_id: int = Field(foreign_key="matter.id", index=True)
    department: str = Field(max_length=60, index=True)
    role: str = Field(max_length=10)
    status: str = Field(max_length=20, index=True)
    round: int = 1
    assigned_at: datetime = _ts()
    acknowledged_at: datetime | None = _ts(nullable=True)
    finished_at: datetime | None = _ts(nullable=True)
    ack_due: datetime | None = _ts(nullable=True)
    due: datetime | None = _ts(nullable=True)
    clock_start: datetime | None = _ts(nullable=True)  # assignment, or the latest reopening
    first_response_due: datetime | None = _ts(nullable=True)  # red leads: first progress by
    first_response_at: datetime | None = _ts(nullable=True)
    next_check_at: datetime | None = _ts(nullable=True, index=True)  # the sweep's next look


class Extension(SQLModel, table=True):
    """A department's request for more time (延期) and the center's decision on it."""

    __tablename__ = "extension"

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    length: str = Field(max_length=10)  # a duration such as 5wd or 30d
    reason: str = Field(sa_column=Column(sa.Text, nullable=False))
    status: str = Field(max_length=10, default="pending")  # pending, approved, refused
    requested_at: datetime = _ts()
    decided_at: datetime | None = _ts(nullable=True)
    decision_note: str | None = Field(default=None, sa_column=Column(sa.Text))


class LadderStep(SQLModel, table=True):
    """One escalation step taken for one clock of one part; the unique key makes it once."""

    __tablename__ = "ladder_step"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "clock", "level"),)

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    clock: str = Field(max_length=20)
    level: str = Field(max_length=20)
    at: datetime = _ts()


class Event(SQLModel, table=True):
    """One line of a matter's timeline: who did what, when. Append-only."""

    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    matter_id: int = Field(foreign_key="matter.id", index=True)
    at: datetime = _ts()
    action: str = Field(max_length=30)
    actor: str = Field(max_length=60)
    department: str | None = Field(default=None, max_length=60)
    note: str | None = Field(default=None, sa_column=Column(sa.Text))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Notice(SQLModel, table=True):
    """The outbox: a notice written with the step that causes it, delivered afterwards, once."""

    __tablename__ = "notice"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    matter_id: int | None = Field(default=None, foreign_key="matter.id", index=True)
    kind: str = Field(max_length=30)
    recipient: str = Field(max_length=60)
    language: str = Field(max_length=5, default="zh")
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(sa.Text, nullable=False))
    html: str | None = Field(default=None, sa_column=Column(sa.Text))
    status: str = Field(max_length=10, index=True, default="pending")
    first_attempt_at: datetime | None = _ts(nullable=True)
    attempts: int = 0
    # Channel indexes already delivered, so a retry after a partial failure skips them.
    delivered: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _ts()
    next_attempt_at: datetime | None = _ts(nullable=True, index=True)
    claimed_at: datetime | None = _ts(nullable=True)
    sent_at: datetime | None = _ts(nullable=True)


class DaySequence(SQLModel, table=True):
    """The last matter number handed out on a local day (M20261126-0001 …)."""

    __tablename__ = "day_sequence"

    day: str = Field(primary_key=True, max_length=8)
    last: int = 0
