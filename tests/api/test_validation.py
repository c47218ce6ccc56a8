"""Each validation error, table by table: the field is named, the message says what is wrong in
Chinese (English with `Accept-Language: en`), the status is right for the protocol, and nothing
is written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import func, select

from models.tables import Matter
from service.app import get_app
from service.store.db import session
from tests.api.conftest import SQLITE_ONLY, Api

pytestmark = SQLITE_ONLY


def matters() -> int:
    with session(get_app().engine) as s:
        count: int = s.exec(select(func.count()).select_from(Matter)).one()
        return count


# (path after /api/matters/{number}, body, field, Chinese message, English message)
API_CASES: list[tuple[str, Any, str, str, str]] = [
    ("progress", {"note": "   "}, "note", "不能为空", "must not be empty"),
    ("progress", {"note": "a\x01b"}, "note", "含有控制字符", "contains control characters"),
    ("progress", {}, "note", "必填", "is required"),
    ("progress", {"note": "长" * 20_001}, "note", "最多20000个字符", "at most 20000 characters"),
    ("progress", {"note": "好", "by": "me"}, "by", "不认识这个字段", "is not a known field"),
    ("progress", ["note"], "body", "应为 JSON 对象", "must be a JSON object"),
    ("return", {"reason": ""}, "reason", "不能为空", "must not be empty"),
    (
        "resolve",
        {"outcome": "great", "note": "好"},
        "outcome",
        "应为以下之一：mediated, handled, explained, litigation, unresolvable",
        "must be one of: mediated",
    ),
    (
        "extension",
        {"length": "5 weeks", "reason": "材料多"},
        "length",
        "“5 weeks”不是时长：时长应为正整数加单位",
        "'5 weeks' is not a duration: write a whole number and a unit",
    ),
    ("extension", {"length": "5wd"}, "reason", "必填", "is required"),
    (
        "extension/decision",
        {"department": "hrss", "approve": "maybe", "note": "好"},
        "approve",
        "应为 true 或 false",
        "must be true or false",
    ),
    ("refer", {"lead": "no such"}, "lead", "代码只能由", "a code holds only"),
    ("refer", {"lead": "nowhere"}, "lead", "没有代码为“nowhere”的单位", "no such department"),
    ("refer", {"lead": "hrss", "co": ["zz"]}, "co.0", "没有代码为“zz”的单位", "no such department"),
]


def test_api_input_errors_name_the_field(api: Api) -> None:
    number = api.world.intake()["number"]
    tokens = {"center": api.token("center"), "hrss": api.token("hrss")}
    before = api.counts(number)
    for action, body, field, zh, en in API_CASES:  # one server for the whole table
        token = tokens["center" if action in ("refer", "extension/decision") else "hrss"]
        for lang, expected in (("zh", zh), ("en", en)):
            answer = api.post(f"/api/matters/{number}/{action}", token=token, json=body, lang=lang)
            case = f"{action} {body!r:.60} ({lang})"
            assert answer.status_code == 422, (case, answer.text)
            error = answer.json()
            assert error["code"] == "invalid_input", case
            assert [f["field"] for f in error["fields"]] == [field], (case, error)
            assert expected in error["fields"][0]["message"], (case, error)
            assert field in error["message"] and expected in error["message"], (case, error)
    assert api.counts(number) == before


def test_unreadable_json_and_a_bad_number_are_422(api: Api) -> None:
    hrss = api.token("hrss")
    number = api.world.intake()["number"]
    broken = api.post(
        f"/api/matters/{number}/progress",
        token=hrss,
        content=b'{"note": ',
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    assert broken.json()["fields"] == [{"field": "body", "message": "不是有效的 JSON"}]
    bad = api.get("/api/matters/M2026%20DROP", token=hrss)
    assert bad.status_code == 422
    assert bad.json()["fields"] == [{"field": "number", "message": "编号格式应如 M20261126-0001"}]


@pytest.mark.parametrize(
    ("query", "field", "zh"),
    [("within_hours=0", "within_hours", "不能小于1"), ("limit=lots", "limit", "应为整数")],
)
def test_queue_parameters_are_checked(api: Api, query: str, field: str, zh: str) -> None:
    answer = api.get(f"/api/matters?{query}", token=api.token("hrss"))
    assert answer.status_code == 422
    assert answer.json()["fields"] == [{"field": field, "message": zh}]


def test_a_body_over_the_limit_is_413(api: Api) -> None:
    number = api.world.intake()["number"]
    hrss = api.token("hrss")
    huge = api.post(f"/api/matters/{number}/progress", token=hrss, json={"note": "x" * 300_000})
    assert huge.status_code == 413
    assert huge.json() == {
        "code": "too_large",
        "message": "请求内容过大（上限262144字节）",
        "fields": [],
    }

    def chunks() -> Any:  # no Content-Length: the limit is counted as the body arrives
        for _ in range(300):
            yield b"x" * 1024

    streamed = api.post(
        f"/api/matters/{number}/progress",
        token=hrss,
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert streamed.status_code == 413
    open311 = api.submit(api.token("center"), description="长" * 100_000)
    assert open311.status_code == 413
    assert open311.json() == [{"code": 413, "description": "请求内容过大（上限262144字节）"}]


# Refusals that depend on the matter's state: 409, worded for a clerk in both languages.
def test_state_refusals_are_409_in_words(api: Api) -> None:
    number = api.world.intake()["number"]
    hrss, justice = api.token("hrss"), api.token("justice")
    assert api.post(f"/api/matters/{number}/acknowledge", token=hrss).status_code == 200
    twice = api.post(f"/api/matters/{number}/acknowledge", token=hrss)
    assert twice.status_code == 409 and twice.json()["code"] == "conflict"
    assert twice.json()["message"] == f"{number}（人社）：当前状态为“已签收”，不能签收"
    assert twice.json()["refusal"] == "part_wrong_status"
    assert twice.json()["params"] == {
        "number": number,
        "department": "hrss",
        "status": "acknowledged",
        "action": "acknowledge",
        "kind": "assignment",
    }
    english = api.post(f"/api/matters/{number}/acknowledge", token=hrss, lang="en")
    assert english.json()["message"] == (
        f"{number} (Human Resources and Social Security Bureau): cannot acknowledge while "
        "acknowledged"
    )
    early = api.post(
        f"/api/matters/{number}/resolve", token=hrss, json={"outcome": "handled", "note": "好"}
    )
    assert early.status_code == 409
    assert early.json()["message"] == f"{number}：协办单位公安、司法尚未报送"
    report = api.post(f"/api/matters/{number}/report", token=justice, json={"note": "已核实"})
    assert report.status_code == 409
    assert report.json()["message"] == f"{number}（司法）：当前状态为“待签收”，不能报送（请先签收）"
    assert report.json()["refusal"] == "acknowledge_first"
    lead_report = api.post(f"/api/matters/{number}/report", token=hrss, json={"note": "好"})
    assert lead_report.json()["message"].startswith(f"{number}：人社是主办单位")


# --- Open311 ----------------------------------------------------------------------------------

# (form fields to change, field named, Chinese message start)
OPEN311_CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"service_code": None}, "service_code", "必填"),
    # 其他 says nothing by its name: it needs a description or a title
    ({"service_code": "other", "description": None}, "description", "“其他”类诉求须写明情况"),
    ({"service_code": "other", "description": "   "}, "description", "“其他”类诉求须写明"),
    ({"phone": "12345"}, "phone", "“12345”不是有效的电话号码"),
    ({"attribute[id_number]": "110105194912310021"}, "attribute[id_number]", "不是有效的18位"),
    ({"attribute[people]": "0"}, "attribute[people]", "不能小于1"),
    ({"attribute[people]": "many"}, "attribute[people]", "应为整数"),
    ({"attribute[amount]": "-5"}, "attribute[amount]", "不能小于0"),
    ({"attribute[visits]": "99999"}, "attribute[visits]", "不能大于10000"),
    ({"attribute[area]": "月球"}, "attribute[area]", "没有“月球”这一区域"),
    ({"address_string": "某某路8号"}, "address_string", "无法确定所在区域"),
    (
        {"address_string": None, "lat": "41.6", "long": "109.8"},
        "lat",
        "坐标（41.6, 109.8）不在示例区范围内",
    ),
    ({"address_string": None, "lat": "40.6"}, "long", "lat 和 long 须同时提供"),
    ({"lat": "100"}, "lat", "不能大于90"),
    ({"attribute[flags][]": ["violence", "dragons"]}, "flag", "不认识的风险标识dragons"),
]


def test_open311_input_errors_are_400_naming_the_field(api: Api) -> None:
    center = api.token("center")
    for change, field, zh in OPEN311_CASES:
        answer = api.submit(center, extra=change)
        assert answer.status_code == 400, (change, answer.text)
        [error] = answer.json()
        assert error["code"] == 400
        assert error["description"].startswith(f"{field}: "), (change, error)
        assert zh in error["description"], (change, error)
    assert matters() == 0


def test_open311_errors_in_english(api: Api) -> None:
    center = api.token("center")
    answer = api.submit(center, phone="12345", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert answer.json() == [
        {
            "code": 400,
            "description": "phone: '12345' is not a mainland phone number (a mobile "
            "1xxxxxxxxxx of 11 digits, or a landline such as 0472-1234567)",
        }
    ]


@pytest.mark.parametrize(
    ("fields", "area"),
    [
        ({"address_string": "Dongyuan Subdistrict, Heping Community 3-2"}, "T01V01"),
        ({"address_string": "西苑街道文化路12号"}, "T02"),
        ({"address_string": None, "address_id": "T03V02"}, "T03V02"),
        ({"address_string": None, "lat": "40.6", "long": "109.8", "attribute[area]": "T05"}, "T05"),
        ({"address_string": None, "lat": "40.69", "long": "109.81"}, "T01V01"),
        ({"address_string": "西苑街道", "lat": "40.51", "long": "110.09"}, "T08V08"),
    ],
)
def test_open311_places_a_request_in_an_area(api: Api, fields: dict[str, Any], area: str) -> None:
    answer = api.submit(api.token(channel="grid"), extra=fields)
    assert answer.status_code == 201, answer.text
    number = answer.json()[0]["service_request_id"]
    doc = api.world.ok("show", number)
    assert doc["area"] == area and doc["channel"] == "grid"
    if "lat" in fields:  # kept on the matter, not in its text
        assert (doc["lat"], doc["long"]) == (float(fields["lat"]), float(fields["long"]))
        assert fields["lat"] not in doc["description"]


LOOKUP_CASES: list[tuple[str, int, str]] = [
    ("/open311/v2/requests.json?status=pending", 400, "status 只能是 open 或 closed"),
    ("/open311/v2/requests.json?start_date=yesterday", 400, "start_date: 应为 ISO-8601 时间"),
    (
        "/open311/v2/requests.json?start_date=2026-11-20&end_date=2026-11-01",
        400,
        "end_date 不能早于 start_date",
    ),
    ("/open311/v2/services/pets.json", 404, "没有编码为“pets”的服务"),
    (
        "/open311/v2/requests.json?start_date=2026-01-01&end_date=2026-11-01",
        400,
        "end_date: start_date 与 end_date 之间最多90天",
    ),
    ("/open311/v2/requests/M20261126-9999.json", 404, "没有编号为“M20261126-9999”的诉求"),
    ("/open311/v2/requests/M2026;DROP.json", 400, "service_request_id: 编号格式应如"),
]


def test_open311_lookups_refuse_in_the_spec_shape(api: Api) -> None:
    for path, status, zh in LOOKUP_CASES:
        answer = api.get(path)
        assert answer.status_code == status, (path, answer.text)
        [error] = answer.json()
        assert error["code"] == status and error["description"].startswith(zh), (path, error)


def test_feedback_answer_is_checked(api: Api) -> None:
    for body, field, zh in [
        ({"satisfied": "perhaps"}, "satisfied", "应为 true 或 false"),
        ({}, "satisfied", "必填"),
        ({"satisfied": True, "comment": "\x07"}, "comment", "含有控制字符"),
    ]:
        answer = api.post("/feedback/M20261126-0001.0.1.abc", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["fields"] == [{"field": field, "message": zh}]


# --- bodies that are not UTF-8 ------------------------------------------------------------------


def test_an_open311_form_field_that_is_not_utf8_is_400_naming_it(api: Api) -> None:
    """`description=ok%FF%FE` was stored as `okÿþ`: now it is refused, naming the field, and
    nothing is registered; raw bytes and multipart forms alike."""
    hotline = api.token(channel="hotline")
    form = (
        f"api_key={hotline}&service_code=wage_arrears&description=ok%FF%FE&last_name=%E5%BC%A0"
        "&phone=13812345678&address_string=T01V01"
    )
    encoded = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in (form.encode(), form.replace("%FF%FE", "").encode() + b"&attribute[title]=\xff"):
        answer = api.post("/open311/v2/requests.json", content=body, headers=encoded)
        assert answer.status_code == 400, answer.text
        field = "description" if b"%FF" in body else "attribute[title]"
        assert answer.json() == [{"code": 400, "description": f"{field}: 不是有效的 UTF-8 文本"}]
    english = api.post(
        "/open311/v2/requests.json", content=form.encode(), headers=encoded, lang="en"
    )
    assert english.json()[0]["description"].startswith("description: is not valid UTF-8 text")
    multipart = api.post(
        "/open311/v2/requests.json",
        data={"api_key": hotline, "service_code": "wage_arrears", "last_name": "张"},
        files={"description": (None, b"ok\xff\xfe", "text/plain")},
    )
    assert multipart.status_code == 400 and "description" in multipart.text
    assert matters() == 0
    good = api.submit(hotline, description="一切正常：好")  # UTF-8 still goes through
    assert good.status_code == 201, good.text


def test_a_json_string_that_is_not_utf8_is_400_naming_it(api: Api) -> None:
    hrss = api.token("hrss")
    number = api.world.intake()["number"]
    api.post(f"/api/matters/{number}/acknowledge", token=hrss)
    before = api.counts(number)
    for path, body, field in [
        ("progress", b'{"note": "ok\xff\xfe"}', "note"),
        ("resolve", b'{"outcome": "mediated", "note": "\xe5\xb7"}', "note"),
    ]:
        answer = api.post(
            f"/api/matters/{number}/{path}",
            token=hrss,
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 400, answer.text
        shown = answer.json()
        assert shown["code"] == "invalid_encoding"
        assert shown["message"].endswith("：不是有效的 UTF-8 文本，请以 UTF-8 编码提交")  # 说明：…
        assert shown["fields"] == [{"field": field, "message": "不是有效的 UTF-8 文本"}]
    center = api.token("center")
    referred = api.post(
        f"/api/matters/{number}/refer",
        token=center,
        content=b'{"lead": "hrss", "co": ["justice", "x\xc0"]}',
        headers={"Content-Type": "application/json"},
    )
    assert referred.status_code == 400 and referred.json()["fields"][0]["field"] == "co[1]"
    feedback = api.post(
        "/feedback/M20261126-0001.0.1.abc",
        content=b"satisfied=false&comment=%C3%28",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert feedback.status_code == 400 and feedback.json()["fields"][0]["field"] == "comment"
    assert api.counts(number) == before


def test_a_lone_surrogate_escaped_in_json_is_refused_in_the_api_shape(api: Api) -> None:
    """`"\\ud800"` is valid JSON but no text: refused as any bad field is, never a 5xx."""
    hrss = api.token("hrss")
    number = api.world.intake()["number"]
    api.post(f"/api/matters/{number}/acknowledge", token=hrss)
    before = api.counts(number)
    for path, body in [
        ("progress", b'{"note": "ok \\ud800"}'),
        ("return", b'{"reason": "\\udcff"}'),
    ]:
        answer = api.post(
            f"/api/matters/{number}/{path}",
            token=hrss,
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert 400 <= answer.status_code < 500, answer.text
        assert answer.json()["fields"], answer.text
    assert api.counts(number) == before
