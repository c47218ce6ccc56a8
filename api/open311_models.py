"""The Open311 GeoReport v2 shapes: services, service definitions, requests, the intake form and
the discovery document.

Field names are the spec's. What a citizen told us in person (name, phone, ID number, their
address and the free text) never appears in a response: 311 request lists are public by design.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.inputs import MAX_DESCRIPTION


class Service(BaseModel):
    """One matter category, offered as a service."""

    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="true: GET services/{code}.json lists its attributes")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class AttributeValue(BaseModel):
    key: str
    name: str


class ServiceAttribute(BaseModel):
    """One intake attribute a client may send as attribute[code]."""

    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValue] = []


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[ServiceAttribute]


class Receipt(BaseModel):
    """The answer to a submitted request: its number (the matter number)."""

    service_request_id: str
    service_notice: str
    account_id: str | None = None


class ServiceRequest(BaseModel):
    """A matter as a 311 request: codes, status and times; never personal data or free text."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str = Field(description="the current step in words")
    service_name: str
    service_code: str
    agency_responsible: str = Field(description="the lead department (主办)")
    service_notice: str
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str | None = Field(description="when the lead must resolve it (办结时限)")
    address: str = Field(description="the town or village the matter was placed in")
    address_id: str = Field(description="its area code")
    zipcode: str | None = None
    lat: float | None = None
    long: float | None = None
    media_url: str | None = None


class Submission(BaseModel):
    """POST requests.json, form-encoded; intake attributes come as attribute[code]."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", str_strip_whitespace=True)

    api_key: str = Field(
        min_length=1,
        max_length=200,
        description="a token of the center or "
        "of an intake channel (`whistle token create --channel hotline`); it may come in the "
        "query string instead",
    )
    jurisdiction_id: str | None = Field(
        default=None, max_length=100, description="optional; when given, this endpoint's own"
    )
    service_code: str = Field(min_length=1, max_length=40, description="a category code")
    description: str | None = Field(
        default=None,
        max_length=MAX_DESCRIPTION,
        description="what happened; optional where the title or the service says enough",
    )
    first_name: str | None = Field(default=None, max_length=50, description="optional")
    last_name: str | None = Field(default=None, max_length=50, description="optional")
    phone: str | None = Field(
        default=None,
        max_length=30,
        description="optional; without it the request is anonymous (匿名): nobody is asked for "
        "feedback, and it closes when resolved",
    )
    email: str | None = Field(default=None, max_length=200, description="accepted, not kept")
    device_id: str | None = Field(default=None, max_length=200, description="accepted, not kept")
    account_id: str | None = Field(default=None, max_length=200, description="accepted, not kept")
    media_url: str | None = Field(default=None, max_length=500, description="accepted, not kept")
    lat: float | None = Field(
        default=None, ge=-90, le=90, description="WGS 84; with long, places the request"
    )
    long: float | None = Field(default=None, ge=-180, le=180, description="WGS 84")
    address_string: str | None = Field(default=None, max_length=500)
    address_id: str | None = Field(default=None, max_length=60, description="an area code")
    title: str | None = Field(default=None, alias="attribute[title]", max_length=200)
    people: int | None = Field(default=None, alias="attribute[people]", ge=1, le=1_000_000)
    amount: int | None = Field(default=None, alias="attribute[amount]", ge=0, le=10_000_000_000)
    visits: int | None = Field(default=None, alias="attribute[visits]", ge=0, le=10_000)
    area: str | None = Field(default=None, alias="attribute[area]", max_length=60)
    id_number: str | None = Field(default=None, alias="attribute[id_number]", max_length=30)
    channel: str | None = Field(default=None, alias="attribute[channel]", max_length=20)
    flags: list[str] = Field(default=[], alias="attribute[flags][]", max_length=20)


class Endpoint(BaseModel):
    """One endpoint in the discovery document."""

    specification: str = Field(description="http://wiki.open311.org/GeoReport_v2")
    url: str
    changeset: str | None = Field(description="when the endpoint last changed")
    type: Literal["production", "test"]
    formats: list[str] = Field(description="text/xml and application/json")


class Discovery(BaseModel):
    """Where the endpoint is, what it speaks, and who to ask (discovery.json / .xml)."""

    changeset: str | None
    contact: str
    key_service: str = Field(description="how a city's app gets an api_key")
    endpoints: list[Endpoint]


def without_null(schema: Any) -> Any:
    """A form cannot send null: `anyOf [X, null]` becomes X."""
    if isinstance(schema, dict):
        options = schema.get("anyOf")
        if isinstance(options, list):
            kept = [o for o in options if o != {"type": "null"}]
            if len(kept) == 1:
                merged = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
                return without_null(kept[0] | merged)
        return {k: without_null(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [without_null(v) for v in schema]
    return schema


def submission_body() -> dict[str, Any]:
    """The OpenAPI request body of POST requests.json."""
    schema = without_null(Submission.model_json_schema(by_alias=True))
    return {
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        }
    }
