"""Open311 GeoReport v2 under /open311/v2, in XML and JSON: hotlines (12345), grid apps, web
forms and any city's existing Open311 app start matters here and follow them.

Every endpoint answers in the format of its extension (`services.xml`, `requests.json`), XML
being the specification's required one (api/open311_xml.py). Categories are the services (with
their group); the intake attributes (people, risk flags, amount, earlier visits, area, title, ID
number, channel) are each service's attributes. A request is placed in a town or village from
`attribute[area]`, `address_id`, its `lat`/`long` (config/boundaries.geojson), or a town or
village named in `address_string`. Name and phone are optional: without a phone the matter is
anonymous (匿名). POST registers the matter through the service layer and runs the intake
flow, as `whistle intake` does. Reads leave private categories out (api/open311_access.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, func, select

from api.actions import answered_now, perform
from api.context import Installation, Language, Now
from api.errors import FieldProblem, Open311Error, Problem, invalid
from api.i18n import say
from api.idempotency import KeyedDep
from api.open311_access import Reader, check_jurisdiction, jurisdiction, key_holder, may_see
from api.open311_access import visible as visible_to
from api.open311_messages import say311
from api.open311_models import (
    AttributeValue,
    Discovery,
    Endpoint,
    Receipt,
    Service,
    ServiceAttribute,
    ServiceDefinition,
    ServiceRequest,
    Submission,
    submission_body,
)
from api.open311_xml import Format, XmlResponse, answer, media_type, requested, xml_docs
from api.open311_xml import body as encoded
from engine.follow import FollowUp
from models.config import DistrictConfig
from models.status import Feedback, Role, Status
from models.tables import Assignment, Event, Matter
from service import actions
from service.actions.answers import ANONYMOUS
from service.app import App
from service.inputs import OpenIntake, outcome_label
from service.store.db import session
from service.tokens import Caller

ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "model": list[Open311Error],
        "description": "400 bad input, 403 bad api_key, 404 not found, 413 body too large",
    }
}
router = APIRouter(prefix="/open311/v2", tags=["open311"])
# The discovery document is also found one level up, where some clients look for it.
discovery_router = APIRouter(prefix="/open311", tags=["open311"])

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = ["text/xml", "application/json"]
WINDOW = timedelta(days=90)  # the widest start_date..end_date the specification allows
FIRST_YEAR, LAST_YEAR = 1970, 2100
MOST = 1000
GROUPS = {
    "disputes": ("矛盾纠纷", "Disputes"),
    "petitions": ("信访", "Petitions"),
    "services": ("服务", "Services"),
    "general": ("其他", "General"),
}
Fmt = Annotated[Format, Depends(requested)]
Endpoint311 = Callable[..., Response]


def both(
    path: str,
    *,
    model: Any,
    root: str,
    item: str | None,
    example: str,
    on: APIRouter = router,
    method: str = "GET",
    **route: Any,
) -> Callable[[Endpoint311], Endpoint311]:
    """Serve one endpoint as `path.json` and `path.xml`; each documents its own format."""

    def register(endpoint: Endpoint311) -> Endpoint311:
        on.add_api_route(
            f"{path}.json",
            endpoint,
            methods=[method],
            response_model=model,
            responses=ERRORS,
            **route,
        )
        on.add_api_route(
            f"{path}.xml",
            endpoint,
            methods=[method],
            response_model=None,
            response_class=XmlResponse,
            responses=xml_docs(root, item, example, route.get("status_code", 200)),
            **route,
        )
        return endpoint

    return register


def _pick(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "en" else pair[0]


# --- services ---------------------------------------------------------------------------------


SERVICE_XML = (
    "<service_code>labour</service_code><service_name>劳动纠纷</service_name>"
    "<description>劳动纠纷</description><metadata>true</metadata><type>realtime</type>"
    "<keywords>labour</keywords><group>矛盾纠纷</group>"
)


@both(
    "/services",
    model=list[Service],
    root="services",
    item="service",
    example=SERVICE_XML,
    summary="Service list",
    dependencies=[Depends(jurisdiction)],
)
def services(app: Installation, lang: Language, fmt: Fmt) -> Response:
    """Every matter category as a service, with its group (disputes, petitions, services); a
    private category says that its requests are not public."""
    listed = [
        Service(
            service_code=c.code,
            service_name=app.config.category_name(c.code, lang),
            description=app.config.category_name(c.code, lang)
            + ("" if c.public else say311(lang, "private_service")),
            metadata=True,
            type="realtime",
            keywords=c.code,
            group=_pick(lang, GROUPS.get(c.group, (c.group, c.group))),
        )
        for c in app.config.categories.values()
    ]
    return answer(fmt, "services", "service", listed)


def _attributes(config: DistrictConfig, lang: str) -> list[ServiceAttribute]:
    def names(pairs: list[tuple[str, str, str]]) -> list[AttributeValue]:
        return [
            AttributeValue(key=k, name=en if lang == "en" and en else zh) for k, zh, en in pairs
        ]

    flags = names([(f.code, f.name, f.name_en) for f in config.flags.values()])
    channels = names([(c.code, c.name, c.name_en) for c in config.channels_in.values()])
    areas = names(
        [(t.code, t.name, t.name_en) for t in config.towns.values()]
        + [(v.code, v.name, v.name_en) for v, _ in config.villages.values()]
    )
    rows: list[tuple[str, str, tuple[str, str], tuple[str, str], list[AttributeValue]]] = [
        (
            "title",
            "string",
            ("标题（不填则取描述开头）", "a short title (default: the description's start)"),
            ("事项标题", "Title"),
            [],
        ),
        (
            "people",
            "number",
            ("涉及人数，默认1", "people involved, default 1"),
            ("涉及人数", "People involved"),
            [],
        ),
        (
            "flags",
            "multivaluelist",
            ("风险标识，可多选", "risk flags, any number"),
            ("风险标识", "Risk flags"),
            flags,
        ),
        (
            "amount",
            "number",
            ("涉及金额（元），默认0", "sum involved in yuan, default 0"),
            ("涉及金额", "Amount (yuan)"),
            [],
        ),
        (
            "visits",
            "number",
            ("此前就同一事项来访次数，默认0", "earlier visits on the same matter, default 0"),
            ("此前来访次数", "Earlier visits"),
            [],
        ),
        (
            "area",
            "singlevaluelist",
            (say311("zh", "area_help"), say311("en", "area_help")),
            ("所在区域", "Area"),
            areas,
        ),
        (
            "id_number",
            "string",
            (
                "反映人身份证号（可选，只存于中心）",
                "the person's ID number (optional; kept by the center only)",
            ),
            ("身份证号", "ID number"),
            [],
        ),
        (
            "channel",
            "singlevaluelist",
            (
                "来源渠道（渠道令牌以其自身渠道为准）",
                "how it came in (a channel's own token sets it)",
            ),
            ("来源渠道", "Channel"),
            channels,
        ),
    ]
    return [
        ServiceAttribute(
            variable=True,
            code=code,
            datatype=datatype,
            required=False,
            datatype_description=_pick(lang, help_text),
            order=order,
            description=_pick(lang, title),
            values=values,
        )
        for order, (code, datatype, help_text, title, values) in enumerate(rows, start=1)
    ]


ServiceCode = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_]{1,40}$", description="a category code, e.g. labour")
]


@both(
    "/services/{service_code}",
    model=ServiceDefinition,
    root="service_definition",
    item=None,
    example="<service_code>labour</service_code><attributes><attribute>…</attribute></attributes>",
    summary="Service definition",
    dependencies=[Depends(jurisdiction)],
)
def definition(service_code: ServiceCode, app: Installation, lang: Language, fmt: Fmt) -> Response:
    """The intake attributes a request of this service may carry."""
    if service_code not in app.config.categories:
        raise Problem(404, "not_found", say(lang, "unknown_service", code=service_code))
    shown = ServiceDefinition(service_code=service_code, attributes=_attributes(app.config, lang))
    return answer(fmt, "service_definition", None, shown)


# --- submitting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    caller: Caller
    form: Submission


def _submitter(app: App, api_key: str, lang: str) -> Caller:
    """The center or intake channel behind an api_key; 403 for none, a bad one or a
    department's (departments act under /api, they do not register matters)."""
    caller = key_holder(app, api_key, lang)
    if caller.scope == "department":
        raise Problem(403, "forbidden", say(lang, "api_key_scope"))
    return caller


