"""Driving the stories: through the HTTP API (httpx, one client per driver thread) or with every
action as its own `whistle` CLI process; the receivers that stand for the departments' and the
citizen's phones, with arrival times; and the scheduler that interleaves many open matters.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.plans import Act, Await, Plan, Step, Story, story
from bench.procs import BenchError, Ran, run_cli
from tests.receivers import HttpReceiver, ReceivedRequest

NUMBER = re.compile(r"M\d{8}-\d{4,10}")
FEEDBACK_LINK = re.compile(r"/feedback/([A-Za-z0-9._-]+)")
COLOURS = {"红": "red", "橙": "orange", "黄": "yellow", "绿": "green"}


# --- receivers ----------------------------------------------------------------------------------


class TimedHttpReceiver(HttpReceiver):
    """The loopback webhook receiver, noting when each request landed, indexed by matter."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[float] = []
        self.by_number: dict[str, list[int]] = {}

    def _record(self, request: ReceivedRequest) -> None:
        landed = time.perf_counter()
        body = request.json if isinstance(request.json, dict) else {}
        text = f"{body.get('title', '')} {body.get('message', '')}"
        with self._cond:  # an RLock: HttpReceiver._record takes it again
            index = len(self.requests)
            self.arrivals.append(landed)
            for number in set(NUMBER.findall(text)):
                self.by_number.setdefault(number, []).append(index)
            super()._record(request)

    def count(self) -> int:
        with self._cond:
            return len(self.requests)

    def wait_change(self, timeout: float) -> None:
        with self._cond:
            self._cond.wait(timeout)

    def referral(self, number: str, since: int) -> tuple[str, float] | None:
        """(lead department, arrival) of the lead's referral notice (签收主办), if it came."""
        with self._cond:
            for i in self.by_number.get(number, []):
                request = self.requests[i]
                title = str((request.json or {}).get("title", ""))
                if i >= since and request.path.startswith("/dept/") and "主办" in title:
                    return request.path.removeprefix("/dept/"), self.arrivals[i]
        return None

    def feedback_link(self, number: str, since: int) -> str | None:
        """The token of the citizen's feedback link about `number` that came after `since`."""
        with self._cond:
            for i in reversed(self.by_number.get(number, [])):
                request = self.requests[i]
                if i < since or not request.path.startswith("/sms"):
                    continue
                found = FEEDBACK_LINK.findall(str((request.json or {}).get("message", "")))
                if found:
                    return str(found[-1])
        return None


# --- the clock ----------------------------------------------------------------------------------


@dataclass
class Clock:
    """The bench's "now": `start` plus the wall time since `origin` (perf_counter), so the
    engines (`whistle worker --at`, running at wall pace) and the actions agree."""

    start: datetime
    origin: float = field(default_factory=time.perf_counter)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.perf_counter() - self.origin)

    def iso(self) -> str:
        return self.now().isoformat(timespec="milliseconds")


# --- actors: one per driver thread --------------------------------------------------------------


