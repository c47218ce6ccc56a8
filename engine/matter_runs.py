"""Drawing each matter as one Prefect flow run: created at its first step, its state where the
matter stands, one completed task run per step, its timeline artifact and its events.

The run is a picture of the store, drawn by the engine after the fact, never a place where the
matter's work happens: Prefect being down delays the picture and loses nothing. Every write is
safe to repeat: the run is created under an idempotency key, a step's task run under a fixed
dynamic key (Prefect keeps one per key), an event under a fixed id; so an engine that dies half
way through, or two engines drawing at once, never draw anything twice.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import SyncPrefectClient
from prefect.events import emit_event
from prefect.exceptions import PrefectHTTPStatusError
from sqlalchemy import update
from sqlmodel import col, select

from engine.presence import wall_now
from models.matter_run import STATE_NAMES
from models.tables import Matter, MatterRun, Setting
from service.app import App
from service.read.events import advance, sendable, unsent
from service.read.matter_run import RunPicture, picture
from service.store.db import session

log = logging.getLogger("whistle.engine")

FLOW_NAME = "matter"
TASK_KEY = "whistle-matter-step"
FLOW_SETTING = "prefect_matter_flow"  # the id of the `matter` flow the runs were drawn under


class RunGone(Exception):
    """The run the store remembers is not on the Prefect server (deleted, or a new database)."""


def artifact_key(number: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    return "matter-" + number.lower()


def _state(picture_: RunPicture) -> dict[str, Any]:
    return {
        "type": picture_.state.type.value,
        "name": picture_.state_name,
        "message": picture_.message,
        # No pause timeout: Prefect's pause-expiry service only fails pauses that have one.
        # pause_reschedule: the UI's Resume is refused for a run without a deployment.
        "state_details": {"pause_reschedule": True} if picture_.state.type == "PAUSED" else {},
    }


def state_mark(picture_: RunPicture) -> str:
    """What was last set, short enough to keep: type, name and a digest of the message."""
    digest = hashlib.sha1(picture_.message.encode()).hexdigest()[:8]
    return f"{picture_.state.type.value}/{picture_.state_name}/{digest}"[:60]


@dataclass
class Drawn:
    created: bool = False
    steps: int = 0
    state_set: bool = False
    events: int = 0


class Drawer:
    """Draws matters on one Prefect server through one client."""

    def __init__(self, app: App, client: SyncPrefectClient) -> None:
        self.app, self.client = app, client
        self._flow_id: UUID | None = None
        self._done = "Done" if app.language == "en" else "已完成"  # a step's task run state

    def _send(self, method: Any, path: Any, **kwargs: Any) -> httpx.Response:
        """One request; an error answer is returned, not raised (a 404 means the run is gone)."""
        try:
            return self.client.request(method, path, **kwargs)
        except PrefectHTTPStatusError as exc:
            return exc.response

    # --- the server's `matter` flow -----------------------------------------------------------

    def flow_id(self) -> UUID:
        """The `matter` flow on this server, created when missing. A flow id different from the
        one the store remembers means a new Prefect database: every run is drawn again."""
        if self._flow_id is None:
            answer = self._send("POST", "/flows/", json={"name": FLOW_NAME})
            answer.raise_for_status()
            self._flow_id = UUID(answer.json()["id"])
            self._adopt(str(self._flow_id))
        return self._flow_id

    def _adopt(self, flow_id: str) -> None:
        with session(self.app.engine) as s:
            known = s.get(Setting, FLOW_SETTING)
            if known is not None and known.value == flow_id:
                return
            if known is not None:  # the Prefect database was replaced: redraw everything
                log.warning("the Prefect server is new to this store: drawing every matter again")
                s.exec(update(MatterRun).values(flow_run_id=None, shown_event_id=0, state=None))
                s.exec(update(Matter).values(run_stale=True))
            s.add(Setting(key=FLOW_SETTING, value=flow_id) if known is None else known)
            if known is not None:
                known.value = flow_id
            s.commit()

    def reconcile(self) -> int:
        """Undo what a click in the UI did to a matter run (resume, cancel, retry, a state set by
        hand): a run whose state is not one Whistle sets is marked for drawing again, so its
        state is set back to where the matter stands. Returns how many were found."""
        ours = [name for pair in STATE_NAMES.values() for name in pair]
        answer = self._send(
            "POST",
            "/flow_runs/filter",
            json={
                "flows": {"id": {"any_": [str(self.flow_id())]}},
                "flow_runs": {"state": {"name": {"not_any_": ours}}},
                "limit": 200,
            },
        )
        answer.raise_for_status()
        run_ids = [str(run["id"]) for run in answer.json()]
        if not run_ids:
            return 0
        with session(self.app.engine) as s:
            rows = s.exec(select(MatterRun).where(col(MatterRun.flow_run_id).in_(run_ids))).all()
            for row in rows:
                row.state = None  # set it again on the next draw
                s.add(row)
                s.exec(update(Matter).where(col(Matter.id) == row.matter_id).values(run_stale=True))
            s.commit()
        log.info("%d matter run(s) changed by hand in the UI: drawn again", len(rows))
        return len(rows)

    # --- one matter ---------------------------------------------------------------------------

    def draw(self, matter_id: int) -> Drawn:
        """Bring the matter's run up to date with the store; raises when Prefect refuses."""
        flow_id = self.flow_id()
        with session(self.app.engine) as s:
            matter = s.get(Matter, matter_id)
            assert matter is not None
            row = s.get(MatterRun, matter_id) or MatterRun(matter_id=matter_id)
            shown = row.shown_event_id if row.flow_run_id else 0
            pic = picture(s, self.app, matter, shown)
            head = matter.timeline_head
        try:
            return self._draw(flow_id, row, pic, head)
        except RunGone:
            log.info("%s: its run is gone from Prefect; drawing it again", pic.number)
            row.flow_run_id, row.shown_event_id, row.state = None, 0, None
            with session(self.app.engine) as s:
                matter = s.get(Matter, matter_id)
                assert matter is not None
                pic = picture(s, self.app, matter, 0)
            return self._draw(flow_id, row, pic, head)

    def _draw(self, flow_id: UUID, row: MatterRun, pic: RunPicture, head: str | None) -> Drawn:
        drawn = Drawn()
        mark = state_mark(pic)
        if row.flow_run_id is None:
            row.flow_run_id = self._create(flow_id, pic)
            drawn.created = drawn.state_set = True
        else:
            if row.name != pic.name or row.tags != pic.tags:
                self._patch(row.flow_run_id, {"name": pic.name, "tags": pic.tags})
            if row.state != mark:
                self._set_state(row.flow_run_id, pic)
                drawn.state_set = True
        for step in pic.steps:
            self._step(row.flow_run_id, step.key, step.name)
            drawn.steps += 1
        if pic.steps or drawn.created:
            self._artifact(row.flow_run_id, pic)
        drawn.events = emit_new_events(self.app, pic.matter_id, pic.number)
        self._remember(row, pic, mark, head)
        log.info("%s drawn: %s, %d step(s)", pic.number, pic.state_name, drawn.steps)
        return drawn

    def _create(self, flow_id: UUID, pic: RunPicture) -> str:
        answer = self._send(
            "POST",
            "/flow_runs/",
            json={
                "flow_id": str(flow_id),
                "name": pic.name,
                "parameters": {"number": pic.number},
                "tags": pic.tags,
                "idempotency_key": f"{self._store_key()}:{pic.number}",
                "state": _state(pic),
            },
        )
        answer.raise_for_status()
        run_id = str(answer.json()["id"])
        state = answer.json().get("state") or {}
        if state.get("name") != pic.state_name:  # an earlier engine created it and died
            self._set_state(run_id, pic)
            self._patch(run_id, {"name": pic.name, "tags": pic.tags})
        return run_id

    def _store_key(self) -> str:
        store = self.app.engine.url.render_as_string(hide_password=True)
        return hashlib.sha1(store.encode()).hexdigest()[:12]

    def _patch(self, run_id: str, fields: dict[str, Any]) -> None:
        answer = self._send("PATCH", "/flow_runs/{id}", path_params={"id": run_id}, json=fields)
        if answer.status_code == 404:
            raise RunGone(run_id)
        answer.raise_for_status()

    def _set_state(self, run_id: str, pic: RunPicture) -> None:
        answer = self._send(
            "POST",
            "/flow_runs/{id}/set_state",
            path_params={"id": run_id},
            json={"state": _state(pic), "force": True},
        )
        if answer.status_code == 404:
            raise RunGone(run_id)
        answer.raise_for_status()

    def _step(self, run_id: str, key: str, name: str) -> None:
        answer = self._send(
            "POST",
            "/task_runs/",
            json={
                "flow_run_id": run_id,
                "task_key": TASK_KEY,
                "dynamic_key": key,
                "name": name,
                "state": {"type": "COMPLETED", "name": self._done},
            },
        )
        if answer.status_code in (404, 409):  # the flow run is gone
            raise RunGone(run_id)
        answer.raise_for_status()

    def _artifact(self, run_id: str, pic: RunPicture) -> None:
        answer = self._send(
            "POST",
            "/artifacts/",
            json={
                "key": artifact_key(pic.number),
                "type": "markdown",
                "data": pic.artifact,
                "description": pic.artifact_description,
                "flow_run_id": run_id,
            },
        )
        answer.raise_for_status()

    def _remember(self, row: MatterRun, pic: RunPicture, mark: str, head: str | None) -> None:
        """Record what the run shows; the matter stays stale if a step came in meanwhile."""
        with session(self.app.engine) as s:
            stored = s.get(MatterRun, row.matter_id) or MatterRun(matter_id=row.matter_id)
            stored.flow_run_id = row.flow_run_id
            stored.shown_event_id = max(pic.last_event_id, stored.shown_event_id)
            stored.state, stored.name, stored.tags = mark, pic.name, pic.tags
            stored.lease_until, stored.failures = None, 0
            stored.drawn_at = wall_now()
            s.add(stored)
            s.exec(
                update(Matter)
                .where(col(Matter.id) == row.matter_id, col(Matter.timeline_head) == head)
                .values(run_stale=False)
            )
            s.commit()