async def submission(
    request: Request,
    app: Installation,
    lang: Language,
    api_key: Annotated[
        str | None,
        Query(max_length=200, description="the api_key, when not in the form"),
    ] = None,
) -> Submitted:
    """The form, read as the spec sends it (attribute[flags][] repeated for several flags); the
    api_key (from the form, else the query string) is checked first, so a caller without a good
    key learns nothing else; then the jurisdiction, then the service (404 when unknown)."""
    await request.body()  # kept, so the Idempotency-Key fingerprint can read it too
    form = await request.form()
    values: dict[str, Any] = {}
    for key in set(form.keys()):
        items = [v.strip() for v in form.getlist(key) if isinstance(v, str) and v.strip()]
        if key in ("attribute[flags][]", "attribute[flags]"):
            values["attribute[flags][]"] = values.get("attribute[flags][]", []) + items
        elif items:
            values[key] = items[-1]
    if "api_key" not in values and api_key:
        values["api_key"] = api_key
    caller = await run_in_threadpool(_submitter, app, str(values.get("api_key", "")), lang)
    given = values.get("jurisdiction_id") or request.query_params.get("jurisdiction_id")
    check_jurisdiction(app.config, given, lang)
    code = values.get("service_code")
    if isinstance(code, str) and code not in app.config.categories:
        message = say(lang, "unknown_service", code=code[:40])
        raise Problem(
            404, "not_found", message, [FieldProblem(field="service_code", message=message)]
        )
    try:
        return Submitted(caller, Submission.model_validate(values))
    except ValidationError as exc:
        raise invalid(exc.errors(), lang) from None