@dataclass
class Record:
    """What the drivers did: commands by kind, per-command timings, per-matter notes."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    commands: Counter[str] = field(default_factory=Counter)
    runs: list[Ran] = field(default_factory=list)  # CLI processes
    latencies: list[float] = field(default_factory=list)  # intake → lead's notice, s
    last_action: dict[str, datetime] = field(default_factory=dict)  # number → wall UTC
    numbers: dict[int, str] = field(default_factory=dict)  # plan index → number
    colours: Counter[str] = field(default_factory=Counter)
    co_handled: int = 0
    returned: int = 0
    reopened: int = 0

    def note(self, kind: str, number: str | None, ran: Ran | None = None) -> None:
        with self.lock:
            self.commands[kind] += 1
            if ran is not None:
                self.runs.append(ran)
            if number is not None and kind != "show":
                self.last_action[number] = datetime.now(UTC)


class ApiActor:
    """Carries out acts over HTTP, as the departments' systems, the center and citizens do."""

    def __init__(self, base: str, tokens: dict[str, str], clock: Clock, record: Record) -> None:
        self.tokens, self.clock, self.record = tokens, clock, record
        self.client = httpx.Client(base_url=base, timeout=120)

    def close(self) -> None:
        self.client.close()

    def _call(self, method: str, path: str, who: str | None, **kwargs: Any) -> Any:
        headers = {"X-Whistle-As-Of": self.clock.iso()}
        if who is not None:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        answer = self.client.request(method, path, headers=headers, **kwargs)
        if answer.status_code >= 300:
            raise BenchError(f"{method} {path} answered {answer.status_code}: {answer.text[:500]}")
        return answer.json()

    def do(self, act: Act) -> dict[str, Any]:
        n, who = act.number, act.department or "center"
        if act.kind == "intake":
            plan: Plan = act.fields["plan"]
            form = plan.open311_form(self.tokens[f"channel:{plan.channel}"])
            receipt = self._call("POST", "/open311/v2/requests.json", None, data=form)
            self.record.note("intake", receipt[0]["service_request_id"])
            return {"number": receipt[0]["service_request_id"]}
        if act.kind == "show":
            doc: dict[str, Any] = self._call("GET", f"/api/matters/{n}", who)
            self.record.note("show", n)
            return doc
        if act.kind == "feedback":
            body = {"satisfied": act.fields["satisfied"], "comment": act.fields["comment"]}
            done = self._call("POST", f"/feedback/{act.fields['link']}", None, json=body)
            self.record.note("feedback", n)
            return {"number": n, "status": done["status"]}
        path = {"ack": "acknowledge"}.get(act.kind, act.kind)
        body = dict(act.fields.items())
        result = self._call("POST", f"/api/matters/{n}/{path}", who, json=body or None)
        self.record.note(act.kind, n)
        matter: dict[str, Any] = result["matter"]
        return matter


class CliActor:
    """Carries out acts as `whistle ... --json --at T` processes, one per act."""

    def __init__(self, env: dict[str, str], clock: Clock, record: Record) -> None:
        self.env, self.clock, self.record = env, clock, record

    def close(self) -> None:
        pass

    @staticmethod
    def argv(act: Act) -> list[str]:
        n, f = act.number or "", act.fields
        dept = ["--department", act.department or ""]
        if act.kind == "intake":
            plan: Plan = f["plan"]
            return plan.intake_argv()
        if act.kind == "show":
            return ["show", n]
        if act.kind == "refer":
            return ["refer", n, "--lead", f["lead"], *[x for c in f["co"] for x in ("--co", c)]]
        if act.kind == "feedback":
            answer = "--satisfied" if f["satisfied"] else "--unsatisfied"
            return ["feedback", n, answer, "--comment", f["comment"]]
        extra = [x for k, v in f.items() for x in (f"--{k}", str(v))]
        return [act.kind, n, *dept, *extra]

    def do(self, act: Act) -> dict[str, Any]:
        argv = [*self.argv(act), "--json", "--at", self.clock.iso()]
        ran = run_cli(argv, self.env)
        if ran.code != 0:
            raise BenchError(f"whistle {' '.join(argv[:3])} exited {ran.code}: {ran.err[-800:]}")
        doc: dict[str, Any] = json.loads(ran.out)
        self.record.note(act.kind, doc.get("number"), ran)
        return doc


Actor = ApiActor | CliActor


# --- the scheduler ------------------------------------------------------------------------------


class Pacer:
    """New matters arrive at `rate` per second over all driver threads (0: as fast as the open
    matters allow, a closed loop)."""

    def __init__(self, rate: float) -> None:
        self.rate, self.started = rate, 0
        self.origin = time.perf_counter()
        self._lock = threading.Lock()

    def take(self) -> bool:
        if not self.rate:
            return True
        with self._lock:
            if time.perf_counter() - self.origin < self.started / self.rate:
                return False
            self.started += 1
            return True


@dataclass
class Open:
    plan: Plan
    gen: Story
    step: Step
    began: float = 0.0  # perf_counter of the intake call
    waiting_since: float = 0.0


def drive(
    plans: Sequence[Plan],
    actor: Actor,
    http: TimedHttpReceiver,
    record: Record,
    *,
    in_flight: int,
    citizen_link: bool,
    pacer: Pacer,
    timeout: float = 120.0,
) -> None:
    """Run the stories interleaved: up to `in_flight` open matters take turns, one step each; a
    matter that waits for a notice lets the others go first."""
    waiting = deque(plans)
    active: deque[Open] = deque()
    while waiting or active:
        if waiting and len(active) < in_flight and pacer.take():
            plan = waiting.popleft()
            gen = story(plan, citizen_link=citizen_link)
            active.append(Open(plan, gen, next(gen)))
            continue
        moved = False
        for _ in range(len(active)):
            entry = active.popleft()
            result = _step(entry, actor, http, record, timeout)
            if result is None:
                active.append(entry)
                continue
            moved = True
            try:
                entry.step = entry.gen.send(result)
                active.append(entry)
            except StopIteration:
                pass
            break
        if not moved:
            http.wait_change(0.02)


