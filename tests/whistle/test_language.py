"""The command line speaks Chinese by default and English with WHISTLE_LANGUAGE=en: every refusal
a new user can provoke is one line in either language with the same exit code, and what it lists
reads as a clerk reads it (a header, statuses in words, the lead by name)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.fixtures import T0, World
from whistle.cli import main

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def run(world: World, *args: str) -> tuple[int, str, str]:
    """`whistle ARGS --at T0` in-process, as a person types it (no --json); (exit, out, err)."""
    world.capsys.readouterr()
    try:
        code = main([*args, "--at", T0])
    except SystemExit as stopped:  # argparse's own refusals
        code = int(stopped.code or 0)
    captured = world.capsys.readouterr()
    return code, captured.out, captured.err


# (arguments with {n} for a fresh matter's number, exit code, refusal code or None for argparse,
#  words of the Chinese line, words of the English line)
PROVOKED: list[tuple[list[str], int, str | None, str, str]] = [
    (  # a typo in a department's code
        ["ack", "{n}", "--department", "hrs"],
        2,
        "unknown_department",
        "没有代码为“hrs”的单位（您是不是要找：hrss 人社？）",
        "no such department `hrs` (did you mean hrss Human Resources",
    ),
    (  # a department not on the matter
        ["ack", "{n}", "--department", "卫健"],
        2,
        "not_assigned",
        "卫健不是该事项的承办单位",
        "department Health Commission is not assigned to this matter",
    ),
    (  # the wrong status: resolving before anyone acknowledged
        ["resolve", "{n}", "--department", "hrss", "--outcome", "handled", "--note", "好"],
        2,
        "wrong_status",
        "当前状态为“已分流”，不能办结（现在可以：签收、分流、退回）",
        "cannot resolve while referred (allowed now: acknowledge, refer, return)",
    ),
    (  # a part's status: a co-handler reporting before acknowledging
        ["report", "{n}", "--department", "justice", "--note", "已核实"],
        2,
        "acknowledge_first",
        "（司法）：当前状态为“待签收”，不能报送（请先签收）",
        "(Justice Bureau): cannot report while awaiting acknowledgement (acknowledge it first)",
    ),
    (  # the matter's status: feedback before it is resolved
        ["feedback", "{n}", "--satisfied"],
        2,
        "wrong_status",
        "当前状态为“已分流”，不能评价满意（现在可以：签收、分流、退回）",
        "cannot close as satisfied while referred (allowed now: acknowledge, refer, return)",
    ),
    (  # an unknown category, typed by a name nobody uses
        [
            "intake",
            "--category",
            "欠薪",
            "--title",
            "t",
            "--description",
            "d",
            "--area",
            "文苑社区",
            "--name",
            "张三",
            "--phone",
            "13812345678",
        ],
        2,
        "unknown_category",
        "没有“欠薪”这一事项类别",
        "no such category `欠薪`",
    ),
    (  # an area nearly right
        [
            "intake",
            "--category",
            "拖欠工资",
            "--title",
            "t",
            "--description",
            "d",
            "--area",
            "文苑",
            "--name",
            "张三",
            "--phone",
            "13812345678",
        ],
        2,
        "unknown_area",
        "（您是不是要找：T02V01 文苑社区？）",
        "(did you mean T02V01 Wenyuan Community?)",
    ),
    (  # a bad phone number
        [
            "intake",
            "--category",
            "wage_arrears",
            "--title",
            "t",
            "--description",
            "d",
            "--area",
            "T02V01",
            "--name",
            "张三",
            "--phone",
            "1381234567",
        ],
        2,
        "invalid_input",
        "联系电话（phone）：“1381234567”不是有效的电话号码",
        "phone: '1381234567' is not a mainland phone number",
    ),
    (  # a number that is not one
        ["show", "M2026-1"],
        2,
        "bad_number",
        "没有编号为“M2026-1”的事项（事项编号形如 M20261126-0001）",
        "no matter numbered M2026-1 (numbers look like M20261126-0001)",
    ),
    (  # a missing option
        ["ack", "{n}"],
        2,
        None,
        "缺少必填参数：--department（用法见 whistle ack --help）",
        "the following arguments are required: --department (see whistle ack --help)",
    ),
    (  # a word where a number belongs
        ["list", "--limit", "many"],
        2,
        None,
        "参数 --limit：'many' 不是有效的数值",
        "argument --limit: invalid int value: 'many'",
    ),
    (  # a status typed in words nobody uses
        ["list", "--status", "办理"],
        2,
        "unknown_status",
        "没有“办理”这一状态（可选：received 已受理、",
        "no such status `办理` (known: received, referred, in_progress in progress",
    ),
]


@pytest.mark.parametrize(
    ("args", "code", "refusal", "zh", "en"), PROVOKED, ids=[" ".join(p[0][:3]) for p in PROVOKED]
)
def test_every_refusal_is_one_line_in_either_language(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    code: int,
    refusal: str | None,
    zh: str,
    en: str,
) -> None:
    number = world.intake()["number"] if "{n}" in args else ""
    argv = [a.replace("{n}", number) for a in args]
    before = world.ok("list")

    chinese = run(world, *argv)
    monkeypatch.setenv("WHISTLE_LANGUAGE", "en")
    english = run(world, *argv)
    monkeypatch.delenv("WHISTLE_LANGUAGE")

    for (exit_code, out, err), words, prefix in (
        (chinese, zh, "whistle: 未执行："),
        (english, en, "whistle: refused: "),
    ):
        assert exit_code == code, err
        assert out == ""  # without --json, nothing on stdout
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(prefix) and words in lines[0], lines[0]
        assert "Traceback" not in err
    assert CJK.search(chinese[2].removeprefix("whistle: 未执行："))
    typed = " ".join(argv)
    assert not CJK.search(re.sub(r"`[^`]*`", "", english[2])) or CJK.search(typed)
    if refusal is not None:  # with --json, the same refusal as a code, in either language
        assert world.cli(*argv).refusal == refusal
        monkeypatch.setenv("WHISTLE_LANGUAGE", "en")
        assert world.cli(*argv).refusal == refusal
    assert world.ok("list") == before  # nothing written


def test_the_closed_matter_refusal_says_it_is_closed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = world.intake(category="counselling", area="T03", title="失眠")["number"]
    lead = world.ok("show", number)["lead_department"]
    world.ok("ack", number, "--department", lead)
    world.ok("resolve", number, "--department", lead, "--outcome", "explained", "--note", "已疏导")
    world.ok("feedback", number, "--satisfied")
    code, _, err = run(world, "feedback", number, "--unsatisfied")
    assert code == 2 and err.strip() == f"whistle: 未执行：{number}：此事项已结案，不能再评价不满意"
    monkeypatch.setenv("WHISTLE_LANGUAGE", "en")
    code, _, err = run(world, "feedback", number, "--unsatisfied")
    expected = f"whistle: refused: {number}: cannot reopen as unsatisfied: the matter is closed"
    assert code == 2 and err.strip() == expected


def test_codes_and_chinese_names_are_both_accepted(world: World) -> None:
    doc = world.intake(category="拖欠工资", area="文苑社区")
    assert (doc["category"], doc["area"], doc["area_name"]) == (
        "wage_arrears",
        "T02V01",
        "文苑社区",
    )
    acked = world.ok("ack", doc["number"], "--department", "人社")
    assert acked["assignments"][0]["status"] == "acknowledged"
    assert acked["assignments"][0]["status_label"] == "已签收"
    mine = world.ok("list", "--department", "人社", "--status", "办理中")
    assert [m["number"] for m in mine] == [doc["number"]]


def test_list_reads_as_a_clerk_reads_it(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = world.intake(title="工地拖欠工资")["number"]
    returned = world.intake(category="neighbour", area="T01V02", title="楼上噪音")["number"]
    lead = world.ok("show", returned)["lead_department"]
    world.ok("return", returned, "--department", lead, "--reason", "非本单位职责")

    code, out, _ = run(world, "list")
    assert code == 0
    header, *rows = out.strip().splitlines()
    assert header.split() == ["编号", "状态", "预警", "类别", "区域", "主办", "标题"]
    by_number = {row.split()[0]: row.split() for row in rows}
    assert by_number[returned][1:3] == ["已退回", "绿"] and by_number[returned][5] == "—"
    assert by_number[kept][1] == "已分流" and by_number[kept][5] == "人社"
    assert "None" not in out and "referred" not in out

    listed: list[dict[str, Any]] = world.ok("list")  # --json: the codes, and the labels
    doc = next(m for m in listed if m["number"] == returned)
    assert (doc["status"], doc["status_label"], doc["lead_department"], doc["lead_name"]) == (
        "returned",
        "已退回",
        None,
        None,
    )

    monkeypatch.setenv("WHISTLE_LANGUAGE", "en")
    from service import app

    app.reset()
    code, out, _ = run(world, "list")
    assert out.splitlines()[0].split() == [
        "number",
        "status",
        "colour",
        "category",
        "area",
        "lead",
        "title",
    ]
    assert "returned" in out and "Human Resources and Social Security Bureau" in out


def test_show_prints_a_card_in_words(world: World) -> None:
    number = world.intake()["number"]
    code, out, _ = run(world, "show", number)
    assert code == 0
    assert out.splitlines()[0].startswith(f"{number}  已分流")
    assert "主办 人社 [待签收] 签收时限" in out
    assert "受理  区社会治理中心" in out and "分流交办  系统" in out


def test_a_lone_surrogate_typed_is_refused_as_json_not_a_traceback(world: World) -> None:
    """A number holding a lone surrogate (it cannot be written as UTF-8) is refused in one line,
    and the --json refusal stays a JSON document that says what was typed."""
    result = world.cli("ack", "\ud800", "--department=justice")
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    shown = json.loads(result.out)
    assert shown["refusal"] == "bad_number" and shown["params"]["number"] == "\ud800"