def place(config: DistrictConfig, text: str) -> str | None:
    """The one village (or else town) an address names, if it names exactly one."""
    lowered = text.lower()

    def named(zh: str, en: str) -> bool:
        return bool(zh and zh in text) or bool(en and en.lower() in lowered)

    towns = [t.code for t in config.towns.values() if named(t.name, t.name_en)]
    villages = [v.code for v, _ in config.villages.values() if named(v.name, v.name_en)]
    if len(villages) > 1 and towns:
        villages = [v for v in villages if config.villages[v][1].code in towns]
    if len(villages) == 1:
        return villages[0]
    if len(towns) == 1:
        return towns[0]
    return None


def _refuse(field: str, message: str) -> Problem:
    return Problem(400, "invalid_input", message, [FieldProblem(field=field, message=message)])


def _area(config: DistrictConfig, form: Submission, lang: str) -> tuple[str, str]:
    """(field, area code) for the request: the area or address_id given, else the point's
    village or town, else a place named in the address; or a 400 saying how to place it."""
    for field, given in (("attribute[area]", form.area), ("address_id", form.address_id)):
        if given:
            code = config.find_area(given)
            if code is None:
                raise _refuse(field, say(lang, "unknown_area", value=given))
            return field, code
    if (form.lat is None) != (form.long is None):
        raise _refuse("lat" if form.lat is None else "long", say311(lang, "pair"))
    if form.lat is not None and form.long is not None and config.places is not None:
        code = config.places.locate(form.lat, form.long)
        if code is None:
            district = config.district.name_en if lang == "en" else config.district.name
            message = say311(lang, "outside", lat=form.lat, long=form.long, district=district)
            raise _refuse("lat", message)
        return "lat", code
    if form.address_string:
        code = place(config, form.address_string)
        if code is not None:
            return "address_string", code
    message = say311(lang, "no_location")
    if form.lat is not None and config.places is None:
        message += say311(lang, "no_boundaries")
    raise _refuse("address_string", message)


def _name(form: Submission) -> str:
    last, first = form.last_name or "", form.first_name or ""
    if any("\u4e00" <= ch <= "\u9fff" for ch in last + first):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


def _description(app: App, form: Submission, lang: str) -> str:
    """What happened: as written, else the title, else the service's name where it says enough
    (not for 其他); stored in the installation's language."""
    config = app.config
    if form.description:
        return form.description
    if form.title:
        return form.title
    category = config.categories[form.service_code]
    if category.needs_description:
        name = config.category_name(category.code, lang)
        raise _refuse("description", say311(lang, "needs_description", service=name))
    return config.category_name(category.code, app.language)


def _title(form: Submission, description: str) -> str:
    if form.title:
        return form.title
    first_line = description.strip().splitlines()[0].strip()
    return first_line if len(first_line) <= 30 else first_line[:30] + "…"


