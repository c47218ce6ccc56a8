"""`whistle stats` through the CLI on a constructed history with known answers, on SQLite and
PostgreSQL: every rate, the counts, times, overdue and returns per department, the source's
figures per month, empty periods, and the SQL tallies against the pure reference definitions."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from models.stats import (
    LIVE_LEAD,
    OVERDUE_LEVELS,
    MatterFacts,
    Part,
    summarise,
    tally_facts,
)
from models.tables import Assignment, LadderStep, Matter
from service.app import get_app
from service.read.stats import figures, parse_period
from service.store.db import session
from tests.fixtures import World

NOW = "2026-11-30T12:00:00+08:00"
PERIOD = ("--from", "2026-10-01", "--to", "2026-11-30")


def _at(text: str) -> str:
    """'MM-DD HH:MM' in 2026, local time, as the CLI's --at."""
    day, clock = text.split()
    return f"2026-{day}T{clock}:00+08:00"


def build_history(world: World) -> dict[str, str]:
    """Seven matters in October and November (the same history as tests/models/test_stats.py),
    made with the CLI's own commands at the times given; returns the matter numbers."""

    def intake(when: str, **fields: Any) -> str:
        world.at = _at(when)
        return str(world.intake(**fields)["number"])

    def do(when: str, *args: str) -> Any:
        return world.ok(*args, at=_at(when))

    n: dict[str, str] = {}
    # A: orange wage arrears (8 workers): hrss leads, police and justice help.
    n["A"] = intake("10-12 09:00", people=8)
    do("10-12 09:30", "return", n["A"], "--department", "justice", "--reason", "不属于本单位职责")
    do("10-12 10:00", "ack", n["A"], "--department", "hrss")
    do("10-12 12:00", "ack", n["A"], "--department", "public_security")
    do("10-12 13:00", "report", n["A"], "--department", "public_security", "--note", "已核实")
    resolve = ("--department", "hrss", "--outcome", "mediated", "--note", "调解成功")
    do("10-13 09:00", "resolve", n["A"], *resolve)
    do("10-14 09:00", "feedback", n["A"], "--satisfied")
    # B: a green legal consultation at a town; justice answers late (after an urging step).
    n["B"] = intake("10-20 10:00", category="legal_consult", area="T02", title="法律咨询")
    steps = do("10-21 12:00", "sweep")["steps"]
    assert {(s["department"], s["level"]) for s in steps} == {
        ("justice", "reminder"),
        ("justice", "urging"),
    }
    do("10-23 10:00", "ack", n["B"], "--department", "justice")
    resolve = ("--department", "justice", "--outcome", "explained", "--note", "已解答")
    do("11-20 10:00", "resolve", n["B"], *resolve)
    # C: a petition by letter from 12 people; reopened once, then satisfied.
    n["C"] = intake("11-03 09:00", category="petition", area="T03V01", people=12, channel="letter")
    do("11-05 09:00", "ack", n["C"], "--department", "petitions")
    resolve = ("--department", "petitions", "--outcome", "handled", "--note", "已答复")
    do("11-20 09:00", "resolve", n["C"], *resolve)
    do("11-21 09:00", "feedback", n["C"], "--unsatisfied", "--comment", "仍未解决")
    # D: counselling, resolved the next day; its feedback window lapses at the sweep.
    n["D"] = intake("11-16 14:00", category="counselling", area="T04V01", title="心理疏导")
    do("11-16 14:30", "ack", n["D"], "--department", "health")
    resolve = ("--department", "health", "--outcome", "handled", "--note", "已疏导")
    do("11-17 10:00", "resolve", n["D"], *resolve)
    # E: a yellow neighbour dispute; the village returns it, the center re-refers it.
    n["E"] = intake("11-23 09:00", category="neighbour", area="T05V03", people=2)
    do("11-23 10:00", "return", n["E"], "--department", "T05V03.mediation", "--reason", "需镇处理")
    do("11-23 11:00", "refer", n["E"], "--lead", "T05.judicial_office")
    do("11-24 15:00", "ack", n["E"], "--department", "T05.judicial_office")
    steps = do("11-25 09:00", "sweep")["steps"]
    assert steps == [
        {"number": n["D"], "department": "health", "clock": "feedback", "level": "no_feedback"}
    ]
    resolve = ("--department", "petitions", "--outcome", "explained", "--note", "再次答复")
    do("11-25 15:00", "resolve", n["C"], *resolve)
    do("11-26 09:00", "feedback", n["C"], "--satisfied")
    # F: a red land dispute nobody has acknowledged; H: a green one just in.
    n["F"] = intake("11-30 11:00", category="land", area="T08V02", people=3, flag="violence")
    n["H"] = intake("11-30 11:50", category="other", area="T06V01", title="其他事项")
    return n


def rate(numerator: int, denominator: int, pending: int = 0) -> dict[str, Any]:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "pending": pending,
        "rate": numerator / denominator if denominator else None,
    }


