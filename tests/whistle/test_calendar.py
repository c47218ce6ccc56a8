"""`whistle calendar` on a real store: the years and their sources, the warning `init` and the
sweep give for running clocks in a year without the official 调休, and `--recompute` / `--apply`
moving exactly the clocks a new calendar sets differently, each recorded on its timeline.

The 2027 schedule written here is FICTIONAL, made up for the test (New Year's Day off from Friday
Jan 1 to Monday Jan 4): it is not the State Council's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from models.calendar import CalendarDataWarning
from service import app as app_module
from tests.fixtures import World
from whistle.cli import main

DEC24 = "2026-12-24T09:00:00+08:00"  # a Thursday
LEAD = "T01V01.mediation"  # a green neighbour matter's lead at T01V01

FICTIONAL_2027 = """\
years:
  2027:
    notice: 测试用虚构放假安排
    published: 2026-12-26
    days_off:
      - {name: 元旦, name_en: New Year's Day, from: 2027-01-01, to: 2027-01-04}
"""


def part(doc: dict[str, Any], department: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [a for a in doc["assignments"] if a["department"] == department]
    assert len(found) == 1
    return found[0]


def recomputed(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in doc["events"] if e["action"] == "deadline_recomputed"]


def sweep_artifact() -> list[dict[str, Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["deadline-sweep"]))
        )
    newest = max(found, key=lambda a: a.created or datetime.min.replace(tzinfo=UTC))
    rows = json.loads(newest.data) if isinstance(newest.data, str) else newest.data
    assert isinstance(rows, list)
    return rows


def test_recompute_moves_only_what_the_new_calendar_changes(world: World) -> None:
    world.at = DEC24
    # A: green, acknowledge 1wd, resolve 15wd: Dec 25, 28–31, (Jan 1 off), Jan 4–8, 11–15.
    a = world.intake(category="neighbour", title="噪音", description="d")["number"]
    # D: the same, with 5 more working days approved: Jan 18–22.
    d = world.intake(category="neighbour", title="漏水", description="d")["number"]
    # B: red (60 people), resolve 3wd: Dec 25, 28, 29; nothing reaches 2027.
    b = world.intake(category="neighbour", title="群体纠纷", description="d", people=60)["number"]
    # C: a petition, 15 and 60 calendar days: both in 2027, but no calendar can move them.
    c = world.intake(category="petition", title="信访", description="d")["number"]
    assert part(world.ok("show", a), LEAD)["due"] == "2027-01-15T09:00:00+08:00"
    world.ok(
        "extension", d, "--department", LEAD, "--length", "5wd", "--reason", "需现场勘查",
        at="2026-12-25T10:00:00+08:00",
    )  # fmt: skip
    world.ok(
        "decide-extension", d, "--department", LEAD, "--approve", "--note", "同意",
        at="2026-12-25T11:00:00+08:00",
    )  # fmt: skip
    assert part(world.ok("show", d), LEAD)["due"] == "2027-01-22T09:00:00+08:00"
    # Supervision (督办) raises A and D to yellow: their clocks keep the green windows they
    # started with, and the recompute must count those, not yellow's 10 working days.
    world.ok("sweep", at="2026-12-25T21:00:00+08:00")
    assert world.ok("show", a)["colour"] == "yellow"
    # running clocks in a year without 调休: one row, for 2027, counting them
    (row,) = [r for r in sweep_artifact() if "2027年工作日历不完整" in r["项目"]]
    assert row["数量"] == 4 and "holidays.yaml" in row["项目"]

    # On the calendar they were set with, nothing moves; init warns once about 2027.
    assert world.ok("calendar", "--recompute")["changes"] == []
    init = world.cli("init")
    assert init.code == 0
    (warning,) = init.data["calendar_warnings"]
    assert "2027" in warning and "4个" in warning and "holidays.yaml" in warning
    assert init.err.count("whistle: 注意：") == 1 and "chinesecalendar" in init.err
    before = {n: world.ok("show", n) for n in (a, b, c, d)}

    # The district adds 2027's schedule: shown, but no deadline moves by itself.
    (world.folder / "holidays.yaml").write_text(FICTIONAL_2027, encoding="utf-8")
    app_module.reset()
    (year,) = world.ok("calendar", "--year", "2027")["years"]
    assert (year["coverage"], year["source"], year["notice"]) == (
        "official",
        "holidays.yaml",
        "测试用虚构放假安排",
    )
    assert world.ok("show", a)["assignments"] == before[a]["assignments"]

    expected = [
        {"number": a, "clock": "resolve", "window": "15wd",
         "due_from": "2027-01-15T09:00:00+08:00", "due_to": "2027-01-18T09:00:00+08:00"},
        {"number": d, "clock": "resolve", "window": "15wd + 5wd",
         "due_from": "2027-01-22T09:00:00+08:00", "due_to": "2027-01-25T09:00:00+08:00"},
    ]  # fmt: skip
    keys = ("number", "clock", "window", "due_from", "due_to")

    def shown(doc: dict[str, Any]) -> list[dict[str, Any]]:
        assert all(c["department"] == LEAD for c in doc["changes"])
        return [{k: c[k] for k in keys} for c in doc["changes"]]

    dry = world.ok("calendar", "--recompute", at="2026-12-29T10:00:00+08:00")
    assert (shown(dry), dry["applied"], dry["matters"]) == (expected, False, 2)
    assert world.ok("show", a) == before[a]  # nothing written
    world.capsys.readouterr()
    assert main(["calendar", "--recompute", "--at", "2026-12-29T10:00:00+08:00"]) == 0
    text = world.capsys.readouterr().out
    assert "按现行日历，2件事项的2个时限将改变（加 --apply 执行）" in text
    assert f"{a}  {LEAD}  办结 (15wd)  2027-01-15 09:00 → 2027-01-18 09:00" in text

    done = world.ok("calendar", "--recompute", "--apply", at="2026-12-29T10:00:00+08:00")
    assert (shown(done), done["applied"], done["matters"]) == (expected, True, 2)
    for number, change in zip((a, d), expected, strict=True):
        doc = world.ok("show", number)
        assert part(doc, LEAD)["due"] == change["due_to"]
        assert part(doc, LEAD)["ack_due"] == before[number]["assignments"][0]["ack_due"]
        (event,) = recomputed(doc)
        assert (event["actor"], event["department"], event["at"]) == (
            "center",
            LEAD,
            "2026-12-29T10:00:00+08:00",
        )
        assert event["data"]["clock"] == "resolve"
        assert datetime.fromisoformat(event["data"]["due_from"]) == datetime.fromisoformat(
            change["due_from"]
        )
        assert datetime.fromisoformat(event["data"]["due_to"]) == datetime.fromisoformat(
            change["due_to"]
        )
        assert len(doc["events"]) == len(before[number]["events"]) + 1
    for number in (b, c):
        assert world.ok("show", number) == before[number]

    # Done once: nothing left to move, the chain holds, 2027 is fully covered now.
    assert world.ok("calendar", "--recompute", "--apply")["changes"] == []
    assert world.ok("verify")["ok"] is True
    assert world.ok("init")["calendar_warnings"] == []


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_calendar_command_in_both_languages(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = world.ok("calendar")  # --at 2026-11-26: this year and next
    assert [(y["year"], y["coverage"], y["source"]) for y in doc["years"]] == [
        (2026, "official", "chinesecalendar"),
        (2027, "statutory", "holidays"),
    ]
    y2026, y2027 = doc["years"]
    assert {"date": "2026-01-04", "name": "元旦", "source": "chinesecalendar"} in y2026[
        "makeup_days"
    ]
    assert y2027["makeup_days"] == []
    assert {"date": "2027-02-10", "name": "春节（补假）", "source": "holidays"} in y2027["holidays"]
    assert y2027["working_days"][1] == {"month": 2, "days": 16}
    assert y2026["warning"] is None and "2027年工作日历不完整" in y2027["warning"]

    world.capsys.readouterr()
    assert main(["calendar", "--year", "2027"]) == 0
    text = world.capsys.readouterr().out
    assert "2027年：仅法定节假日（无调休）（来源：holidays 软件包）" in text
    assert "2027-02-05  农历除夕" in text and "2月:16" in text

    monkeypatch.setenv("WHISTLE_LANGUAGE", "en")
    app_module.reset()
    assert main(["calendar", "--year", "2027"]) == 0
    text = world.capsys.readouterr().out
    assert "2027: statutory only (from the holidays package)" in text
    assert "2027-02-05  Chinese New Year's Eve" in text
    english = world.ok("calendar", "--year", "2026")["years"][0]
    assert english["coverage_label"] == "official with 调休"
    assert {"date": "2026-02-17", "name": "Spring Festival", "source": "chinesecalendar"} in (
        english["holidays"]
    )


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_year_in_neither_source_is_weekends_only(world: World) -> None:
    with pytest.warns(CalendarDataWarning, match="2103"):
        (year,) = world.ok("calendar", "--year", "2103")["years"]
    assert (year["coverage"], year["source"], year["holidays"]) == ("weekends", "none", [])
    assert year["working_days"][0] == {"month": 1, "days": 23}
    assert "周一至周五" in year["warning"]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--apply"], "--apply"),
        (["--year", "12027"], "--year"),
        (["--year", "next"], "--year"),
        (["--year", "2027", "--recompute"], "--recompute"),
    ],
)
def test_calendar_refusals_name_the_option(world: World, args: list[str], says: str) -> None:
    try:
        result = world.cli("calendar", *args)
        code, err = result.code, result.err
    except SystemExit as usage:  # argparse's own refusals
        code, err = int(str(usage.code)), world.capsys.readouterr().err
    assert code == 2 and says in err and "未执行" in err


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_broken_year_schedule_stops_the_cli(world: World) -> None:
    path = Path(world.folder) / "holidays.yaml"
    path.write_text(FICTIONAL_2027.replace("to: 2027-01-04", "to: 2027-01-32"), "utf-8")
    app_module.reset()
    result = world.cli("calendar")
    assert result.code == 3
    assert f"{path}：years.2027.days_off[0].to" in result.err and "2027-01-32" in result.err
