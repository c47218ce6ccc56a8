"""Open311 as a city's app meets it: every endpoint in XML and in JSON over real HTTP, the XML read
back with a real parser (lxml) and found to carry exactly what the JSON carries, in the
specification's element names and nesting; places from coordinates; anonymous reports from
intake to closing and statistics; private categories kept out of public reads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from lxml import etree
from sqlmodel import col, select

from models.tables import Matter, Notice
from service.app import get_app
from service.store.db import session
from tests.api.conftest import SQLITE_ONLY, Api

FORMATS = ("json", "xml")
BASE = "/open311/v2"
# Each list and the name of its items, as in the specification's examples.
LISTS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)
MEDIA = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
FORM = {
    "service_code": "wage_arrears",
    "description": "某工地拖欠三名工人两个月工资，约三万元。",
    "last_name": "张",
    "first_name": "三丰",
    "phone": "13812345678",
    "address_string": "东园街道和平社区3号楼",
}


def from_xml(element: Any) -> Any:
    """An element as JSON would hold it: a list for the spec's lists, else a mapping, else text
    (an empty element is None)."""
    children = list(element)
    if element.tag in LISTS:
        assert all(c.tag == LISTS[element.tag] for c in children), element.tag
        return [from_xml(c) for c in children]
    if children:
        tags = [c.tag for c in children]
        assert len(tags) == len(set(tags)), tags
        return {c.tag: from_xml(c) for c in children}
    return element.text


def as_text(value: Any) -> Any:
    """JSON as the XML writes it: true/false, numbers as written, empty strings as empty."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value == "":
        return None
    return str(value)


def parsed(answer: httpx.Response, fmt: str) -> Any:
    """The answer's body, checked for its content type; XML becomes what JSON would hold."""
    assert answer.headers["content-type"] == MEDIA[fmt], answer.headers
    if fmt == "json":
        return as_text(answer.json())
    root = etree.fromstring(answer.content, PARSER)
    assert answer.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return {root.tag: from_xml(root)}


def xml_root(answer: httpx.Response) -> Any:
    return etree.fromstring(answer.content, PARSER)


def submit(
    api: Api,
    fmt: str,
    key: str | None,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    **fields: Any,
) -> httpx.Response:
    """POST a form to requests.json or .xml; None leaves a field out, `extra` holds the fields
    whose names are not identifiers (attribute[...])."""
    form = {"api_key": key} | FORM | fields | (extra or {})
    form = {k: v for k, v in form.items() if v is not None}
    return api.post(f"{BASE}/requests.{fmt}", data=form, headers=headers)


def number_of(answer: httpx.Response, fmt: str) -> str:
    assert answer.status_code == 201, answer.text
    if fmt == "json":
        number: str = answer.json()[0]["service_request_id"]
        return number
    found = xml_root(answer).findtext("request/service_request_id")
    assert found
    return str(found)


def the_same(api: Api, path: str, root: str, **kwargs: Any) -> Any:
    """GET path.json and path.xml: both 200, UTF-8, and the same content; returns the JSON."""
    json_answer = api.get(f"{path}.json", **kwargs)
    xml_answer = api.get(f"{path}.xml", **kwargs)
    assert json_answer.status_code == xml_answer.status_code == 200, (json_answer.text, path)
    assert parsed(xml_answer, "xml") == {root: parsed(json_answer, "json")}, path
    return json_answer.json()


def errors_of(answer: httpx.Response, fmt: str) -> list[tuple[int, str]]:
    """The spec's error list, in either format."""
    if fmt == "json":
        assert answer.headers["content-type"] == MEDIA["json"]
        return [(e["code"], e["description"]) for e in answer.json()]
    assert answer.headers["content-type"] == MEDIA["xml"]
    root = xml_root(answer)
    assert root.tag == "errors" and [e.tag for e in root] == ["error"] * len(root)
    assert all([c.tag for c in e] == ["code", "description"] for e in root)
    return [(int(e.findtext("code")), e.findtext("description")) for e in root]


# --- every endpoint, both formats ------------------------------------------------------------


