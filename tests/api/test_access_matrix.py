"""The access matrix: every department token × every /api/matters endpoint × every matter.

Matters are seeded so parts differ (lead, co-handler, a village unit, a part returned, a part
withdrawn by re-referral); which department holds which part is then read from the store, not
written down here, and the expected answer of each cell is derived from it:

- a department with no part, ever, gets 404 on every matter endpoint, word for word the answer
  for a number never given out, and its attempts change nothing;
- the center-only endpoints answer a department 403 whatever the matter, so they reveal nothing;
- a department with a part (or a past part) sees the matter and its actions reach the state
  machine (never 404);
- each department's work queue lists exactly the matters where its part is running;
- the center sees every matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlmodel import col, select

from models.tables import Assignment, Matter
from service.app import get_app
from service.store.db import session
from tests.api.conftest import SQLITE_ONLY, Api

pytestmark = SQLITE_ONLY

MISSING = "M20261126-9999"
NOTE = "矩阵检查"
# Departments the seeded matters never involve, so the outsiders include standing members,
# "+N" departments and lower-tier units.
NEVER = ["politics_law", "housing", "education", "T02.judicial_office", "T01V03.mediation"]


@dataclass(frozen=True)
class Endpoint:
    method: str
    action: str | None  # None: the matter itself (GET /api/matters/{number})
    center_only: bool = False

    def path(self, number: str) -> str:
        return f"/api/matters/{number}" + (f"/{self.action}" if self.action else "")

    def body(self, department: str) -> dict[str, Any] | None:
        bodies: dict[str, dict[str, Any]] = {
            "progress": {"note": NOTE},
            "return": {"reason": NOTE},
            "report": {"note": NOTE},
            "resolve": {"outcome": "handled", "note": NOTE},
            "extension": {"length": "2wd", "reason": NOTE},
            "extension/decision": {"department": department, "approve": False, "note": NOTE},
            "refer": {"lead": "hrss"},
        }
        return bodies.get(self.action or "")


# Return comes first: a department that returned its part still sees the matter, and its
# further actions are refused by the state machine (409) without running a stage flow each.
ENDPOINTS = [
    Endpoint("GET", None),
    Endpoint("POST", "return"),
    Endpoint("POST", "acknowledge"),
    Endpoint("POST", "progress"),
    Endpoint("POST", "report"),
    Endpoint("POST", "extension"),
    Endpoint("POST", "resolve"),
    Endpoint("POST", "extension/decision", center_only=True),
    Endpoint("POST", "refer", center_only=True),
]


def seed(api: Api) -> list[str]:
    """Five matters whose parts cover every kind of holding."""
    w = api.world
    wage = w.intake()["number"]  # hrss leads; public_security, justice co-handle
    counselling = w.intake(category="counselling", area="T03", title="长期失眠")["number"]
    neighbour = w.intake(category="neighbour", area="T01V02", title="噪音扰民")["number"]
    family = w.intake(category="family", area="T06V01", title="家庭矛盾", people=2)["number"]
    returned = w.intake(title="另一工地欠薪")["number"]
    w.ok("return", returned, "--department", "hrss", "--reason", "应由劳动监察处理")
    w.ok("refer", returned, "--lead", "civil_affairs")  # hrss keeps only a past part
    w.ok("refer", counselling, "--lead", "petitions")  # health's part is withdrawn
    return [wage, counselling, neighbour, family, returned]


def holdings() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per department: the matters it has any part in, and those where its part is running."""
    with session(get_app().engine) as s:
        rows = s.exec(
            select(Assignment.department, Assignment.status, Matter.number).join(
                Matter, col(Matter.id) == Assignment.matter_id
            )
        ).all()
    anyway: dict[str, set[str]] = {}
    running: dict[str, set[str]] = {}
    for department, status, number in rows:
        anyway.setdefault(department, set()).add(number)
        if status in ("referred", "acknowledged"):
            running.setdefault(department, set()).add(number)
    return anyway, running


def snapshot(api: Api, numbers: list[str]) -> dict[str, Any]:
    """Everything an action could change: timeline, notices and every part's status."""
    with session(get_app().engine) as s:
        parts = s.exec(select(Assignment.id, Assignment.status, Assignment.due)).all()
    return {"counts": [api.counts(n) for n in numbers], "parts": sorted(parts)}


def without_number(answer: httpx.Response, number: str) -> Any:
    body = answer.json()
    body["message"] = body["message"].replace(number, "<number>")
    return body


def test_each_department_reaches_only_its_own_matters(api: Api) -> None:
    numbers = seed(api)
    anyway, running = holdings()
    departments = sorted(set(anyway) | set(NEVER))
    tokens = {d: api.token(d) for d in departments}
    cells = 0
    wrong: list[str] = []

    # 1. Every cell where the department has no part: nothing is revealed, nothing changes.
    before = snapshot(api, numbers)
    for department in departments:
        token = tokens[department]
        for endpoint in ENDPOINTS:
            body = endpoint.body(department)
            probe = api.call(endpoint.method, endpoint.path(MISSING), token=token, json=body)
            for number in numbers:
                if number in anyway.get(department, set()):
                    continue
                answer = api.call(endpoint.method, endpoint.path(number), token=token, json=body)
                cells += 1
                expected = 403 if endpoint.center_only else 404
                if answer.status_code != expected or without_number(
                    answer, number
                ) != without_number(probe, MISSING):
                    wrong.append(f"{department} {endpoint.method} {endpoint.path(number)}")
    assert not wrong, wrong
    assert snapshot(api, numbers) == before, "an outsider's request changed the store"

    # 2. Every department's queue holds exactly its running parts.
    for department in departments:
        queue = api.get("/api/matters", token=tokens[department]).json()
        listed = {
            i["number"] for k in ("overdue", "waiting", "due_soon", "in_hand") for i in queue[k]
        }
        cells += 1
        assert listed == running.get(department, set()), department
        assert queue["extensions"] == []

    # 3. Every cell where the department has or had a part: it sees the matter, and its
    #    actions reach the state machine (200, or a refusal in words: never 404).
    for department in sorted(anyway):
        token = tokens[department]
        for number in sorted(anyway[department]):
            for endpoint in ENDPOINTS:
                answer = api.call(
                    endpoint.method,
                    endpoint.path(number),
                    token=token,
                    json=endpoint.body(department),
                )
                cells += 1
                if endpoint.center_only:
                    ok = answer.status_code == 403
                elif endpoint.action is None:
                    ok = answer.status_code == 200 and answer.json()["number"] == number
                else:
                    ok = answer.status_code in (200, 409)
                if not ok:
                    wrong.append(f"{department} {endpoint.method} {number}: {answer.text[:200]}")
    assert not wrong, wrong

    # 4. The center sees every matter.
    center = api.token("center")
    for number in numbers:
        assert api.get(f"/api/matters/{number}", token=center).json()["your_role"] == "center"
    assert len(departments) >= 12 and cells >= 400, (len(departments), cells)
