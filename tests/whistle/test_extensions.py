"""Extensions (延期): asked with a reason, decided by the center, on the timeline; an approval
moves the due time and the ladder with it; petitions may be extended once, by 30 days at most."""

from __future__ import annotations

from tests.fixtures import World

LEAD = "T01V01.mediation"


def test_approved_extension_moves_the_due_time_and_the_ladder(world: World) -> None:
    number = world.intake(category="neighbour", title="噪音", description="d")["number"]
    world.ok("ack", number, "--department", LEAD)
    before = world.ok("show", number)["assignments"][0]["due"]
    assert before.startswith("2026-12-17T09:00")  # 15 working days

    doc = world.ok(
        "extension", number, "--department", LEAD, "--length", "5wd", "--reason", "等待房屋鉴定结果"
    )
    assert doc["assignments"][0]["due"] == before  # nothing moves before the decision
    mail = world.smtp.wait_for(1)[0]
    assert "申请延期" in mail.subject and "等待房屋鉴定结果" in (mail.text or "")
    again = world.cli(
        "extension", number, "--department", LEAD, "--length", "2wd", "--reason", "again"
    )
    assert again.code == 2 and again.refusal == "extension_pending"
    assert "已有待审批的延期申请" in again.err

    doc = world.ok(
        "decide-extension", number, "--department", LEAD, "--approve", "--note", "同意延期"
    )
    assert doc["assignments"][0]["due"].startswith("2026-12-24T09:00")  # 5 more working days
    actions = [e["action"] for e in doc["events"] if e["action"].startswith("extension")]
    assert actions == ["extension_requested", "extension_approved"]
    decision = [r.json for r in world.http.requests if r.path == f"/dept/{LEAD}"][-1]
    assert "已批准" in decision["title"] and "2026年12月24日 09:00" in decision["message"]

    # the old breach passes quietly; the ladder follows the new due time
    assert world.ok("sweep", at="2026-12-17T09:30:00+08:00")["steps"] == [
        {"number": number, "department": LEAD, "clock": "resolve", "level": "reminder"}
    ]
    swept = world.ok("sweep", at="2026-12-24T09:00:00+08:00")
    assert [s["level"] for s in swept["steps"]] == ["urging"]


def test_refused_extension_keeps_the_due_time(world: World) -> None:
    number = world.intake(category="neighbour", title="噪音", description="d")["number"]
    before = world.ok("show", number)["assignments"][0]["due"]
    world.ok("extension", number, "--department", LEAD, "--length", "3wd", "--reason", "人手不足")
    doc = world.ok(
        "decide-extension", number, "--department", LEAD, "--refuse", "--note", "理由不充分"
    )
    assert doc["assignments"][0]["due"] == before
    assert doc["events"][-1]["action"] in ("extension_refused", "notified")
    none_left = world.cli(
        "decide-extension", number, "--department", LEAD, "--approve", "--note", "x"
    )
    assert none_left.code == 2 and none_left.refusal == "no_extension_pending"
    assert "没有待审批的延期申请" in none_left.err


def test_petition_extends_once_by_thirty_days_at_most(world: World) -> None:
    number = world.intake(category="petition", title="信访", description="d")["number"]
    too_long = world.cli(
        "extension", number, "--department", "petitions", "--length", "31d", "--reason", "复杂"
    )
    assert too_long.code == 2 and too_long.refusal == "extension_too_long"
    assert too_long.data["params"]["most"] == "30d" and "最长30d" in too_long.err
    world.ok(
        "extension",
        number,
        "--department",
        "petitions",
        "--length",
        "30d",
        "--reason",
        "需多部门会商",
    )
    world.ok("decide-extension", number, "--department", "petitions", "--approve", "--note", "同意")
    second = world.cli(
        "extension", number, "--department", "petitions", "--length", "5d", "--reason", "再次"
    )
    assert second.code == 2 and second.refusal == "extensions_used"
    assert "只能延期1次" in second.err
    soon = world.cli(
        "extension", number, "--department", "petitions", "--length", "soon", "--reason", "x"
    )
    assert soon.refusal == "invalid_input" and [f["field"] for f in soon.data["fields"]] == [
        "length"
    ]
    assert soon.err.count("延期时长（length）：") == 1