def emit_new_events(app: App, matter_id: int, number: str) -> int:
    """The matter's new timeline rows as Prefect events (whistle.matter.*), each once: behind
    a watermark, and under a fixed id that Prefect keeps once if a crash sends it again."""
    with session(app.engine) as s:
        pending = unsent(s, app, [number])
    sent, last = 0, None
    for item in pending:
        if not sendable(item):  # notices are not transitions: only the watermark moves
            last = item.row_id
            continue
        emitted = emit_event(
            event=item.event,
            resource=item.resource,
            related=item.related,
            payload=item.payload,
            id=item.id,
            occurred=item.occurred,
        )
        if emitted is None:  # no events client (events off): leave the watermark
            break
        sent += 1
        last = item.row_id
    if last is not None:
        with session(app.engine) as s:
            advance(s, {matter_id: last})
    return sent


def stale_matters(app: App, *, limit: int, lease: timedelta) -> list[int]:
    """Claim up to `limit` matters whose run lags the store: ids under a lease, so a second
    engine takes others (FOR UPDATE SKIP LOCKED on PostgreSQL) and a dead engine's claim ends."""
    now = wall_now()
    with session(app.engine) as s:
        query = (
            select(Matter.id)
            .join(MatterRun, col(MatterRun.matter_id) == Matter.id, isouter=True)
            .where(col(Matter.run_stale).is_(True))
            .where((col(MatterRun.lease_until).is_(None)) | (col(MatterRun.lease_until) < now))
            .order_by(col(Matter.id))
            .limit(limit)
        )
        if s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(of=Matter, skip_locked=True)
        ids = [i for i in s.exec(query).all() if i is not None]
        for matter_id in ids:
            row = s.get(MatterRun, matter_id) or MatterRun(matter_id=matter_id)
            row.lease_until = now + lease
            s.add(row)
        s.commit()
    return ids


def put_off(app: App, matter_id: int, error: str) -> None:
    """Prefect refused or was unreachable: try this matter again later, backing off."""
    with session(app.engine) as s:
        row = s.get(MatterRun, matter_id) or MatterRun(matter_id=matter_id)
        row.failures += 1
        wait = min(300, 2 ** min(row.failures, 8))
        row.lease_until = wall_now() + timedelta(seconds=wait)
        s.add(row)
        s.commit()
    log.warning("matter %s: its run was not drawn (%s); next try in %ss", matter_id, error, wait)
