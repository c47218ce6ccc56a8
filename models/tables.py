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
    erased_at: datetime | None = _ts(nullable=True)  # personal data removed after retention


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
    # Where an Open311 app placed it (WGS 84), when it sent coordinates.
    lat: float | None = None
    long: float | None = None
    # 匿名: no phone was left, so nobody can be asked for feedback; closed at resolution.
    anonymous: bool = False
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
    # The hash of the timeline's last event: a removed last event shows as a mismatch here.
    timeline_head: str | None = Field(default=None, max_length=64)
    timeline_at: datetime | None = _ts(nullable=True)  # the last event's time: never run back
    # The matter's Prefect run lags its timeline: set with every timeline event, cleared by the
    # engine once the run shows it (engine/). Indexed where true, so finding work costs nothing.
    run_stale: bool = Field(
        default=True,
        sa_column=Column(sa.Boolean, nullable=False, server_default=sa.true()),
    )


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
    # The hash chain (whistle/evidence.py): the previous event's hash and this event's own.
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


# The database itself refuses to change or remove a timeline event, not only the ORM.
_APPEND_ONLY = "timeline events are append-only"
for _statement, _dialect in [
    (
        "CREATE TRIGGER event_no_update BEFORE UPDATE ON event "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
        "sqlite",
    ),
    (
        "CREATE TRIGGER event_no_delete BEFORE DELETE ON event "
        f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
        "sqlite",
    ),
    (
        "CREATE OR REPLACE FUNCTION event_append_only() RETURNS trigger LANGUAGE plpgsql "
        f"AS $$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY}'; END $$",
        "postgresql",
    ),
    (
        "CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
        "FOR EACH ROW EXECUTE FUNCTION event_append_only()",
        "postgresql",
    ),
    (
        "CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event "
        "FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()",
        "postgresql",
    ),
]:
    sa.event.listen(
        Event.__table__,  # type: ignore[attr-defined]
        "after_create",
        sa.DDL(_statement).execute_if(dialect=_dialect),  # type: ignore[no-untyped-call]
    )


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
    # The citizen's feedback link, unsigned (matter number, round, expiry): the text keeps the
    # link without its signature, which is added only when the notice is sent (whistle/links.py),
    # so a reader of the store cannot answer for the citizen.
    link: str | None = Field(default=None, max_length=100)
    resent_at: datetime | None = _ts(nullable=True)  # a dead notice the center sent again (once)


class DaySequence(SQLModel, table=True):
    """The last matter number handed out on a local day (M20261126-0001 …)."""

    __tablename__ = "day_sequence"

    day: str = Field(primary_key=True, max_length=8)
    last: int = 0


# --- the HTTP API (api/) -----------------------------------------------------------------------