def _step(
    entry: Open, actor: Actor, http: TimedHttpReceiver, record: Record, timeout: float
) -> dict[str, Any] | None:
    step = entry.step
    if isinstance(step, Await):
        now = time.perf_counter()
        if not entry.waiting_since:
            entry.waiting_since = now
        elif now - entry.waiting_since > timeout:
            raise BenchError(f"{step.number}: no {step.what} within {timeout:.0f} s")
        if step.what == "referral":
            found = http.referral(step.number, step.since)
            if found is None:
                return None
            lead, landed = found
            with record.lock:
                record.latencies.append(landed - entry.began)
            entry.waiting_since = 0.0
            return {"lead": lead}
        token = http.feedback_link(step.number, step.since)
        if token is None:
            return None
        entry.waiting_since = 0.0
        return {"token": token}
    since = http.count()
    if step.kind == "intake":
        entry.began = time.perf_counter()
    doc = actor.do(step)
    if step.kind == "show" and doc.get("status") == "referred":
        with record.lock:
            record.numbers[entry.plan.index] = doc["number"]
            record.colours[doc["colour"]] += 1
            record.co_handled += bool(doc["co_departments"])
            record.returned += entry.plan.returned
            record.reopened += entry.plan.reopened
    return doc | {"since": since}


def drive_all(
    plans: Sequence[Plan],
    make_actor: Any,
    http: TimedHttpReceiver,
    record: Record,
    *,
    clients: int,
    in_flight: int,
    citizen_link: bool,
    rate: float = 0.0,
) -> None:
    """`clients` driver threads, each with its share of the plans and of the open matters."""
    errors: list[BaseException] = []
    pacer = Pacer(rate)
    shares = [list(plans[i::clients]) for i in range(clients)]
    per_client = max(1, in_flight // clients)

    def one(share: list[Plan]) -> None:
        actor = make_actor()
        try:
            drive(
                share, actor, http, record,
                in_flight=per_client, citizen_link=citizen_link, pacer=pacer,
            )  # fmt: skip
        except BaseException as exc:
            errors.append(exc)
        finally:
            actor.close()

    threads = [threading.Thread(target=one, args=(s,), daemon=True) for s in shares if s]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def settle(store_url: str, *, timeout: float = 600.0) -> float:
    """Wait until every notice is out and no matter's run lags the store (the engines have
    drawn everything); perf_counter when that was seen."""
    import sqlalchemy as sa

    engine = sa.create_engine(store_url)
    deadline = time.monotonic() + timeout
    try:
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                left = conn.exec_driver_sql(
                    "SELECT (SELECT count(*) FROM notice WHERE status <> 'sent'), "
                    "(SELECT count(*) FROM matter WHERE run_stale)"
                ).one()
                conn.commit()
                if left[0] == 0 and left[1] == 0:
                    return time.perf_counter()
                time.sleep(0.05)
    finally:
        engine.dispose()
    raise BenchError(f"notices or matter runs still waiting after {timeout:.0f} s")


class Backlog:
    """Samples what the engines still have to do (unsent notices, matters whose run lags)."""

    def __init__(self, store_url: str, every: float = 1.0) -> None:
        self.url, self.every = store_url, every
        self.samples: list[tuple[int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="backlog", daemon=True)

    def _loop(self) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(self.url)
        try:
            with engine.connect() as conn:
                while not self._stop.wait(self.every):
                    with contextlib.suppress(Exception):
                        row = conn.exec_driver_sql(
                            "SELECT (SELECT count(*) FROM notice WHERE status <> 'sent'), "
                            "(SELECT count(*) FROM matter WHERE run_stale)"
                        ).one()
                        conn.commit()
                        self.samples.append((int(row[0]), int(row[1])))
        finally:
            engine.dispose()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join(5)
        return {
            "notices_max": max((s[0] for s in self.samples), default=0),
            "stale_runs_max": max((s[1] for s in self.samples), default=0),
        }