def intake_request(app: App, form: Submission, channel: str, lang: str) -> OpenIntake:
    """The Open311 form as the intake every interface registers; name and phone may be left
    out (anonymous), the coordinates are kept on the matter, not in its text."""
    config = app.config
    _, area = _area(config, form, lang)
    description = _description(app, form, lang)
    title = _title(form, description)
    if form.address_string:
        description += f"\n{'Address' if lang == 'en' else '地址'}: {form.address_string}"
    values = {
        "category": form.service_code,
        "title": title,
        "description": description,
        "area": area,
        "name": _name(form),
        "phone": form.phone or "",
        "id_number": form.id_number,
        "people": form.people or 1,
        "flags": form.flags,
        "amount": form.amount or 0,
        "visits": form.visits or 0,
        "channel": channel,
        "lat": form.lat if form.long is not None else None,
        "long": form.long if form.lat is not None else None,
    }
    try:
        return OpenIntake.model_validate(values)
    except ValidationError as exc:
        aliases = {
            "id_number": "attribute[id_number]",
            "title": "attribute[title]",
            "flags": "attribute[flags][]",
            "name": "last_name",
        }
        errors = [e | {"loc": (aliases.get(str(e["loc"][0]), e["loc"][0]),)} for e in exc.errors()]
        raise invalid(errors, lang) from None


Form = Annotated[Submitted, Depends(submission)]


@both(
    "/requests",
    method="POST",
    model=list[Receipt],
    root="service_requests",
    item="request",
    example="<service_request_id>M20261126-0001</service_request_id>"
    "<service_notice>已受理…</service_notice><account_id/>",
    status_code=201,
    summary="Submit a request (starts a matter)",
    openapi_extra=submission_body(),
)
def submit(
    app: Installation, lang: Language, now: Now, fmt: Fmt, submitted: Form, keyed: KeyedDep
) -> Response:
    """Register a matter (受理) from a 311 client; the intake flow grades and refers it at once.
    Answers the new matter's number as `service_request_id` (every service is realtime)."""
    caller, form = submitted.caller, submitted.form
    channel = caller.holder if caller.scope == "intake" else form.channel or "web"
    intake = intake_request(app, form, channel, lang)

    def receipt(number: str, run: FollowUp | None) -> tuple[int, list[Receipt]]:
        if intake.anonymous:
            notice = say311(lang, "received_anonymous", number=number)
        else:
            notice = say(lang, "received_notice", number=number)
        return 201, [Receipt(service_request_id=number, service_notice=notice)]

    def encode(shaped: BaseModel | Sequence[BaseModel]) -> str:
        return encoded(fmt, "service_requests", "request", shaped)

    def write(s: Session) -> str:
        # the answer is the number alone: it is kept with the matter, in one transaction
        hook = answered_now(s, receipt, encode)
        return actions.register(
            session=s, app=app, intake=intake, now=now, before_commit=hook
        ).number

    return perform(
        app=app,
        lang=lang,
        now=now,
        caller=f"token:{caller.token_id}",
        keyed=keyed,
        write=write,
        stage="intake",
        answer=receipt,
        encode=encode,
        media=media_type(fmt),
    )


# --- following requests -----------------------------------------------------------------------


def status_notes(app: App, matter: Matter, lang: str) -> str:
    """Where the matter stands, in a sentence a citizen understands."""
    lead = app.config.department_name(matter.lead_department or "", lang)
    en = lang == "en"
    notes = {
        "received": ("已受理，正在分流", "received; being referred"),
        "referred": (f"已交{lead}办理，等待签收", f"referred to {lead}; awaiting acknowledgement"),
        "in_progress": (f"{lead}正在办理", f"{lead} is handling it"),
        "returned": ("已退回中心，正在重新分流", "returned to the center; being referred again"),
        "resolved": (
            f"{lead}已办结（{outcome_label(matter.outcome or '', 'zh')}），等待反映人评价",
            f"resolved by {lead} ({outcome_label(matter.outcome or '', 'en')}); awaiting the "
            "citizen's feedback",
        ),
        "closed": (
            "已结案（反映人满意）"
            if matter.feedback == Feedback.satisfied
            else "已结案（逾期未评价）",
            "closed (citizen satisfied)"
            if matter.feedback == Feedback.satisfied
            else "closed (no feedback in time)",
        ),
    }
    if matter.feedback == ANONYMOUS:
        notes["closed"] = (say311("zh", "closed_anonymous"), say311("en", "closed_anonymous"))
    pair = notes.get(matter.status, (matter.status, matter.status))
    return pair[1] if en else pair[0]