@SQLITE_ONLY
def test_every_endpoint_answers_in_both_formats_with_the_same_content(api: Api) -> None:
    hotline = api.token(channel="hotline")
    numbers = {fmt: number_of(submit(api, fmt, hotline), fmt) for fmt in FORMATS}
    assert numbers["json"] != numbers["xml"]

    services = the_same(api, f"{BASE}/services", "services")
    assert [s["service_code"] for s in services][:2] == ["labour", "wage_arrears"]
    root = xml_root(api.get(f"{BASE}/services.xml"))
    first = root.find("service")
    assert [c.tag for c in first] == [
        "service_code", "service_name", "description", "metadata", "type", "keywords", "group",
    ]  # fmt: skip
    assert (first.findtext("metadata"), first.findtext("type")) == ("true", "realtime")

    definition = the_same(api, f"{BASE}/services/labour", "service_definition")
    assert definition["service_code"] == "labour"
    root = xml_root(api.get(f"{BASE}/services/labour.xml"))
    flags = root.find("attributes/attribute[code='flags']")
    assert flags.findtext("datatype") == "multivaluelist" and flags.findtext("required") == "false"
    assert [v.findtext("key") for v in flags.find("values")][:2] == ["extreme_risk", "violence"]

    listed = the_same(api, f"{BASE}/requests", "service_requests")
    assert {r["service_request_id"] for r in listed} == set(numbers.values())
    for fmt, number in numbers.items():
        [one] = the_same(api, f"{BASE}/requests/{number}", "service_requests")
        assert one["address_id"] == "T01V01" and one["status"] == "open", fmt
    root = xml_root(api.get(f"{BASE}/requests/{numbers['xml']}.xml"))
    assert [c.tag for c in root.find("request")] == [
        "service_request_id", "status", "status_notes", "service_name", "service_code",
        "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
        "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url",
    ]  # fmt: skip

    for where in ("/open311", BASE):
        discovery = the_same(api, f"{where}/discovery", "discovery")
        [endpoint] = discovery["endpoints"]
        assert endpoint == {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "https://whistle.example/open311/v2",
            "changeset": "2026-11-01T00:00:00+08:00",
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
        assert discovery["contact"].startswith("示例区社会治理中心")
    formats = xml_root(api.get("/open311/discovery.xml")).find("endpoints/endpoint/formats")
    assert [f.text for f in formats] == ["text/xml", "application/json"]

    for fmt in FORMATS:  # realtime services issue no tokens
        answer = api.get(f"{BASE}/tokens/abc123.{fmt}", lang="en")
        assert answer.status_code == 404
        [(code, text)] = errors_of(answer, fmt)
        assert code == 404 and text.startswith("no token 'abc123': every service here is realtime")


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", FORMATS)
def test_post_answers_its_format_once_under_a_key(api: Api, fmt: str) -> None:
    hotline = api.token(channel="hotline")
    key = {"Idempotency-Key": f"call-{fmt}-1"}
    first = submit(api, fmt, hotline, headers=key)
    again = submit(api, fmt, hotline, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["idempotency-replayed"] == "true"
    assert again.headers["content-type"] == MEDIA[fmt]
    [receipt] = parsed(first, fmt)["service_requests"] if fmt == "xml" else parsed(first, fmt)
    assert receipt["service_request_id"].startswith("M20261126-")
    assert "已受理" in receipt["service_notice"]
    if fmt == "xml":
        request = xml_root(first).find("request")
        assert [c.tag for c in request] == ["service_request_id", "service_notice", "account_id"]
    with session(get_app().engine) as s:
        assert len(s.exec(select(Matter)).all()) == 1


# (form change, status, field or text the description starts with)
REFUSALS: list[tuple[dict[str, Any], int, str]] = [
    ({"api_key": "wst_not-a-key"}, 403, "api_key 无效或缺失"),
    ({"service_code": "pets"}, 404, "service_code: 没有编码为“pets”的服务"),
    ({"jurisdiction_id": "elsewhere.example"}, 400, "jurisdiction_id: 本平台服务的辖区是"),
    ({"phone": "12345"}, 400, "phone: “12345”不是有效的电话号码"),
    ({"attribute[people]": "0"}, 400, "attribute[people]: 不能小于1"),
]


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", FORMATS)
def test_refusals_in_the_spec_shape_of_each_format(api: Api, fmt: str) -> None:
    center = api.token("center")
    for change, status, text in REFUSALS:
        answer = submit(api, fmt, center, extra=change)
        assert answer.status_code == status, (change, answer.text)
        [(code, description)] = errors_of(answer, fmt)
        assert code == status and description.startswith(text), (change, description)
    missing = api.get(f"{BASE}/requests/M20261126-9999.{fmt}")
    assert errors_of(missing, fmt) == [(404, "没有编号为“M20261126-9999”的诉求")]
    bad_date = api.get(f"{BASE}/requests.{fmt}?start_date=yesterday")
    [(code, description)] = errors_of(bad_date, fmt)
    assert code == 400 and description.startswith("start_date: 应为 ISO-8601 时间")
    nowhere = api.get(f"{BASE}/nothing-here.{fmt}")
    assert errors_of(nowhere, fmt) == [(404, "没有这个地址")]
    too_big = submit(api, fmt, center, description="长" * 100_000)
    assert errors_of(too_big, fmt) == [(413, "请求内容过大（上限262144字节）")]
    # a control character a client sent comes back as U+FFFD, never as broken XML
    strange = submit(api, fmt, center, extra={"attribute[area]": "月\x01球"})
    [(_, description)] = errors_of(strange, fmt)
    assert "没有“月" in description
    with session(get_app().engine) as s:
        assert s.exec(select(Matter)).all() == []


@SQLITE_ONLY
def test_api_key_in_the_query_string_and_the_jurisdiction(api: Api) -> None:
    hotline = api.token(channel="hotline")
    form = FORM | {"jurisdiction_id": "whistle.example"}
    answer = api.post(f"{BASE}/requests.xml?api_key={hotline}", data=form)
    number = number_of(answer, "xml")
    assert api.world.ok("show", number)["channel"] == "hotline"
    listed = api.get(f"{BASE}/requests.json?jurisdiction_id=whistle.example")
    assert [r["service_request_id"] for r in listed.json()] == [number]
    elsewhere = api.post(
        f"{BASE}/requests.json?api_key={hotline}&jurisdiction_id=x.example", data=FORM
    )
    [(code, text)] = errors_of(elsewhere, "json")
    assert code == 400 and text.startswith("jurisdiction_id: 本平台服务的辖区是“whistle.example”")
    wrong = api.get(f"{BASE}/services.xml?jurisdiction_id=elsewhere.example", lang="en")
    assert errors_of(wrong, "xml") == [
        (
            400,
            "jurisdiction_id: this endpoint serves the jurisdiction 'whistle.example', not "
            "'elsewhere.example'",
        )
    ]


@SQLITE_ONLY
def test_the_date_range_is_at_most_90_days(api: Api) -> None:
    hotline = api.token(channel="hotline")
    number = number_of(submit(api, "json", hotline), "json")

    def found(query: str) -> list[str]:
        answer = api.get(f"{BASE}/requests.json?{query}")
        assert answer.status_code == 200, answer.text
        return [r["service_request_id"] for r in answer.json()]

    assert found("start_date=2026-08-20T00:00:00%2B08:00") == []  # 90 days from the start
    assert found("start_date=2026-08-30T00:00:00%2B08:00") == [number]
    assert found("end_date=2027-02-23T00:00:00%2B08:00") == [number]  # 90 days before the end
    assert found("end_date=2027-02-25T00:00:00%2B08:00") == []
    wide = api.get(f"{BASE}/requests.xml?start_date=2026-08-01&end_date=2026-11-30")
    assert errors_of(wide, "xml") == [(400, "end_date: start_date 与 end_date 之间最多90天")]


# --- places from coordinates -----------------------------------------------------------------


@SQLITE_ONLY
@pytest.mark.parametrize("fmt", FORMATS)
def test_coordinates_alone_place_a_request_and_come_back(api: Api, fmt: str) -> None:
    grid = api.token(channel="grid")
    answer = submit(api, fmt, grid, address_string=None, lat="40.5312", long="110.0891")
    number = number_of(answer, fmt)
    doc = api.world.ok("show", number)
    # The placeholder boundaries: the south-east cell of the box is T08's last gacha.
    assert (doc["area"], doc["town"], doc["tier"]) == ("T08V08", "T08", "village")
    assert (doc["lat"], doc["long"]) == (40.5312, 110.0891)
    assert "40.5312" not in doc["description"] and "110.0891" not in doc["description"]
    [request] = the_same(api, f"{BASE}/requests/{number}", "service_requests")
    assert (request["lat"], request["long"], request["address_id"]) == (40.5312, 110.0891, "T08V08")
    assert request["address"] == get_app().config.villages["T08V08"][0].name

    outside = submit(api, fmt, grid, address_string=None, lat="39.9042", long="116.4074")
    assert errors_of(outside, fmt) == [
        (
            400,
            "lat: 坐标（39.9042, 116.4074）不在示例区范围内：请核对 lat/long（纬度在前，经度在后）",
        )
    ]
    # latitude written for longitude too, answered in English
    swapped = submit(
        api,
        fmt,
        grid,
        address_string=None,
        lat="40.5312",
        long="40.5312",
        headers={"Accept-Language": "en"},
    )
    [(code, text)] = errors_of(swapped, fmt)
    assert code == 400 and text.startswith("lat: the point (40.5312, 40.5312) lies outside ")


# --- anonymous reports ------------------------------------------------------------------------


@SQLITE_ONLY
def test_an_anonymous_report_is_handled_closed_without_feedback_and_counted_apart(
    api: Api,
) -> None:
    hotline, center = api.token(channel="hotline"), api.token("center")
    answer = submit(
        api,
        "xml",
        hotline,
        last_name=None,
        first_name=None,
        phone=None,
        description=None,  # 拖欠工资 says enough
        lat="40.6950",
        long="109.8050",
        address_string=None,
    )
    number = number_of(answer, "xml")
    notice = xml_root(answer).findtext("request/service_notice")
    assert notice == f"已受理，事项编号{number}（匿名诉求：未留电话，办结后不回访）"

    seen = api.get(f"/api/matters/{number}", token=center).json()
    assert seen["anonymous"] is True and seen["area"] == "T01V01"
    assert seen["citizen"] == {"name": "", "phone": "", "id_number": None, "masked": False}
    assert seen["title"] == seen["description"] == "拖欠工资"
    with session(get_app().engine) as s:
        matter_id = s.exec(select(Matter.id).where(Matter.number == number)).one()
        referral = s.exec(
            select(Notice).where(Notice.matter_id == matter_id, Notice.kind == "referral")
        ).first()
    assert referral is not None and "反映人：匿名，联系电话：未留" in referral.body

    world = api.world
    for department in ("hrss", "justice", "public_security"):
        world.ok("ack", number, "--department", department)
    for department in ("justice", "public_security"):
        world.ok("report", number, "--department", department, "--note", "已协助")
    world.ok("resolve", number, "--department", "hrss", "--outcome", "handled", "--note", "已付清")
    doc = world.ok("show", number)
    assert (doc["status"], doc["feedback"], doc["feedback_due"]) == ("closed", "anonymous", None)
    closing = [e for e in doc["events"] if e["action"] == "closed"]
    assert [(e["actor"], e["data"]["reason"]) for e in closing] == [("system", "anonymous")]
    with session(get_app().engine) as s:
        kinds = s.exec(select(Notice.kind, Notice.recipient).where(Notice.matter_id == matter_id))
        sent = set(kinds.all())
    assert ("closing", "hrss") in sent and not [r for _, r in sent if r == "citizen"]
    assert not [r for r in world.http.requests if r.path.startswith("/sms")]
    [request] = the_same(api, f"{BASE}/requests/{number}", "service_requests")
    assert request["status"] == "closed"
    assert request["status_notes"] == "已结案（匿名诉求，无需回访）"

    # A named, reachable matter answered satisfied beside it: the rate counts only that one.
    named = number_of(submit(api, "json", hotline), "json")
    for department in ("hrss", "justice", "public_security"):
        world.ok("ack", named, "--department", department)
    for department in ("justice", "public_security"):
        world.ok("report", named, "--department", department, "--note", "已协助")
    world.ok("resolve", named, "--department", "hrss", "--outcome", "handled", "--note", "好")
    world.ok("feedback", named, "--satisfied")
    stats = world.ok(
        "stats", "--from", "2026-11-01", "--to", "2026-11-30", at="2026-11-27T09:00+08:00"
    )
    assert stats["anonymous"] == 1 and stats["feedback_lapsed"] == 0
    satisfaction = stats["rates"]["satisfaction"]
    assert (satisfaction["numerator"], satisfaction["denominator"]) == (1, 1)


@SQLITE_ONLY
def test_a_name_without_a_phone_is_kept_and_still_anonymous(api: Api) -> None:
    center = api.token("center")
    number = number_of(submit(api, "json", center, phone=None), "json")
    seen = api.get(f"/api/matters/{number}", token=center).json()
    assert seen["anonymous"] is True and seen["citizen"]["name"] == "张三丰"
    assert seen["citizen"]["phone"] == ""
    other = submit(api, "json", center, service_code="other", description=None, phone=None)
    assert errors_of(other, "json") == [
        (400, "description: “其他”类诉求须写明情况：请提供 description 或 attribute[title]")
    ]
    titled = submit(
        api,
        "json",
        center,
        service_code="other",
        description=None,
        extra={"attribute[title]": "路灯不亮"},
    )
    assert api.world.ok("show", number_of(titled, "json"))["description"].startswith("路灯不亮")


# --- private categories -----------------------------------------------------------------------


def test_a_private_category_stays_private(api: Api) -> None:
    hotline, grid = api.token(channel="hotline"), api.token(channel="grid")
    center, hrss = api.token("center"), api.token("hrss")
    private = number_of(
        submit(api, "xml", hotline, service_code="counselling", description="长期失眠，想找人聊聊"),
        "xml",
    )
    public = number_of(submit(api, "json", grid), "json")

    def listed(fmt: str, query: str = "", key: str | None = None) -> list[str]:
        sep = "&" if query else ""
        path = f"{BASE}/requests.{fmt}?{query}" + (f"{sep}api_key={key}" if key else "")
        answer = api.get(path)
        assert answer.status_code == 200, answer.text
        if fmt == "json":
            return [r["service_request_id"] for r in answer.json()]
        return [r.findtext("service_request_id") for r in xml_root(answer)]

    for fmt in FORMATS:
        assert listed(fmt) == [public]  # the public, and a department, see only the public one
        assert listed(fmt, key=hrss) == [public]
        assert listed(fmt, "service_code=counselling,family,women_children") == []
        assert listed(fmt, f"service_request_id={private},{public}") == [public]
        assert listed(fmt, key=grid) == [public]  # another channel's key
        assert listed(fmt, key=hotline) == [public, private]  # the channel it came in by
        assert listed(fmt, key=center) == [public, private]
        unknown = api.get(f"{BASE}/requests/M20261126-9999.{fmt}")
        hidden = api.get(f"{BASE}/requests/{private}.{fmt}")
        assert hidden.status_code == unknown.status_code == 404  # exactly like no such number
        assert errors_of(hidden, fmt) == [(404, f"没有编号为“{private}”的诉求")]
        for key in (center, hotline):
            shown = api.get(f"{BASE}/requests/{private}.{fmt}?api_key={key}")
            assert shown.status_code == 200 and private in shown.text
        refused = api.get(f"{BASE}/requests.{fmt}?api_key=wst_nonsense")
        assert errors_of(refused, fmt) == [(403, "api_key 无效或缺失")]
    description = {
        s["service_code"]: s["description"] for s in api.get(f"{BASE}/services.json").json()
    }
    assert description["counselling"] == "心理咨询（诉求不公开）"
    assert description["labour"] == "劳动纠纷"
    with session(get_app().engine) as s:
        assert len(s.exec(select(Matter).where(col(Matter.number).in_([private]))).all()) == 1