def test_every_rate_on_a_constructed_history(world: World) -> None:
    numbers = build_history(world)
    doc = world.ok("stats", *PERIOD, at=NOW)
    assert doc["period"]["from"] == "2026-10-01" and doc["period"]["to"] == "2026-11-30"
    assert doc["rates"] == {
        "response": rate(5, 9, 1),
        "resolution": rate(3, 4, 3),
        "satisfaction": rate(2, 3),
        "whistle": rate(1, 7),
    }
    assert doc["feedback_lapsed"] == 1
    assert (doc["matters"], doc["people"]) == (7, 28)
    assert doc["counts"]["colour"] == {"green": 3, "orange": 2, "red": 1, "yellow": 1}
    assert doc["counts"]["tier"] == {"town": 3, "village": 3, "district": 1}
    assert doc["counts"]["channel"] == {"walk_in": 6, "letter": 1}
    assert doc["counts"]["category"]["petition"] == 1 and len(doc["counts"]["category"]) == 7
    assert doc["times"]["acknowledge"] == {
        "count": 6,
        "average_seconds": pytest.approx(549_000 / 6),
        "p90_seconds": 72 * 3600,
    }
    assert doc["times"]["resolve"] == {
        "count": 4,
        "average_seconds": pytest.approx(4_759_200 / 4),
        "p90_seconds": 31 * 86400,
    }
    assert doc["overdue_by_department"] == {"justice": 1}
    assert doc["returns_by_department"] == {"T05V03.mediation": 1, "justice": 1}
    october, november = doc["months"]
    assert october["month"] == "2026-10" and november["month"] == "2026-11"
    assert october["figures"] == {
        "visitors": 9,
        "legal_consultations": 1,
        "petitions": {"batches": 0, "people": 0},
        "counselling": 0,
        "mediated": 1,
    }
    assert november["figures"] == {
        "visitors": 7,
        "legal_consultations": 0,
        "petitions": {"batches": 1, "people": 12},
        "counselling": 1,
        "mediated": 0,
    }
    assert october["rates"]["response"] == rate(2, 4)
    assert november["rates"]["response"] == rate(3, 5, 1)

    by = world.ok("stats", *PERIOD, "--by", "department", at=NOW)
    groups = {g["key"]: g for g in by["groups"]}
    assert groups["justice"]["rates"]["response"] == rate(1, 2)
    assert groups["justice"]["rates"]["resolution"] == rate(0, 1)
    assert groups["hrss"]["rates"]["satisfaction"] == rate(1, 1)
    assert groups["petitions"]["rates"]["satisfaction"] == rate(1, 2)
    assert by["rates"] == doc["rates"]  # grouping changes the groups, not the whole

    # The same history, before anything happened and after now: no rate, no error.
    for period in (
        ("--from", "2026-09-01", "--to", "2026-09-30"),
        ("--from", "2026-12-01", "--to", "2026-12-31"),
    ):
        empty = world.ok("stats", *period, at=NOW)
        assert {k: r["rate"] for k, r in empty["rates"].items()} == dict.fromkeys(
            ("response", "resolution", "satisfaction", "whistle")
        )
        assert empty["matters"] == 0 and empty["times"]["resolve"]["p90_seconds"] is None
    # A month: only October's cohort.
    assert world.ok("stats", "--from", "2026-10-01", "--to", "2026-10-31", at=NOW)["rates"][
        "response"
    ] == rate(2, 4)

    # The report as text: Chinese, with "—" for a rate with nothing due.
    world.capsys.readouterr()
    from whistle.cli import main

    assert main(["stats", "--from", "2026-09-01", "--to", "2026-09-30", "--at", NOW]) == 0
    text = world.capsys.readouterr().out
    assert "| 响应率 | — | 0 / 0 | 0 |" in text and "信访接待（批次/人）" in text
    assert main(["stats", *PERIOD, "--at", NOW]) == 0
    text = world.capsys.readouterr().out
    assert "| 响应率 | 55.6% | 5 / 9 | 1 |" in text
    assert "| 2026年11月 | 5 | 7 | 0 | 1/12 | 1 | 0 |" in text
    for number in numbers.values():
        assert number not in text  # the report carries figures, not matters

    assert_store_counts_as_the_definitions_say(world)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "refusal", "message"),
    [
        (("--from", "2026-13-01"), "bad_date", "“2026-13-01”不是日期"),
        (
            ("--from", "2026-11-02", "--to", "2026-11-01"),
            "period_backwards",
            "--to 2026-11-01 早于",
        ),
    ],
)
def test_refusals(world: World, args: tuple[str, ...], refusal: str, message: str) -> None:
    result = world.cli("stats", *args)
    assert result.code == 2 and message in result.err and result.refusal == refusal


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_an_unknown_grouping_is_refused(world: World) -> None:
    from whistle.cli import main

    world.capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        main(["stats", "--by", "street"])
    assert stopped.value.code == 2
    assert "无效的选择：'street'" in world.capsys.readouterr().err


