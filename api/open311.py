"""Open311 GeoReport v2 under /open311/v2: hotlines (12345), grid apps and web forms start
matters here, and any 311 client can follow them.

Categories are the services (with their group); the intake attributes (people, risk flags,
amount, earlier visits, area, title, ID number, channel) are each service's attributes. A
request is placed in a town or village from `attribute[area]`, `address_id`, or a town or
village named in `address_string`; the configuration has no coordinates, so `lat`/`long` alone
cannot place it. POST registers the matter through the service layer and runs the intake flow,
as `whistle intake` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from api.actions import answered_now, perform
from api.context import Installation, Language, Now
from api.errors import FieldProblem, Open311Error, Problem, invalid
from api.i18n import say
from api.idempotency import KeyedDep
from api.open311_models import (
    AttributeValue,
    Receipt,
    Service,
    ServiceAttribute,
    ServiceDefinition,
    ServiceRequest,
    Submission,
    submission_body,
)
from models.config import DistrictConfig
from models.tables import Assignment, Event, Matter
from whistle import service
from whistle.app import App
from whistle.db import session
from whistle.inputs import IntakeRequest, outcome_label
from whistle.runner import StageRun
from whistle.tokens import Caller, authenticate

ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "model": list[Open311Error],
        "description": "400 bad input, 403 bad api_key, 404 not found, 413 body too large",
    }
}
router = APIRouter(prefix="/open311/v2", tags=["open311"], responses=ERRORS)

WINDOW = timedelta(days=90)
FIRST_YEAR, LAST_YEAR = 1970, 2100
MOST = 1000
GROUPS = {
    "disputes": ("矛盾纠纷", "Disputes"),
    "petitions": ("信访", "Petitions"),
    "services": ("服务", "Services"),
    "general": ("其他", "General"),
}


def _pick(lang: str, pair: tuple[str, str]) -> str:
    return pair[1] if lang == "en" else pair[0]


# --- services ---------------------------------------------------------------------------------


@router.get("/services.json", response_model=list[Service], summary="Service list")
def services(app: Installation, lang: Language) -> list[Service]:
    """Every matter category as a service, with its group (disputes, petitions, services)."""
    return [
        Service(
            service_code=c.code,
            service_name=app.config.category_name(c.code, lang),
            description=app.config.category_name(c.code, lang),
            metadata=True,
            type="realtime",
            keywords=c.code,
            group=_pick(lang, GROUPS.get(c.group, (c.group, c.group))),
        )
        for c in app.config.categories.values()
    ]


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
            (
                "所在镇街或村社区；不填则从 address_string 中识别",
                "town or village; default: found in address_string",
            ),
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


@router.get(
    "/services/{service_code}.json",
    response_model=ServiceDefinition,
    summary="Service definition",
)
def definition(service_code: ServiceCode, app: Installation, lang: Language) -> ServiceDefinition:
    """The intake attributes a request of this service may carry."""
    if service_code not in app.config.categories:
        raise Problem(404, "not_found", say(lang, "unknown_service", code=service_code))
    return ServiceDefinition(service_code=service_code, attributes=_attributes(app.config, lang))


# --- submitting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    caller: Caller
    form: Submission


def _key_holder(app: App, api_key: str, lang: str) -> Caller:
    """The center or intake channel behind an api_key; 403 for none, a bad one or a
    department's (departments act under /api, they do not register matters)."""
    with session(app.engine) as s:
        caller = authenticate(s, api_key)
    if isinstance(caller, str):
        raise Problem(403, "forbidden", say(lang, "api_key"))
    if caller.scope == "department":
        raise Problem(403, "forbidden", say(lang, "api_key_scope"))
    return caller


async def submission(request: Request, app: Installation, lang: Language) -> Submitted:
    """The form, read as the spec sends it (attribute[flags][] repeated for several flags); the
    api_key is checked first, so a caller without a good key learns nothing else."""
    await request.body()  # kept, so the Idempotency-Key fingerprint can read it too
    form = await request.form()
    values: dict[str, Any] = {}
    for key in set(form.keys()):
        items = [v.strip() for v in form.getlist(key) if isinstance(v, str) and v.strip()]
        if key in ("attribute[flags][]", "attribute[flags]"):
            values["attribute[flags][]"] = values.get("attribute[flags][]", []) + items
        elif items:
            values[key] = items[-1]
    caller = await run_in_threadpool(_key_holder, app, str(values.get("api_key", "")), lang)
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


def _area(config: DistrictConfig, form: Submission, lang: str) -> tuple[str, str]:
    """(field, area code) for the request, or a 400 saying how to place it."""
    for field, given in (("attribute[area]", form.area), ("address_id", form.address_id)):
        if given:
            code = config.find_area(given)
            if code is None:
                message = say(lang, "unknown_area", area=given)
                raise Problem(
                    400, "invalid_input", message, [FieldProblem(field=field, message=message)]
                )
            return field, code
    if form.address_string:
        code = place(config, form.address_string)
        if code is not None:
            return "address_string", code
    message = say(lang, "no_location")
    raise Problem(
        400, "invalid_input", message, [FieldProblem(field="address_string", message=message)]
    )