def as_requests(s: Session, app: App, matters: list[Matter], lang: str) -> list[ServiceRequest]:
    """The matters as 311 requests, with their last change and the lead's due time."""
    ids = [m.id for m in matters if m.id is not None]
    if not ids:
        return []
    changes = select(Event.matter_id, func.max(Event.at)).where(col(Event.matter_id).in_(ids))
    last: dict[int, datetime] = dict(s.exec(changes.group_by(col(Event.matter_id))).all())
    due: dict[int, datetime | None] = {
        part.matter_id: part.due
        for part in s.exec(
            select(Assignment)
            .where(
                col(Assignment.matter_id).in_(ids),
                Assignment.role == Role.lead,
                col(Assignment.status).in_(["referred", "acknowledged", "resolved"]),
            )
            .order_by(col(Assignment.id))
        ).all()
    }
    zone = app.calendar.zone

    def iso(moment: datetime | None) -> str | None:
        return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None

    out = []
    for m in matters:
        area = app.config.area(m.area)
        place_name = area[3] or area[2]
        out.append(
            ServiceRequest(
                service_request_id=m.number,
                status="closed" if m.status == Status.closed else "open",
                status_notes=status_notes(app, m, lang),
                service_name=app.config.category_name(m.category, lang),
                service_code=m.category,
                agency_responsible=app.config.department_name(m.lead_department or "center", lang),
                service_notice="",
                requested_datetime=iso(m.created_at) or "",
                updated_datetime=iso(last.get(m.id or 0, m.created_at)) or "",
                expected_datetime=iso(due.get(m.id or 0)),
                address=place_name.name_en
                if lang == "en" and place_name.name_en
                else place_name.name,
                address_id=m.area,
                lat=m.lat,
                long=m.long,
            )
        )
    return out


def _local(moment: datetime, app: App, field: str, lang: str) -> datetime:
    """A time without a zone is the district's local time; years far off are refused (they
    are typos, and would overflow the window arithmetic)."""
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        message = say(lang, "year", first=FIRST_YEAR, last=LAST_YEAR)
        raise Problem(400, "invalid_input", message, [FieldProblem(field=field, message=message)])
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=app.calendar.zone)
    return moment.astimezone(UTC)


def _window(
    app: App, now: datetime, start_date: datetime | None, end_date: datetime | None, lang: str
) -> tuple[datetime, datetime]:
    """The received-between window: at most 90 days, the last 90 without dates, 90 days from
    the one date given."""
    start = _local(start_date, app, "start_date", lang) if start_date else None
    end = _local(end_date, app, "end_date", lang) if end_date else None
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        assert end is not None
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise Problem(400, "invalid_input", say(lang, "window"))
    if end - start > WINDOW:
        raise _refuse("end_date", say311(lang, "window_span", days=WINDOW.days))
    return start, end


REQUEST_XML = (
    "<service_request_id>M20261126-0001</service_request_id><status>open</status>"
    "<status_notes>已交人社办理，等待签收</status_notes><service_name>拖欠工资</service_name>"
    "<service_code>wage_arrears</service_code><agency_responsible>人社</agency_responsible>"
    "<service_notice/><requested_datetime>2026-11-26T09:00:00+08:00</requested_datetime>"
    "<updated_datetime>…</updated_datetime><expected_datetime>…</expected_datetime>"
    "<address>和平社区</address><address_id>T01V01</address_id><zipcode/>"
    "<lat>40.69</lat><long>109.81</long><media_url/>"
)


