"""A published Open311 client against the running API: `georeport` 0.3.1 (PyPI), in both of its
output formats, lists the services, reads a definition and reads requests, as a city's
dashboard built on it would. It cannot submit (the package does not support creating requests),
so the requests are submitted over HTTP first."""

from __future__ import annotations

from typing import Any

import pytest
from georeport import GeoReport
from requests import HTTPError

from tests.api.conftest import SQLITE_ONLY, Api

pytestmark = SQLITE_ONLY

FORM = {
    "service_code": "neighbour",
    "description": "楼上深夜噪音",
    "lat": "40.6950",
    "long": "109.8050",
}
# georeport cannot send X-Whistle-As-Of: it reads with explicit dates around the test's day.
AROUND = {"start_date": "2026-11-20T00:00:00+08:00", "end_date": "2026-11-30T00:00:00+08:00"}


def _listed(found: Any) -> list[dict[str, Any]]:
    """xmltodict gives one request as a mapping, several as a list."""
    return found if isinstance(found, list) else [found]


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_georeport_reads_services_a_definition_and_requests(api: Api, output_format: str) -> None:
    hotline = api.token(channel="hotline")
    numbers = []
    for extra in ({}, {"service_code": "family", "description": "家庭矛盾"}):
        answer = api.post("/open311/v2/requests.json", data={"api_key": hotline} | FORM | extra)
        assert answer.status_code == 201, answer.text
        numbers.append(answer.json()[0]["service_request_id"])
    public, private = numbers

    client = GeoReport(
        f"{api.base}/open311/v2", jurisdiction="whistle.example", output_format=output_format
    )
    services = client.get_service_list()
    by_code = {s["service_code"]: s for s in services}
    assert len(by_code) == 15 and by_code["neighbour"]["service_name"] == "邻里纠纷"
    assert str(by_code["neighbour"]["metadata"]).lower() == "true"
    assert by_code["family"]["description"] == "婚姻家庭纠纷（诉求不公开）"

    definition = client.get_service_definition("neighbour")
    assert definition["service_code"] == "neighbour"
    attributes = definition["attributes"]
    if output_format == "xml":
        attributes = attributes["attribute"]
    assert [a["code"] for a in attributes][:3] == ["title", "people", "flags"]

    requests = _listed(client.get_service_requests(**AROUND))
    assert [r["service_request_id"] for r in requests] == [public]  # the family one is private
    [request] = requests
    assert request["service_code"] == "neighbour" and request["address_id"] == "T01V01"
    assert float(request["lat"]) == 40.695 and float(request["long"]) == 109.805

    one = client.get_service_request(public)
    assert one["service_request_id"] == public and one["status"] == "open"
    by_number = _listed(client.get_service_requests(service_request_id=f"{public},{private}"))
    assert [r["service_request_id"] for r in by_number] == [public]

    anyone = GeoReport(f"{api.base}/open311/v2", output_format=output_format)
    with pytest.raises(HTTPError, match="404"):
        anyone.get_service_request(private)