def _name(form: Submission) -> str:
    last, first = form.last_name or "", form.first_name or ""
    if any("\u4e00" <= ch <= "\u9fff" for ch in last + first):
        return f"{last}{first}"
    return " ".join(p for p in (first, last) if p)


def _title(form: Submission) -> str:
    if form.title:
        return form.title
    first_line = form.description.strip().splitlines()[0].strip()
    return first_line if len(first_line) <= 30 else first_line[:30] + "…"


def intake_request(app: App, form: Submission, channel: str, lang: str) -> IntakeRequest:
    """The Open311 form as the intake every interface registers."""
    config = app.config
    if form.service_code not in config.categories:
        message = say(lang, "unknown_service", code=form.service_code)
        raise Problem(
            400, "invalid_input", message, [FieldProblem(field="service_code", message=message)]
        )
    name = _name(form)
    if not name:
        message = say(lang, "name_required")
        raise Problem(
            400, "invalid_input", message, [FieldProblem(field="last_name", message=message)]
        )
    _, area = _area(config, form, lang)
    description = form.description
    if form.address_string:
        description += f"\n{'Address' if lang == 'en' else '地址'}: {form.address_string}"
    if form.lat is not None and form.long is not None:
        description += f"\n{'Position' if lang == 'en' else '坐标'}: {form.lat},{form.long}"
    values = {
        "category": form.service_code,
        "title": _title(form),
        "description": description,
        "area": area,
        "name": name,
        "phone": form.phone or "",
        "id_number": form.id_number,
        "people": form.people or 1,
        "flags": form.flags,
        "amount": form.amount or 0,
        "visits": form.visits or 0,
        "channel": channel,
    }
    try:
        return IntakeRequest.model_validate(values)
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


@router.post(
    "/requests.json",
    status_code=201,
    response_model=list[Receipt],
    summary="Submit a request (starts a matter)",
    openapi_extra=submission_body(),
)
def submit(
    app: Installation, lang: Language, now: Now, submitted: Form, keyed: KeyedDep
) -> Response:
    """Register a matter (受理) from a 311 client; the intake flow grades and refers it at once.
    Answers the new matter's number as `service_request_id`."""
    caller, form = submitted.caller, submitted.form
    channel = caller.holder if caller.scope == "intake" else form.channel or "web"
    intake = intake_request(app, form, channel, lang)

    def answer(number: str, run: StageRun | None) -> tuple[int, list[Receipt]]:
        notice = say(lang, "received_notice", number=number)
        return 201, [Receipt(service_request_id=number, service_notice=notice)]

    def write(s: Session) -> str:
        # the answer is the number alone: it is kept with the matter, in one transaction
        hook = answered_now(s, answer)
        return service.register(
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
        answer=answer,
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
            "已结案（反映人满意）" if matter.feedback == "satisfied" else "已结案（逾期未评价）",
            "closed (citizen satisfied)"
            if matter.feedback == "satisfied"
            else "closed (no feedback in time)",
        ),
    }
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
                Assignment.role == "lead",
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
                status="closed" if m.status == "closed" else "open",
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


@router.get("/requests.json", response_model=list[ServiceRequest], summary="Find requests")
def find_requests(
    app: Installation,
    lang: Language,
    now: Now,
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
) -> list[ServiceRequest]:
    """Requests newest first, at most 1,000; without dates, those received in the last 90 days."""
    query = select(Matter).order_by(col(Matter.created_at).desc(), col(Matter.id).desc())
    if service_request_id:
        numbers = [n.strip().upper() for n in service_request_id.split(",") if n.strip()]
        query = query.where(col(Matter.number).in_(numbers[:MOST]))
    else:
        end = _local(end_date, app, "end_date", lang) if end_date else now
        start = _local(start_date, app, "start_date", lang) if start_date else end - WINDOW
        if end < start:
            raise Problem(400, "invalid_input", say(lang, "window"))
        query = query.where(col(Matter.created_at) >= start, col(Matter.created_at) <= end)
        if service_code:
            codes = [c.strip() for c in service_code.split(",") if c.strip()]
            query = query.where(col(Matter.category).in_(codes))
        if status:
            wanted = {w.strip().lower() for w in status.split(",") if w.strip()}
            if not wanted or wanted - {"open", "closed"}:
                raise Problem(400, "invalid_input", say(lang, "bad_status_filter"))
            if wanted == {"open"}:
                query = query.where(Matter.status != "closed")
            elif wanted == {"closed"}:
                query = query.where(Matter.status == "closed")
    with session(app.engine) as s:
        return as_requests(s, app, list(s.exec(query.limit(MOST)).all()), lang)


RequestId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,30}$", description="the matter number")]


@router.get(
    "/requests/{service_request_id}.json",
    response_model=list[ServiceRequest],
    summary="One request",
)
def one_request(
    service_request_id: RequestId, app: Installation, lang: Language
) -> list[ServiceRequest]:
    """One request, as a list of one (the spec's shape)."""
    with session(app.engine) as s:
        matter = s.exec(
            select(Matter).where(Matter.number == service_request_id.strip().upper())
        ).first()
        if matter is None:
            message = say(lang, "unknown_request", id=service_request_id)
            raise Problem(404, "not_found", message)
        return as_requests(s, app, [matter], lang)