@both(
    "/requests",
    model=list[ServiceRequest],
    root="service_requests",
    item="request",
    example=REQUEST_XML,
    summary="Find requests",
    dependencies=[Depends(jurisdiction)],
)
def find_requests(
    app: Installation,
    lang: Language,
    now: Now,
    fmt: Fmt,
    reader: Reader,
    service_request_id: Annotated[
        str | None,
        Query(
            max_length=2000,
            pattern=r"^[A-Za-z0-9, -]*$",
            description="numbers, comma-separated; other filters are ignored",
        ),
    ] = None,
    service_code: Annotated[
        str | None,
        Query(
            max_length=500,
            pattern=r"^[A-Za-z0-9_, ]*$",
            description="category codes, comma-separated",
        ),
    ] = None,
    start_date: Annotated[datetime | None, Query(description="received at or after")] = None,
    end_date: Annotated[datetime | None, Query(description="received at or before")] = None,
    status: Annotated[
        str | None,
        Query(max_length=20, pattern=r"^[A-Za-z, ]*$", description="open, closed, or open,closed"),
    ] = None,
) -> Response:
    """Requests newest first, at most 1,000, received within at most 90 days (without dates,
    the last 90); private categories only with a key that may see them."""
    query = select(Matter).order_by(col(Matter.created_at).desc(), col(Matter.id).desc())
    if service_request_id:
        numbers = [n.strip().upper() for n in service_request_id.split(",") if n.strip()]
        query = query.where(col(Matter.number).in_(numbers[:MOST]))
    else:
        start, end = _window(app, now, start_date, end_date, lang)
        query = query.where(col(Matter.created_at) >= start, col(Matter.created_at) <= end)
        if service_code:
            codes = [c.strip() for c in service_code.split(",") if c.strip()]
            query = query.where(col(Matter.category).in_(codes))
        if status:
            wanted = {w.strip().lower() for w in status.split(",") if w.strip()}
            if not wanted or wanted - {"open", "closed"}:
                raise Problem(400, "invalid_input", say(lang, "bad_status_filter"))
            if wanted == {"open"}:
                query = query.where(Matter.status != Status.closed)
            elif wanted == {"closed"}:
                query = query.where(Matter.status == Status.closed)
    query = visible_to(query, app.config, reader)
    with session(app.engine) as s:
        found = as_requests(s, app, list(s.exec(query.limit(MOST)).all()), lang)
    return answer(fmt, "service_requests", "request", found)


RequestId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,30}$", description="the matter number")]


@both(
    "/requests/{service_request_id}",
    model=list[ServiceRequest],
    root="service_requests",
    item="request",
    example=REQUEST_XML,
    summary="One request",
    dependencies=[Depends(jurisdiction)],
)
def one_request(
    service_request_id: RequestId, app: Installation, lang: Language, fmt: Fmt, reader: Reader
) -> Response:
    """One request, as a list of one (the spec's shape); a private one, without a key that may
    see it, answers 404 exactly like a number that does not exist."""
    with session(app.engine) as s:
        matter = s.exec(
            select(Matter).where(Matter.number == service_request_id.strip().upper())
        ).first()
        if matter is None or not may_see(app.config, reader, matter):
            message = say(lang, "unknown_request", id=service_request_id)
            raise Problem(404, "not_found", message)
        found = as_requests(s, app, [matter], lang)
    return answer(fmt, "service_requests", "request", found)


TokenId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,100}$", description="a token")]


@both(
    "/tokens/{token_id}",
    model=None,
    root="service_requests",
    item="request",
    example="<service_request_id/><token/>",
    summary="Request id from a token",
)
def token(token_id: TokenId, lang: Language) -> Response:
    """Every service is realtime: a submission answers its service_request_id at once and no
    tokens are issued, so every token is unknown (404)."""
    raise Problem(404, "not_found", say311(lang, "no_token", id=token_id))


# --- discovery --------------------------------------------------------------------------------


def _discovery(app: Installation, fmt: Fmt) -> Response:
    """Where this endpoint is, what it speaks (XML and JSON), and who to ask; from
    config/open311.yaml."""
    config = app.config.open311
    url = config.url or f"{app.settings.link_base.rstrip('/')}/open311/v2"
    changeset = config.changeset.isoformat() if config.changeset else None
    shown = Discovery(
        changeset=changeset,
        contact=config.contact,
        key_service=config.key_service,
        endpoints=[
            Endpoint(
                specification=SPECIFICATION,
                url=url,
                changeset=changeset,
                type=config.type,
                formats=FORMATS,
            )
        ],
    )
    return answer(fmt, "discovery", None, shown)


DISCOVERY_XML = (
    "<changeset>2026-11-01T00:00:00+08:00</changeset><contact>…</contact><key_service>…"
    "</key_service><endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2"
    "</specification><url>https://whistle.example/open311/v2</url><changeset>…</changeset>"
    "<type>production</type><formats><format>text/xml</format><format>application/json"
    "</format></formats></endpoint></endpoints>"
)
for _router in (router, discovery_router):
    both(
        "/discovery",
        model=Discovery,
        root="discovery",
        item=None,
        example=DISCOVERY_XML,
        on=_router,
        summary="Discovery",
    )(_discovery)
