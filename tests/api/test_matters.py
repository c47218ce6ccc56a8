"""The department and center side beyond the story: the work queue as time passes, re-referral
and extensions through the API, the matter in English, and the links notices carry."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.api.conftest import SQLITE_ONLY, Api

pytestmark = SQLITE_ONLY


def numbers(queue: dict[str, list[dict[str, str]]], kind: str) -> list[str]:
    return [item["number"] for item in queue[kind]]


def test_the_work_queue_follows_the_clocks(api: Api) -> None:
    number = api.world.intake()["number"]
    hrss, center = api.token("hrss"), api.token("center")

    queue = api.get("/api/matters", token=hrss).json()
    assert numbers(queue, "waiting") == [number] and numbers(queue, "overdue") == []
    item = queue["waiting"][0]
    assert (item["role"], item["part_status"], item["clock_due"]) == (
        "lead",
        "referred",
        item["ack_due"],
    )
    assert item["category_label"] == "拖欠工资" and item["colour_label"] == "绿"

    late = datetime.fromisoformat(item["ack_due"]) + timedelta(minutes=1)
    overdue = api.get("/api/matters", token=hrss, at=late.isoformat()).json()
    assert numbers(overdue, "overdue") == [number] and numbers(overdue, "waiting") == []
    supervised = api.get("/api/matters", token=center, at=late.isoformat()).json()
    assert sorted((i["number"], i["department"]) for i in supervised["overdue"]) == [
        (number, "hrss"),
        (number, "justice"),
        (number, "public_security"),
    ]

    assert api.post(f"/api/matters/{number}/acknowledge", token=hrss).status_code == 200
    in_hand = api.get("/api/matters", token=hrss).json()
    assert numbers(in_hand, "in_hand") == [number] and numbers(in_hand, "waiting") == []
    due = datetime.fromisoformat(in_hand["in_hand"][0]["due"])
    soon = api.get(
        "/api/matters?within_hours=24", token=hrss, at=(due - timedelta(hours=3)).isoformat()
    )
    assert numbers(soon.json(), "due_soon") == [number]
    english = api.get("/api/matters", token=hrss, lang="en").json()
    assert english["in_hand"][0]["category_label"] == "Wage arrears"


def test_center_refers_by_hand_and_decides_an_extension(api: Api) -> None:
    number = api.world.intake()["number"]
    center, hrss = api.token("center"), api.token("hrss")

    referred = api.post(
        f"/api/matters/{number}/refer", token=center, json={"lead": "hrss", "co": ["civil_affairs"]}
    )
    assert referred.status_code == 200, referred.text
    result = referred.json()
    assert result["stage"]["name"] == "referral" and result["stage"]["finished"]
    parts = {(a["department"], a["status"]) for a in result["matter"]["assignments"]}
    assert ("civil_affairs", "referred") in parts and ("justice", "withdrawn") in parts
    assert [r.path for r in api.world.http.requests].count("/dept/civil_affairs") == 1
    same = api.post(
        f"/api/matters/{number}/refer", token=center, json={"lead": "hrss", "co": ["civil_affairs"]}
    )
    assert (
        same.status_code == 409
        and same.json()["message"] == f"{number}已交由这些单位办理，无需重复分流"
    )

    assert api.post(f"/api/matters/{number}/acknowledge", token=hrss).status_code == 200
    before = api.get(f"/api/matters/{number}", token=hrss).json()["assignments"]
    due_before = next(
        a["due"] for a in before if a["department"] == "hrss" and a["status"] == "acknowledged"
    )
    asked = api.post(
        f"/api/matters/{number}/extension",
        token=hrss,
        json={"length": "5wd", "reason": "需要调取工资台账"},
    )
    assert asked.status_code == 200, asked.text
    waiting = api.get("/api/matters", token=center).json()["extensions"]
    assert [(e["number"], e["department"], e["length"]) for e in waiting] == [
        (number, "hrss", "5wd")
    ]

    decided = api.post(
        f"/api/matters/{number}/extension/decision",
        token=center,
        json={"department": "hrss", "approve": True, "note": "同意延期"},
    )
    assert decided.status_code == 200, decided.text
    after = decided.json()["matter"]["assignments"]
    due_after = next(
        a["due"] for a in after if a["department"] == "hrss" and a["status"] == "acknowledged"
    )
    assert due_after > due_before
    assert api.get("/api/matters", token=center).json()["extensions"] == []
    told = [r.json["title"] for r in api.world.http.requests if r.path == "/dept/hrss"]
    assert any("延期" in title for title in told), told


def test_the_matter_in_english(api: Api) -> None:
    number = api.world.intake()["number"]
    view = api.get(f"/api/matters/{number}", token=api.token("hrss"), lang="en-US,en;q=0.8").json()
    assert (view["status_label"], view["category_label"], view["colour_label"]) == (
        "referred",
        "Wage arrears",
        "green",
    )
    assert view["assignments"][0]["department_name"] == "Human Resources and Social Security Bureau"
    chinese = api.get(
        f"/api/matters/{number}", token=api.token("justice"), lang="en;q=0.2, zh"
    ).json()
    assert chinese["status_label"] == "已分流"


def test_notice_links_lead_to_the_workbench(api: Api) -> None:
    number = api.world.intake()["number"]
    referral = next(r.json for r in api.world.http.requests if r.path == "/dept/hrss")
    assert f"https://whistle.example/link/{number}." in referral["message"]  # signed, its part
    moved = api.get(f"/matters/{number}")
    assert (
        moved.status_code == 303 and moved.headers["location"] == f"/login?next=/matters/{number}"
    )
    queue = api.get("/queue")
    assert queue.status_code == 303 and queue.headers["location"] == "/login?next=/queue"
