"""A whole story through the HTTP API on a real store and a real Prefect API: a hotline submits an
Open311 request, the departments act with their tokens, the citizen answers from the link in
the SMS, and the 311 view follows every step without showing who the citizen is."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api

CITIZEN_DATA = ("张三丰", "13812345678", "东园街道和平社区3号楼")


def actions(doc: dict[str, Any]) -> list[str]:
    return [e["action"] for e in doc["events"] if e["action"] != "notified"]


def open311(api: Api, number: str, at: str | None = None) -> dict[str, Any]:
    answer = api.get(f"/open311/v2/requests/{number}.json", at=at)
    assert answer.status_code == 200, answer.text
    for private in CITIZEN_DATA:
        assert private not in answer.text
    items: list[dict[str, Any]] = answer.json()
    assert len(items) == 1
    return items[0]


def test_open311_intake_to_closed_feedback(api: Api) -> None:
    hotline = api.token(channel="hotline")
    hrss, justice, police = (api.token(d) for d in ("hrss", "justice", "public_security"))
    center = api.token("center")

    submitted = api.submit(hotline)
    assert submitted.status_code == 201, submitted.text
    receipt = submitted.json()
    number = receipt[0]["service_request_id"]
    assert number.startswith("M20261126-")
    assert number in receipt[0]["service_notice"] and "已受理" in receipt[0]["service_notice"]

    request = open311(api, number)
    assert request["status"] == "open"
    assert request["service_code"] == "wage_arrears" and request["service_name"] == "拖欠工资"
    assert request["agency_responsible"] == "人社"
    assert request["status_notes"] == "已交人社办理，等待签收"
    assert (request["address"], request["address_id"]) == ("和平社区", "T01V01")
    assert request["requested_datetime"] == "2026-11-26T09:00:00+08:00"
    assert request["expected_datetime"] is not None
    assert request["expected_datetime"] > request["requested_datetime"]

    full = api.get(f"/api/matters/{number}", token=center).json()
    assert full["channel"] == "hotline" and full["people"] == 3
    assert full["citizen"] == {
        "name": "张三丰",
        "phone": "13812345678",
        "id_number": None,
        "masked": False,
    }
    assert "地址: 东园街道和平社区3号楼" in full["description"]
    assert full["lead_department"] == "hrss"
    assert full["co_departments"] == ["public_security", "justice"]

    for token, minute in ((hrss, "20"), (justice, "30"), (police, "40")):
        done = api.post(
            f"/api/matters/{number}/acknowledge", token=token, at=f"2026-11-26T09:{minute}+08:00"
        )
        assert done.status_code == 200, done.text
        assert done.json()["stage"] == {
            "name": "handling",
            "finished": True,
            "queued": False,
            "message": "已记录，后续流程已完成",
        }
    assert open311(api, number)["status_notes"] == "人社正在办理"

    progress = api.post(
        f"/api/matters/{number}/progress", token=hrss, json={"note": "已约谈施工方"}
    )
    assert progress.status_code == 200, progress.text
    for token, note in ((justice, "已提供法律援助"), (police, "现场秩序正常")):
        reported = api.post(f"/api/matters/{number}/report", token=token, json={"note": note})
        assert reported.status_code == 200, reported.text
    resolved = api.post(
        f"/api/matters/{number}/resolve",
        token=hrss,
        json={"outcome": "mediated", "note": "工资已结清"},
        at="2026-11-27T10:00+08:00",
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["stage"]["name"] == "resolution"
    assert resolved.json()["matter"]["status"] == "resolved"
    request = open311(api, number, at="2026-11-27T10:05+08:00")
    assert request["status"] == "open"
    assert request["status_notes"] == "人社已办结（调解成功），等待反映人评价"

    link = api.feedback_token(number)
    page = api.get(f"/feedback/{link}", at="2026-11-28T08:00+08:00")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert number in page.text and "满意" in page.text and "调解成功" in page.text
    answered = api.post(
        f"/feedback/{link}",
        data={"satisfied": "true", "comment": "谢谢"},
        at="2026-11-28T08:01+08:00",
    )
    assert answered.status_code == 200, answered.text
    assert answered.json() == {
        "number": number,
        "status": "closed",
        "message": f"感谢您的评价，事项{number}已结案",
    }

    request = open311(api, number, at="2026-11-28T08:05+08:00")
    assert request["status"] == "closed"
    assert request["status_notes"] == "已结案（反映人满意）"
    assert request["updated_datetime"] == "2026-11-28T08:01:00+08:00"
    listed = api.get("/open311/v2/requests.json?status=closed", at="2026-11-28T08:05+08:00")
    assert [r["service_request_id"] for r in listed.json()] == [number]
    still_open = api.get("/open311/v2/requests.json?status=open", at="2026-11-28T08:05+08:00")
    assert still_open.json() == []

    doc = api.world.ok("show", number)
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
    closing = [r for r in api.world.http.requests if r.path == "/dept/hrss"][-1].json
    assert number in closing["title"]


def test_unsatisfied_reopens_and_the_next_resolution_sends_a_new_link(api: Api) -> None:
    center, hrss = api.token("center"), api.token("hrss")
    justice, police = api.token("justice"), api.token("public_security")
    number = api.submit(center, extra={"attribute[channel]": "web"}).json()[0]["service_request_id"]
    for token in (hrss, justice, police):
        assert api.post(f"/api/matters/{number}/acknowledge", token=token).status_code == 200
    for token in (justice, police):
        api.post(f"/api/matters/{number}/report", token=token, json={"note": "已配合"})
    resolve = {"outcome": "handled", "note": "已督促支付"}
    assert api.post(f"/api/matters/{number}/resolve", token=hrss, json=resolve).status_code == 200
    first = api.feedback_token(number)

    answered = api.post(f"/feedback/{first}", json={"satisfied": False, "comment": "仍未支付"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "in_progress"
    view = api.get(f"/api/matters/{number}", token=hrss).json()
    assert view["reopen_count"] == 1 and view["status"] == "in_progress"

    again = api.post(f"/api/matters/{number}/resolve", token=hrss, json=resolve)
    assert again.status_code == 200, again.text
    second = api.feedback_token(number)
    assert second != first
    assert api.post(f"/feedback/{first}", json={"satisfied": True}).status_code == 409
    assert api.post(f"/feedback/{second}", json={"satisfied": True}).json()["status"] == "closed"