class ApiToken(SQLModel, table=True):
    """A caller of the HTTP API: one department, the center, or an intake channel (Open311).

    Only the SHA-256 of the secret is kept; the secret itself is shown once, at creation.
    """

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=10)  # department, center or intake
    holder: str = Field(max_length=60, index=True)  # a department code, or a channel code
    label: str | None = Field(default=None, max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a write sent with an `Idempotency-Key`, replayed on a repeat.

    The row is written in the action's own transaction (so a committed action always has it);
    an intake's answer (its number) is written in that transaction too, another action's once
    its stage flow has run. It expires after a day (retention.yaml), and goes with the
    citizen's personal data.
    """

    __tablename__ = "idempotency_record"
    __table_args__ = (sa.UniqueConstraint("caller", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    caller: str = Field(max_length=100)  # token:<id>, or link:<nonce> for a feedback link
    key: str = Field(max_length=200)
    fingerprint: str = Field(max_length=64)  # SHA-256 of method, path and body
    status_code: int | None = None
    response: str | None = Field(default=None, sa_column=Column(sa.Text))
    created_at: datetime = _ts(index=True)  # expires after retention.yaml's idempotency_keys
    # The matter the action was about: retention erases the record with the citizen's data.
    matter_id: int | None = Field(default=None, foreign_key="matter.id", index=True)


class FeedbackLinkUse(SQLModel, table=True):
    """A citizen's feedback link that has been answered: each link works once."""

    __tablename__ = "feedback_link_use"

    nonce: str = Field(primary_key=True, max_length=80)  # <matter number>:<round>
    matter_id: int = Field(foreign_key="matter.id", index=True)
    used_at: datetime = _ts()


# --- statistics and Prefect events --------------------------------------------------------------

# `whistle stats` reads cohorts by when a matter was received and a part assigned.
sa.Index("ix_matter_created_at", Matter.__table__.c.created_at)  # type: ignore[attr-defined]
sa.Index("ix_assignment_assigned_at", Assignment.__table__.c.assigned_at)  # type: ignore[attr-defined]


class EventMark(SQLModel, table=True):
    """How far a matter's timeline has been emitted to Prefect as events (whistle.matter.*).

    Emitting is at least once: an event sent before a crash and again after carries the same
    id (uuid5 of the store and the event row), and Prefect keeps one.
    """

    __tablename__ = "event_mark"

    matter_id: int = Field(primary_key=True, foreign_key="matter.id")
    event_id: int = 0  # the last timeline event emitted


Matter.__table__.append_constraint(  # type: ignore[attr-defined]
    sa.Index(
        "ix_matter_run_stale",
        "id",
        sqlite_where=sa.text("run_stale"),
        postgresql_where=sa.text("run_stale"),
    )
)


# --- the engine (engine/) ----------------------------------------------------------------------


class MatterRun(SQLModel, table=True):
    """The matter's one Prefect flow run, as far as the engine has drawn it.

    The store is the truth and the run a picture of it: a lost run (a wiped Prefect database)
    is drawn again from the timeline.
    """

    __tablename__ = "matter_run"

    matter_id: int = Field(primary_key=True, foreign_key="matter.id")
    flow_run_id: str | None = Field(default=None, max_length=36)
    shown_event_id: int = 0  # the last timeline event drawn as a step of the run
    state: str | None = Field(default=None, max_length=60)  # "<TYPE>/<name>" as last set
    name: str | None = Field(default=None, max_length=200)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lease_until: datetime | None = _ts(nullable=True)  # an engine is drawing it until then
    failures: int = 0  # Prefect refused or unreachable since the last success
    drawn_at: datetime | None = _ts(nullable=True)


class EngineSeen(SQLModel, table=True):
    """A running engine process: the front doors leave the follow-up to one seen recently."""

    __tablename__ = "engine_seen"

    id: str = Field(primary_key=True, max_length=80)  # host:pid:start
    started_at: datetime = _ts()
    seen_at: datetime = _ts(index=True)


class Setting(SQLModel, table=True):
    """Small facts the installation keeps about itself (the Prefect server's matter flow id)."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=500)


# --- the workbench pages (web/) ------------------------------------------------------------


class StaffUser(SQLModel, table=True):
    """A person who signs in to the pages: a department's head or clerk, the center's clerks,
    the leadership. Only an argon2 hash of the password is kept."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True)  # what the person types to sign in
    department: str = Field(max_length=60, index=True)  # a department code, or center
    role: str = Field(max_length=12)  # head, clerk or leadership
    password_hash: str = Field(max_length=200)
    created_at: datetime = _ts()
    disabled_at: datetime | None = _ts(nullable=True)
    failed_logins: int = 0  # wrong passwords in a row
    locked_until: datetime | None = _ts(nullable=True)  # no sign-in before then
    last_login_at: datetime | None = _ts(nullable=True)


class StaffSession(SQLModel, table=True):
    """One signed-in browser: the cookie holds a random secret, the store its SHA-256."""

    __tablename__ = "staff_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    ended_at: datetime | None = _ts(nullable=True)  # signed out
