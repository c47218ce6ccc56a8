"""Whole stories through the `whistle` CLI, on a real store, a real Prefect API and real
receivers: what the timeline, the statuses and the delivered notices say at every step."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures import World


def actions(doc: dict[str, Any]) -> list[str]:
    return [e["action"] for e in doc["events"] if e["action"] != "notified"]


def part(doc: dict[str, Any], department: str) -> dict[str, Any]:
    live: list[dict[str, Any]] = [a for a in doc["assignments"] if a["department"] == department]
    assert live, f"{department} has no part in {doc['number']}"
    return live[-1]


def hooks_to(world: World, recipient: str) -> list[Any]:
    return [r.json for r in world.http.requests if r.path == f"/dept/{recipient}"]


def test_happy_path_to_closed(world: World) -> None:
    doc = world.intake(people=3)
    number = doc["number"]
    assert number.startswith("M20261126-")
    assert (doc["status"], doc["colour"], doc["tier"]) == ("referred", "yellow", "village")
    assert doc["lead_department"] == "hrss"
    assert doc["co_departments"] == ["public_security", "justice"]
    assert {(a["department"], a["role"], a["status"]) for a in doc["assignments"]} == {
        ("hrss", "lead", "referred"),
        ("public_security", "co", "referred"),
        ("justice", "co", "referred"),
    }
    world.http.wait_for(3)
    lead_notice = hooks_to(world, "hrss")[0]
    assert number in lead_notice["title"] and "主办" in lead_notice["title"]
    assert "张**" in lead_notice["message"] and "138****5678" in lead_notice["message"]
    assert "张三丰" not in lead_notice["message"] and "13812345678" not in lead_notice["message"]
    assert "协办" in hooks_to(world, "justice")[0]["title"]

    world.ok("ack", number, "--department", "hrss", at="2026-11-26T09:20:00+08:00")
    world.ok("ack", number, "--department", "justice", at="2026-11-26T09:30:00+08:00")
    world.ok("ack", number, "--department", "public_security", at="2026-11-26T09:40:00+08:00")
    world.ok("progress", number, "--department", "hrss", "--note", "已约谈施工方")
    world.ok("report", number, "--department", "justice", "--note", "已提供法律援助")
    world.ok("report", number, "--department", "public_security", "--note", "现场秩序正常")
    doc = world.ok(
        "resolve", number, "--department", "hrss", "--outcome", "mediated", "--note", "工资已结清"
    )
    assert doc["status"] == "resolved" and doc["outcome"] == "mediated"
    assert doc["feedback_due"].startswith("2026-12-03T09:00")  # seven clock days

    mail = world.smtp.wait_for(1)[0]
    assert number in mail.subject and "办结" in mail.subject
    assert "center@district.example" in mail.rcpt_tos
    sms = [r for r in world.http.requests if r.path.startswith("/sms")]
    assert len(sms) == 1
    assert sms[0].json["to"] == "13812345678"  # the citizen's own channel
    assert "张三丰" in sms[0].json["message"] and "满意" in sms[0].json["message"]

    doc = world.ok("feedback", number, "--satisfied", "--comment", "谢谢")
    assert doc["status"] == "closed" and doc["feedback"] == "satisfied"
    assert actions(doc) == [
        "received",
        "referred",
        "acknowledged",
        "acknowledged",
        "acknowledged",
        "progress",
        "reported",
        "reported",
        "resolved",
        "closed",
    ]
    acks = [e for e in doc["events"] if e["action"] == "acknowledged"]
    assert [e["actor"] for e in acks] == ["hrss", "justice", "public_security"]
    assert acks[0]["at"].startswith("2026-11-26T09:20:00+08:00")
    assert "结案" in hooks_to(world, "hrss")[-1]["title"]
    notified = [e for e in doc["events"] if e["action"] == "notified"]
    assert len(notified) == 6  # 3 referral, center, citizen, closing; none twice


def test_return_and_rereferral(world: World) -> None:
    number = world.intake(category="neighbour", title="楼上漏水", description="楼上漏水纠纷")[
        "number"
    ]
    doc = world.ok("show", number)
    assert doc["lead_department"] == "T01V01.mediation"
    world.ok("ack", number, "--department", "T01V01.mediation")
    doc = world.ok(
        "return", number, "--department", "T01V01.mediation", "--reason", "涉及房屋质量，非调解范围"
    )
    assert doc["status"] == "returned" and doc["lead_department"] is None
    mail = world.smtp.wait_for(1)[0]
    assert "退回" in mail.subject and "涉及房屋质量" in (mail.text or "")

    doc = world.ok("refer", number, "--lead", "housing", "--co", "T01.judicial_office")
    assert doc["status"] == "referred" and doc["lead_department"] == "housing"
    assert part(doc, "T01V01.mediation")["status"] == "returned"
    assert part(doc, "housing")["round"] == 2
    assert len(hooks_to(world, "housing")) == 1
    assert len(hooks_to(world, "T01.judicial_office")) == 1
    assert len(hooks_to(world, "T01V01.mediation")) == 1  # only the first referral

    again = world.cli("refer", number, "--lead", "housing", "--co", "T01.judicial_office")
    assert again.code == 2 and again.refusal == "already_referred"
    assert "已交由这些单位办理" in again.err
    assert len(hooks_to(world, "housing")) == 1


def test_unsatisfied_citizen_reopens_to_lead(world: World) -> None:
    number = world.intake(category="consumer", title="退货纠纷", description="商家拒绝退货")[
        "number"
    ]
    lead = world.ok("show", number)["lead_department"]
    assert lead == "market_regulation"
    world.ok("ack", number, "--department", lead)
    first = world.ok(
        "resolve",
        number,
        "--department",
        lead,
        "--outcome",
        "explained",
        "--note",
        "已解释政策",
        at="2026-11-27T10:00:00+08:00",
    )
    first_due = part(first, lead)["due"]
    doc = world.ok(
        "feedback",
        number,
        "--unsatisfied",
        "--comment",
        "商家仍未退款",
        at="2026-11-30T10:00:00+08:00",
    )
    assert doc["status"] == "in_progress" and doc["reopen_count"] == 1
    assert part(doc, lead)["status"] == "acknowledged"
    assert part(doc, lead)["due"] > first_due  # a fresh deadline from the reopening
    reopened = hooks_to(world, lead)[-1]
    assert "重办" in reopened["title"] and "商家仍未退款" in reopened["message"]
    assert actions(doc)[-1] == "reopened"

    doc = world.ok(
        "resolve",
        number,
        "--department",
        lead,
        "--outcome",
        "handled",
        "--note",
        "已督促退款",
        at="2026-12-01T10:00:00+08:00",
    )
    doc = world.ok("feedback", number, "--satisfied", at="2026-12-01T12:00:00+08:00")
    assert doc["status"] == "closed"


def test_no_feedback_closes_after_window(world: World) -> None:
    number = world.intake(category="legal_consult", title="咨询", description="咨询继承问题")[
        "number"
    ]
    lead = world.ok("show", number)["lead_department"]
    world.ok("ack", number, "--department", lead)
    world.ok("resolve", number, "--department", lead, "--outcome", "explained", "--note", "已答复")
    early = world.ok("sweep", at="2026-12-03T08:59:00+08:00")
    assert early["steps"] == []
    assert world.ok("show", number)["status"] == "resolved"
    swept = world.ok("sweep", at="2026-12-03T09:01:00+08:00")
    assert swept["steps"] == [
        {"number": number, "department": lead, "clock": "feedback", "level": "no_feedback"}
    ]
    doc = world.ok("show", number)
    assert doc["status"] == "closed" and doc["feedback"] == "no_feedback"
    assert world.ok("sweep", at="2026-12-03T09:02:00+08:00")["steps"] == []
    closing = [r for r in hooks_to(world, lead) if "结案" in r["title"]]
    assert len(closing) == 1 and "逾期未反馈" in closing[0]["message"]
    late = world.cli("feedback", number, "--satisfied")
    assert late.code == 2 and late.refusal == "matter_closed"
    assert f"{number}：此事项已结案，不能再评价满意" in late.err


@pytest.mark.parametrize(
    ("args", "refusal", "message"),
    [
        (["ack", "{n}", "--department", "health"], "not_assigned", "卫健不是该事项的承办单位"),
        (
            ["resolve", "{n}", "--department", "hrss", "--outcome", "mediated", "--note", "x"],
            "wrong_status",
            "当前状态为“已分流”，不能办结",
        ),
        (
            ["report", "{n}", "--department", "hrss", "--note", "x"],
            "lead_resolves",
            "人社是主办单位",
        ),
        (
            ["resolve", "{n}", "--department", "hrss", "--outcome", "solved", "--note", "x"],
            "unknown_outcome",
            "不认识的办理结果“solved”",
        ),
        (
            ["return", "{n}", "--department", "hrss", "--reason", "  "],
            "invalid_input",
            "理由（reason）：不能为空",
        ),
        (
            ["feedback", "{n}", "--satisfied"],
            "wrong_status",
            "当前状态为“已分流”，不能评价满意",
        ),
        (["refer", "{n}", "--lead", "nobody"], "unknown_department", "没有代码为“nobody”的单位"),
        (["show", "M20200101-0001"], "not_found", "没有编号为M20200101-0001的事项"),
        (
            ["ack", "{n}", "--department", "justice", "--at", "2026-11-26T10:00"],
            "time_no_zone",
            "没有时区",
        ),
    ],
)
def test_refused_actions_write_nothing(
    world: World, args: list[str], refusal: str, message: str
) -> None:
    number = world.intake()["number"]
    before = world.ok("show", number)
    notices_before = len(world.http.requests)
    argv = [a.replace("{n}", number) for a in args]
    at = None
    if "--at" in argv:
        at = argv[argv.index("--at") + 1]
        argv = argv[: argv.index("--at")]
    result = world.cli(*argv, at=at)
    assert result.code == 2, result.err
    assert result.refusal == refusal and message in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1
    assert world.ok("show", number) == before
    assert len(world.http.requests) == notices_before


@pytest.mark.parametrize(
    ("field", "value", "refusal", "message"),
    [
        ("area", "T99V99", "unknown_area", "没有“T99V99”这一区域"),
        ("category", "ufo", "unknown_category", "没有“ufo”这一事项类别"),
        ("description", "   ", "invalid_input", "事项描述（description）：不能为空"),
        ("phone", "12345", "invalid_input", "“12345”不是有效的电话号码"),
        ("id_number", "110101199003070000", "invalid_input", "不是有效的18位居民身份证号"),
        ("flag", "aliens", "unknown_flag", "不认识的风险标识aliens"),
        ("people", "0", "invalid_input", "涉及人数（people）：不能小于1"),
    ],
)
def test_refused_intake_writes_nothing(
    world: World, field: str, value: str, refusal: str, message: str
) -> None:
    result = world.cli(*_intake_with(field, value))
    assert result.code == 2 and result.refusal == refusal, result.err
    assert message in result.err, result.err
    assert world.ok("list") == []


def _intake_with(field: str, value: str) -> list[str]:
    """A valid intake with one field replaced (or added) by a bad value."""
    values = {
        "category": "labour",
        "title": "t",
        "description": "d",
        "area": "T01V01",
        "name": "李四",
        "phone": "13900001111",
    } | {field: value}
    args = ["intake"]
    for key, item in values.items():
        args += [f"--{key.replace('_', '-')}", item]
    return args


def test_clock_override_needs_permission(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from service import app

    monkeypatch.setenv("WHISTLE_ALLOW_CLOCK_OVERRIDE", "0")
    app.reset()
    result = world.cli("list")
    assert result.code == 2 and "WHISTLE_ALLOW_CLOCK_OVERRIDE=1" in result.err


def test_colour_and_tier_from_grading(world: World) -> None:
    red = world.intake(people=60, title="群体讨薪", description="六十名工人讨薪")
    assert (red["colour"], red["tier"]) == ("red", "district")
    orange = world.intake(
        visits=3, category="neighbour", title="反复来访", description="第四次来访"
    )
    assert (orange["colour"], orange["tier"]) == ("orange", "town")
    assert orange["lead_department"] == "T01.judicial_office"
    town_only = world.intake(area="T05", category="neighbour", title="镇级", description="镇级事项")
    assert (town_only["colour"], town_only["tier"]) == ("green", "town")
    numbers = [red["number"], orange["number"], town_only["number"]]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
