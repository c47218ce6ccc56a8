"""Personal data retention: once every matter of a citizen has been closed for the period in
retention.yaml, `whistle retention` (the scheduled flow) erases their name, phone and ID number
everywhere in the store, keeps the matters whole, and leaves the statistics exactly as they
were; a citizen with an open or recently closed matter is kept; running it again does nothing."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from deployments import declarations
from notifications.masking import mask_name, mask_phone
from service.actions.retention import ERASED, PLACEHOLDER
from service.app import build_app, get_app
from service.settings import Settings
from tests.fixtures import ROOT, World

CHECK = "2029-12-10T09:00:00+08:00"  # three years after the first closings, plus a few days
STATS_PERIOD = ("--from", "2026-01-01", "--to", "2029-12-31")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(serial: int) -> str:
    """A well-formed resident ID number (with its check character) for a test person."""
    body = f"11010519800101{serial:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


PEOPLE = {
    "old": ("司马青衫", "13911110001", _id_number(11)),
    "lapsed": ("欧阳娜娜", "13911110002", _id_number(12)),
    "recent": ("诸葛明月", "13911110003", _id_number(13)),
    "open": ("上官飞燕", "13911110004", _id_number(14)),
    "returning": ("东方白云", "13911110005", _id_number(15)),
}


LEAD = "market_regulation"  # consumer matters: one lead, no co-handlers, few steps


def _intake(world: World, who: str) -> str:
    name, phone, id_number = PEOPLE[who]
    doc = world.intake(
        category="consumer",
        name=name,
        phone=phone,
        id_number=id_number,
        title=f"{name}反映网购商品质量问题",
        description=f"{name}（电话 {phone}，身份证 {id_number}）反映网购商品质量问题。",
    )
    number: str = doc["number"]
    return number


def _resolve(world: World, number: str, at: str | None = None) -> None:
    world.ok("ack", number, "--department", LEAD, at=at)
    outcome = ("--outcome", "handled", "--note", "已退款")
    world.ok("resolve", number, "--department", LEAD, *outcome, at=at)


def _stories(world: World) -> dict[str, str]:
    numbers = {who: _intake(world, who) for who in PEOPLE}
    numbers["later"] = world.intake(category="consumer", title="同一群众再次来访")["number"]
    _resolve(world, numbers["old"])
    world.ok("feedback", numbers["old"], "--satisfied")  # closed 2026-11-26
    _resolve(world, numbers["lapsed"])
    _resolve(world, numbers["returning"])
    world.ok("feedback", numbers["returning"], "--satisfied")
    world.ok("ack", numbers["open"], "--department", LEAD)
    world.ok("sweep", at="2026-12-04T10:00:00+08:00")  # lapsed: closed without feedback
    _resolve(world, numbers["recent"], at="2026-12-20T09:00:00+08:00")
    world.ok("feedback", numbers["recent"], "--satisfied", at="2026-12-26T09:00:00+08:00")
    # The same person came back with a new matter that is still open.
    with get_app().engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE matter SET citizen_id = "
                "(SELECT citizen_id FROM matter WHERE number = :returning) WHERE number = :later"
            ),
            {"returning": numbers["returning"], "later": numbers["later"]},
        )
    return numbers


def _is_text(column: sa.Column[Any]) -> bool:
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):  # sqlmodel's AutoString wraps a String
        kind = kind.impl_instance
    return isinstance(kind, sa.String | sa.JSON)


def _text_values() -> list[tuple[str, str]]:
    """Every text (and JSON) value in every table of the store, as (table.column, text)."""
    out: list[tuple[str, str]] = []
    with get_app().engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            columns = [c for c in table.columns if _is_text(c)]
            if not columns:
                continue
            for row in connection.execute(sa.select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = (
                        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    )
                    out.append((f"{table.name}.{column.name}", text))
    return out


def _traces(who: str) -> list[str]:
    name, phone, id_number = PEOPLE[who]
    return [name, phone, id_number, mask_phone(phone), mask_name(name)]


# What the figures are made of: every column but the free text (and the touch time).
COUNTED = {
    "matter": {
        "title",
        "description",
        "outcome_note",
        "updated_at",
        "timeline_head",
        "timeline_at",
    },
    "assignment": set(),
    "ladder_step": set(),
}


def _statistical(world: World) -> dict[str, Any]:
    """The stats report (overall and by each grouping), the list, counts, the counted columns."""
    listed = world.ok("list", "--limit", "1000", at=CHECK)
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with get_app().engine.connect() as connection:
        for name, skip in COUNTED.items():
            table = SQLModel.metadata.tables[name]
            columns = [c for c in table.columns if c.name not in skip]
            query = sa.select(*columns).order_by(*table.primary_key.columns)
            tables[name] = [tuple(r) for r in connection.execute(query)]
    return {
        "stats": {
            by: world.ok("stats", *STATS_PERIOD, *(["--by", by] if by else []), at=CHECK)
            for by in (None, "department", "town", "category", "colour")
        },
        "list": [{k: v for k, v in m.items() if k != "title"} for m in listed],
        "counts": {
            key: Counter(m[key] for m in listed) for key in ("category", "colour", "status")
        },
        "tables": tables,
    }


def test_personal_data_goes_and_the_statistics_stay(world: World) -> None:
    numbers = _stories(world)
    erased, kept = ("old", "lapsed"), ("recent", "open", "returning")
    before = _statistical(world)
    assert before["stats"][None]  # the report has something to compare
    shown = {n: world.ok("show", n, at=CHECK) for n in numbers.values()}
    values = _text_values()
    for who in PEOPLE:
        for trace in _traces(who)[:3]:
            assert any(trace in text for _, text in values), f"{who}'s {trace} is not stored"

    done = world.ok("retention", at=CHECK)
    assert done["period"] == "3y"
    assert done["citizens"] == 2
    assert sorted(done["numbers"]) == sorted(numbers[w] for w in erased)

    assert _statistical(world) == before
    values = _text_values()
    for who in erased:
        for trace in _traces(who):
            leaks = [where for where, text in values if trace in text]
            assert not leaks, f"{who}'s {trace!r} is still in {leaks}"
    for who in kept:
        stored = [text for where, text in values if where in ("citizen.name", "citizen.phone")]
        assert set(PEOPLE[who][:2]) <= set(stored), f"{who} should have been kept"
    for who in ("recent", "open", "returning"):
        assert world.ok("show", numbers[who], at=CHECK) == shown[numbers[who]], who
    assert world.ok("show", numbers["later"], at=CHECK) == shown[numbers["later"]]

    for who in erased:
        number = numbers[who]
        doc, old = world.ok("show", number, at=CHECK), shown[number]
        same = ("status", "colour", "category", "tier", "area", "people", "outcome", "feedback")
        assert {k: doc[k] for k in same} == {k: old[k] for k in same}
        assert doc["assignments"] == old["assignments"]
        assert doc["events"][:-1] == old["events"]
        last = doc["events"][-1]
        assert (last["action"], last["actor"], last["note"]) == (ERASED, "system", None)
        assert last["data"] == {"period": "3y"}
        assert doc["citizen"]["name"] == mask_name(PLACEHOLDER)
        assert doc["title"] == old["title"].replace(PEOPLE[who][0], PLACEHOLDER)
    assert world.ok("verify")["ok"]

    again = world.ok("retention", at=CHECK)
    assert (again["citizens"], again["matters"]) == (0, 0)
    assert _text_values() == values  # nothing changed, no second timeline event


def test_the_retention_deployment_runs_daily_at_the_configured_time(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    (folder / "schedules.yaml").write_text('retention_at: "02:15"\n', "utf-8")
    app = build_app(Settings(config=folder, database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    (retention,) = [d for d in declarations(app) if d.name == "retention"]
    assert retention.entrypoint is not None and "retention" in retention.entrypoint
    assert retention.schedules
    cron = retention.schedules[0].schedule
    assert getattr(cron, "cron", None) == "15 2 * * *"
    assert getattr(cron, "timezone", None) == "Asia/Shanghai"