def reference(by: str | None) -> dict[str, Any]:
    """The pure definitions applied to one row per part and matter read from the store."""
    app = get_app()
    now = datetime.fromisoformat(NOW)
    period = parse_period(app, "2026-10-01", "2026-11-30", now)
    with session(app.engine) as s:
        matters = s.exec(select(Matter)).all()
        parts = s.exec(select(Assignment).order_by(col(Assignment.id))).all()
        overdue = set(
            s.exec(
                select(LadderStep.assignment_id).where(col(LadderStep.level).in_(OVERDUE_LEVELS))
            ).all()
        )
    of: dict[int, list[Assignment]] = defaultdict(list)
    for p in parts:
        of[p.matter_id].append(p)
    number = {m.id: m.number for m in matters}
    facts = []
    for m in matters:
        assert m.id is not None
        leads = [p for p in of[m.id] if p.role == "lead"]
        live = next((p for p in leads if p.status in LIVE_LEAD), None)
        facts.append(
            MatterFacts(
                number=m.number,
                category=m.category,
                colour=m.colour,
                tier=m.tier,
                channel=m.channel,
                town=m.town,
                status=m.status,
                created_at=m.created_at,
                people=m.people,
                lead_department=m.lead_department,
                lead_status=live.status if live else None,
                lead_due=live.due if live else max((p.due for p in leads if p.due), default=None),
                lead_finished_at=live.finished_at if live else None,
                resolved_at=m.resolved_at,
                outcome=m.outcome,
                feedback=m.feedback,
                reopen_count=m.reopen_count,
                co_handled=any(p.role == "co" for p in of[m.id]),
            )
        )
    rows = [
        Part(
            number=number[p.matter_id],
            department=p.department,
            role=p.role,
            status=p.status,
            assigned_at=p.assigned_at,
            ack_due=p.ack_due,
            acknowledged_at=p.acknowledged_at,
            finished_at=p.finished_at,
            overdue=p.id in overdue,
        )
        for p in parts
    ]
    tallies = tally_facts(rows, facts, period, now, by=by)  # type: ignore[arg-type]
    stats = summarise(tallies, period, now, by=by, figures=figures(app))  # type: ignore[arg-type]
    document: dict[str, Any] = json.loads(json.dumps(stats.as_dict(), default=str))
    return document


def assert_store_counts_as_the_definitions_say(world: World) -> None:
    """The SQL tallies equal the pure definitions applied row by row, for every grouping."""
    for by in (None, "department", "town", "category", "colour"):
        extra = ("--by", by) if by else ()
        counted = world.ok("stats", *PERIOD, *extra, at=NOW)
        expected = reference(by)
        for document in (counted, expected):
            for kind in ("acknowledge", "resolve"):
                times = document["times"][kind]
                times["average_seconds"] = round(times["average_seconds"], 3)
            document["period"].pop("end")  # the same instant, written in UTC or local time
            document["period"].pop("as_of")
        assert counted == expected, by


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_the_report_flow_publishes_the_artifact_and_writes_html(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactCollectionFilter,
        ArtifactCollectionFilterKey,
    )

    from engine.quiet import without_heartbeat
    from flows.report import statistics_report
    from service import app as app_module

    categories = world.folder / "categories.yaml"
    text = categories.read_text("utf-8").replace("name: 其他,", "name: 其他<script>x</script>,")
    categories.write_text(text, "utf-8")
    monkeypatch.setenv("WHISTLE_HOME", str(tmp_path / "home"))
    app_module.reset()
    world.intake(category="other", area="T06V01", title="其他事项")
    world.intake(people=6)
    now = datetime.fromisoformat("2026-11-26T12:00:00+08:00")

    def published() -> str:
        with get_client(sync_client=True) as client:
            (latest,) = client.read_latest_artifacts(
                artifact_filter=ArtifactCollectionFilter(
                    key=ArtifactCollectionFilterKey(any_=["statistics"])
                )
            )
        return str(latest.data)

    with without_heartbeat():
        result = statistics_report(now=now)
    page = Path(result["path"])
    assert page == (tmp_path / "home" / "reports" / "statistics-2026-11-26.html").resolve()
    html = page.read_text("utf-8")
    assert '<html lang="zh-CN">' in html and html.count("<svg") >= 3
    assert "其他&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html
    markdown = published()
    assert "| 2026年11月 | 2 | 7 |" in markdown and "| 响应率 |" in markdown

    with without_heartbeat():
        english = Path(statistics_report(now=now, language="en")["path"])
    assert english.name == "statistics-2026-11-26.en.html"
    assert "<h2>The rates</h2>" in english.read_text("utf-8")
    assert "| Response |" in published()  # the artifact is refreshed in place
