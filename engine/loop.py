"""`whistle worker`: the engine process. It carries out what follows the front doors' actions:
referral by the rules, the notices in the outbox, and the matters' runs in Prefect.

Every piece of work is found in the store and claimed there, the way the sweep claims due parts:
a received matter is referred under its row lock (a second engine finds it referred and moves
on), a notice is claimed by a conditional update, a matter's run is drawn under a lease taken with
FOR UPDATE SKIP LOCKED. So any number of engines can run against one PostgreSQL store, a killed
engine's work is picked up by the next, and nothing is done twice. No broker: the store is the
queue, as it is the truth.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from engine.presence import BEAT, beat, leave, new_identity, wall_now
from models.status import Status
from models.tables import Matter
from service.actions import refer_by_rules
from service.app import App
from service.errors import Refused
from service.notices.delivery import deliver_pending
from service.store.db import session

log = logging.getLogger("whistle.engine")

LEASE = timedelta(seconds=60)  # how long a claimed matter is this engine's to draw
# Drawing is claimed a few matters at a time and stops for the pass after DRAW_BUDGET seconds,
# so a backlog of runs to draw never keeps a new matter from being referred and its notices
# sent for long, and a second engine finds the rest of the backlog unclaimed.
DRAW_BATCH = 2
DRAW_BUDGET = 0.5
RECONCILE_EVERY = 60.0  # seconds between looks for runs a supervisor changed in the UI
PAUSE_FIRST, PAUSE_MOST = 2.0, 60.0  # drawing waits this long after Prefect went away, doubling
REQUEST_TIMEOUT = 10.0  # seconds one request to the Prefect server may take


def unreachable(exc: BaseException) -> bool:
    """Whether the exception means the Prefect server is away, not that one matter failed."""
    import httpx
    from prefect.exceptions import PrefectHTTPStatusError

    if isinstance(exc, PrefectHTTPStatusError):
        return exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError | OSError)


@dataclass
class Round:
    """What one pass over the store did."""

    referred: int = 0
    sent: int = 0
    failed: int = 0
    drawn: int = 0
    not_drawn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.referred or self.sent or self.failed or self.drawn)


class Engine:
    """One engine process: `run_once` for a pass, `serve` until stopped."""

    def __init__(
        self,
        app: App,
        *,
        limit: int = 50,
        draw: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.app, self.limit, self.draw = app, limit, draw
        self.clock = clock or (lambda: datetime.now(UTC))
        self.identity = new_identity()
        self._drawer: object | None = None
        # Prefect away: drawing waits until then (referral and notices go on meanwhile).
        self._draw_after = 0.0
        self._pause = PAUSE_FIRST

    # --- the three kinds of work --------------------------------------------------------------

    def refer_received(self, now: datetime) -> int:
        """Refer matters still only received: their action's follow-up was left to an engine."""
        with session(self.app.engine) as s:
            numbers = s.exec(
                select(Matter.number)
                .where(col(Matter.status) == Status.received)
                .order_by(col(Matter.id))
                .limit(self.limit)
            ).all()
        referred = 0
        for number in numbers:
            with session(self.app.engine) as s:
                try:
                    if refer_by_rules(session=s, app=self.app, number=number, now=now):
                        referred += 1
                        log.info("%s referred by the rules", number)
                except Refused as exc:  # no rule matches: the center routes it by hand
                    log.info("%s not referred by the rules: %s", number, exc)
        return referred

    def draw_runs(self, client: object) -> tuple[int, int, bool]:
        """Bring the Prefect runs of stale matters up to date: (drawn, put off, Prefect away).
        When the server does not answer, the pass stops at once (no request waits on it)."""
        from engine.matter_runs import Drawer, put_off, stale_matters

        drawer = self._drawer
        if not isinstance(drawer, Drawer) or drawer.client is not client:
            drawer = self._drawer = Drawer(self.app, client)  # type: ignore[arg-type]
        drawn = failed = 0
        batch_size = min(self.limit, DRAW_BATCH)
        deadline = time.monotonic() + DRAW_BUDGET
        while True:
            batch = stale_matters(self.app, limit=batch_size, lease=LEASE)
            for i, matter_id in enumerate(batch):
                try:
                    drawer.draw(matter_id)
                    drawn += 1
                except Exception as exc:
                    reason = f"{type(exc).__name__}: {exc}"[:300]
                    put_off(self.app, matter_id, reason)
                    failed += 1
                    if unreachable(exc):
                        for rest in batch[i + 1 :]:  # not tried: back to the queue
                            put_off(self.app, rest, reason)
                        return drawn, failed, True
            taken = drawn + failed  # never more than --limit matters in one pass
            if len(batch) < batch_size or time.monotonic() >= deadline or taken >= self.limit:
                return drawn, failed, False
            batch_size = min(DRAW_BATCH, self.limit - taken)

    def reconcile(self, client: object) -> int:
        """Find runs changed by hand in the UI and mark them for drawing again."""
        from engine.matter_runs import Drawer

        drawer = self._drawer
        if not isinstance(drawer, Drawer) or drawer.client is not client:
            drawer = self._drawer = Drawer(self.app, client)  # type: ignore[arg-type]
        try:
            return drawer.reconcile()
        except Exception as exc:
            log.warning("engine: runs not reconciled: %s", type(exc).__name__)
            return 0

    def run_once(self, client: object | None = None) -> Round:
        """One pass: refer, deliver, draw. Store errors are reported and the pass goes on."""
        now = self.clock()
        done = Round()
        try:
            done.referred = self.refer_received(now)
            outcomes = deliver_pending(self.app, now=now, limit=self.limit * 10)
            done.sent = sum(o.sent for o in outcomes)
            done.failed = len(outcomes) - done.sent
        except Exception as exc:
            log.warning("engine pass: the store failed: %s", type(exc).__name__)
            done.errors.append(f"{type(exc).__name__}: {exc}")
            return done
        if self.draw and client is not None and time.monotonic() >= self._draw_after:
            try:
                done.drawn, done.not_drawn, away = self.draw_runs(client)
            except Exception as exc:  # the store failed while drawing: next pass
                log.warning("engine pass: runs not drawn: %s", type(exc).__name__)
                done.errors.append(f"{type(exc).__name__}: {exc}")
                return done
            if away:  # the runs wait, nothing is lost; referral and notices go on meanwhile
                log.warning(
                    "engine: the Prefect server does not answer; drawing again in %.0fs",
                    self._pause,
                )
                done.errors.append("prefect_unreachable")
                self._draw_after = time.monotonic() + self._pause
                self._pause = min(self._pause * 2, PAUSE_MOST)
            else:
                self._pause = PAUSE_FIRST
        return done

    # --- serving --------------------------------------------------------------------------------

    def drain(self, client: object | None = None, *, rounds: int = 100) -> Round:
        """Passes until nothing is left to do (for `whistle worker --once` and tests)."""
        total = Round()
        if self.draw and client is not None:
            self.reconcile(client)
        for _ in range(rounds):
            done = self.run_once(client)
            total.referred += done.referred
            total.sent += done.sent
            total.failed += done.failed
            total.drawn += done.drawn
            total.not_drawn += done.not_drawn
            total.errors += done.errors
            if not done.busy or done.errors:
                break
        return total

    def serve(self, stop: threading.Event, *, poll: float = 0.2) -> None:
        """Work until `stop` is set: a pass whenever there may be work, a beat every few
        seconds so the front doors know an engine is here."""
        started = wall_now()
        last_beat = last_reconcile = 0.0
        with self.prefect_client() as client:
            try:
                while not stop.is_set():
                    if client is not None and time.monotonic() - last_reconcile >= RECONCILE_EVERY:
                        self.reconcile(client)
                        last_reconcile = time.monotonic()
                    if time.monotonic() - last_beat >= BEAT.total_seconds():
                        with contextlib.suppress(Exception):  # the store is down: try again
                            beat(self.app.engine, self.identity, started)
                        last_beat = time.monotonic()
                    done = self.run_once(client)
                    if not done.busy:
                        stop.wait(poll if not done.errors else 2.0)
            finally:
                with contextlib.suppress(Exception):
                    leave(self.app.engine, self.identity)

    @contextlib.contextmanager
    def prefect_client(self) -> Iterator[object | None]:
        """A Prefect client when a Prefect API is configured and drawing is on; else None (the
        engine still refers and sends; the runs are drawn once an engine with Prefect runs)."""
        if not self.draw:
            yield None
            return
        from prefect.client.orchestration import get_client
        from prefect.settings import (
            PREFECT_API_REQUEST_TIMEOUT,
            PREFECT_CLIENT_MAX_RETRIES,
            get_current_settings,
            temporary_settings,
        )

        if not get_current_settings().api.url:
            log.info("no PREFECT_API_URL: matters are referred and notified, runs not drawn")
            yield None
            return
        # Little waiting inside a request (two retries, 2 s and 4 s: a busy server's 503 passes);
        # beyond that the engine's own pause (PAUSE_FIRST, doubling) takes over, so referral and
        # notices never wait long on Prefect.
        quick = {PREFECT_CLIENT_MAX_RETRIES: 2, PREFECT_API_REQUEST_TIMEOUT: REQUEST_TIMEOUT}
        with temporary_settings(quick), get_client(sync_client=True) as client:
            yield client
        flush_events()


def flush_events(timeout: float = 10) -> None:
    """Send the events still queued in this process while the server is up."""
    from prefect.events.worker import EventsWorker

    EventsWorker.drain_all(timeout=timeout)
