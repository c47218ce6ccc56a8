"""The schema of each file in the district configuration folder: one model per file.

Every model forbids unknown keys, so a misspelt key is an error, not a silent default.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models.durations import Duration
from models.refusals import Code, Invalid

Colour = Literal["red", "orange", "yellow", "green"]
Tier = Literal["village", "town", "district"]
COLOURS: tuple[Colour, ...] = ("green", "yellow", "orange", "red")
TIERS: tuple[Tier, ...] = ("village", "town", "district")

CODE = r"^[A-Za-z][A-Za-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- district.yaml ---------------------------------------------------------------------------


class Village(_Strict):
    code: Annotated[str, Field(pattern=CODE)]
    name: str
    name_en: str = ""
    kind: Literal["village", "community", "gacha"] = "village"


class Town(_Strict):
    code: Annotated[str, Field(pattern=CODE)]
    name: str
    name_en: str = ""
    kind: Literal["town", "subdistrict", "sumu"] = "town"
    villages: list[Village] = Field(min_length=1)


class DistrictFile(_Strict):
    sample: bool = False
    code: Annotated[str, Field(pattern=CODE)]
    name: str
    name_en: str = ""
    timezone: str = "Asia/Shanghai"
    towns: list[Town] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(Code.unknown_time_zone, value=value) from None
        return value


# --- departments.yaml ------------------------------------------------------------------------


class Department(_Strict):
    code: Annotated[str, Field(pattern=CODE)]
    name: str
    name_en: str = ""
    group: Literal["standing", "plus_n", "center", "unit"] = "plus_n"


class UnitTemplate(_Strict):
    """A lower-tier unit every town (or village) has, e.g. its judicial office."""

    suffix: Annotated[str, Field(pattern=CODE)]
    name: str = Field(description="Chinese name; {area} is replaced by the town or village name")
    name_en: str = ""


class DepartmentsFile(_Strict):
    departments: list[Department] = Field(min_length=1)
    town_units: list[UnitTemplate] = []
    village_units: list[UnitTemplate] = []


# --- categories.yaml -------------------------------------------------------------------------


class Category(_Strict):
    code: Annotated[str, Field(pattern=CODE)]
    name: str
    name_en: str = ""
    group: str = Field(default="general", description="Open311 service group")
    public: bool = Field(
        default=True,
        description="false: Open311 reads without a key that may see them leave its requests "
        "out (family, counselling…: which village has such a matter is itself sensitive)",
    )
    needs_description: bool = Field(
        default=False,
        description="true: the name alone does not say what happened (其他), so an Open311 "
        "request needs a description or a title",
    )


class Flag(_Strict):
    code: Annotated[str, Field(pattern=CODE)]
    name: str
    name_en: str = ""


class CategoriesFile(_Strict):
    categories: list[Category] = Field(min_length=1)
    flags: list[Flag] = []
    channels: list[Flag] = Field(default=[], description="How a matter arrived (walk_in, hotline…)")


# --- grading.yaml ----------------------------------------------------------------------------


class GradeRule(_Strict):
    """A colour applies when any one of its conditions holds (checked from red down)."""

    people_at_least: int | None = Field(default=None, ge=1)
    visits_at_least: int | None = Field(default=None, ge=1)
    amount_at_least: int | None = Field(default=None, ge=1, description="yuan")
    flags_any: list[str] = []
    categories_any: list[str] = []


class GradingFile(_Strict):
    red: GradeRule
    orange: GradeRule
    yellow: GradeRule
    start_tier: dict[Colour, Tier]

    @field_validator("start_tier")
    @classmethod
    def _every_colour(cls, value: dict[Colour, Tier]) -> dict[Colour, Tier]:
        missing = [c for c in COLOURS if c not in value]
        if missing:
            raise Invalid(Code.no_start_tier, colours=missing)
        return value


# --- routing.yaml ----------------------------------------------------------------------------

DeptRef = Annotated[str, Field(pattern=r"^(@(town|village)\.)?[A-Za-z][A-Za-z0-9_]*$")]


class RoutingRule(_Strict):
    """Category × tier → lead and co-handlers; '@town.x' / '@village.x' name the area's own unit."""

    category: str = "*"
    tier: Tier | Literal["*"] = "*"
    lead: DeptRef
    co: list[DeptRef] = []


class RoutingFile(_Strict):
    rules: list[RoutingRule] = Field(min_length=1)


# --- deadlines.yaml --------------------------------------------------------------------------


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    return Duration.parse(str(value))


class Clocks(_Strict):
    """The windows of one colour (or a category override): acknowledge, resolve, co-report."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    acknowledge: Duration | None = None
    resolve: Duration | None = None
    report: Duration | None = None
    max_extensions: int | None = Field(default=None, ge=0, description="approved at most")
    max_extension: Duration | None = Field(default=None, description="longest one extension")

    @field_validator("acknowledge", "resolve", "report", "max_extension", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Duration | None:
        return None if value is None else _duration(value)


class DeadlinesFile(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    colours: dict[Colour, Clocks]
    categories: dict[str, Clocks] = {}
    feedback: Duration = Duration(7, "days")
    first_response: dict[Colour, Duration] = Field(
        default={"red": Duration(2, "hours")},
        description="colours whose lead must report a first response (progress) in time",
    )
    ladder: dict[Literal["reminder", "urging", "supervision", "circular"], float] = Field(
        default={"reminder": 0.75, "urging": 1.0, "supervision": 1.5, "circular": 2.0},
        description="each escalation step's moment as a fraction of the window, from its start",
    )

    @field_validator("ladder")
    @classmethod
    def _ordered(cls, value: dict[str, float]) -> dict[str, float]:
        order = ["reminder", "urging", "supervision", "circular"]
        moments = [value[k] for k in order if k in value]
        if any(m <= 0 for m in moments) or moments != sorted(moments):
            raise Invalid(Code.ladder_order)
        return value

    @field_validator("feedback", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Duration:
        return _duration(value)

    @field_validator("first_response", mode="before")
    @classmethod
    def _parse_each(cls, value: Any) -> dict[str, Duration]:
        if not isinstance(value, dict):
            raise Invalid(Code.colour_durations)
        return {k: _duration(v) for k, v in value.items()}

    @field_validator("colours")
    @classmethod
    def _complete(cls, value: dict[Colour, Clocks]) -> dict[Colour, Clocks]:
        for colour in COLOURS:
            clocks = value.get(colour)
            if clocks is None or clocks.acknowledge is None or clocks.resolve is None:
                raise Invalid(Code.colour_windows, colour=colour)
        return value


# --- channels.yaml ---------------------------------------------------------------------------


class Channel(_Strict):
    """One Apprise URL and the recipients it serves: codes or shell-style patterns, where a
    recipient is a department code, optionally with a role: 'hrss/head', 'center/leadership'."""

    url: str = Field(min_length=3)
    to: list[str] = Field(min_length=1)
    language: Literal["zh", "en"] = "zh"


class DeliveryRules(_Strict):
    """How hard to try: retry delays, then a steady interval, until giving up; timeouts."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    retry: list[Duration] = [
        Duration(1, "minutes"),
        Duration(5, "minutes"),
        Duration(30, "minutes"),
    ]
    then_every: Duration = Duration(2, "hours")
    give_up_after: Duration = Duration(1, "days")
    connect_timeout: float = Field(default=5.0, gt=0, le=120)
    read_timeout: float = Field(default=10.0, gt=0, le=600)

    @field_validator("retry", mode="before")
    @classmethod
    def _parse_list(cls, value: Any) -> list[Duration]:
        if not isinstance(value, list):
            raise Invalid(Code.duration_list)
        return [_duration(v) for v in value]

    @field_validator("then_every", "give_up_after", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Duration:
        duration = _duration(value)
        if duration.unit == "working_days":
            raise Invalid(Code.clock_time_only)
        return duration


class ChannelsFile(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    delivery: DeliveryRules = DeliveryRules()
    channels: list[Channel] = []
    citizen: list[str] = Field(
        default=[], description="Apprise URL templates for the citizen; {phone} is filled in"
    )


# --- retention.yaml (optional) ---------------------------------------------------------------

_PERIOD = re.compile(r"^\s*(\d+)\s*(y|d)\s*$")


@dataclass(frozen=True)
class RetentionPeriod:
    """How long personal data is kept after closing: whole years (calendar) or days."""

    amount: int
    unit: Literal["years", "days"]

    @classmethod
    def parse(cls, text: str) -> RetentionPeriod:
        match = _PERIOD.match(str(text))
        if not match:
            raise Invalid(Code.retention_period, value=str(text))
        amount = int(match.group(1))
        if amount <= 0:
            raise Invalid(Code.retention_zero, value=str(text))
        return cls(amount, "years" if match.group(2) == "y" else "days")

    def before(self, moment: datetime) -> datetime:
        """The moment this period before `moment` (29 February falls back to the 28th)."""
        if self.unit == "days":
            return moment - timedelta(days=self.amount)
        year = moment.year - self.amount
        day = min(moment.day, calendar.monthrange(year, moment.month)[1])
        return moment.replace(year=year, day=day)

    def __str__(self) -> str:
        return f"{self.amount}{'y' if self.unit == 'years' else 'd'}"


class RetentionFile(_Strict):
    """How long a citizen's name, phone and ID number are kept once all their matters closed."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    personal_data: RetentionPeriod = RetentionPeriod(3, "years")
    # How long the API remembers an Idempotency-Key and its answer (which may hold the
    # citizen's details): long enough for any client's retries, short enough to forget soon.
    idempotency_keys: Duration = Duration(1, "days")

    @field_validator("personal_data", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> RetentionPeriod:
        if isinstance(value, RetentionPeriod):
            return value
        return RetentionPeriod.parse(str(value))

    @field_validator("idempotency_keys", mode="before")
    @classmethod
    def _parse_keys(cls, value: Any) -> Duration:
        duration = _duration(value)
        if duration.unit == "working_days":
            raise ValueError("use clock time (m, h, d) for idempotency keys, not working days")
        if not KEYS_SHORTEST <= _clock(duration) <= KEYS_LONGEST:
            raise ValueError(f"'{duration}': keep idempotency keys between 1h and 30d")
        return duration

    @property
    def idempotency_window(self) -> timedelta:
        return _clock(self.idempotency_keys)


KEYS_SHORTEST, KEYS_LONGEST = timedelta(hours=1), timedelta(days=30)


def _clock(duration: Duration) -> timedelta:
    """A clock-time duration (minutes, hours or days) as a timedelta."""
    return timedelta(**{duration.unit: duration.amount})


# --- schedules.yaml (optional) ---------------------------------------------------------------


class SchedulesFile(_Strict):
    """When the scheduled flows run (local time of the district)."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    sweep_every: Duration = Duration(5, "minutes")
    digest_at: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    report_at: str = Field(
        default="07:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="local time the statistics report is refreshed each day",
    )
    retention_at: str = Field(default="03:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    @field_validator("sweep_every", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Duration:
        duration = _duration(value)
        if duration.unit not in ("minutes", "hours"):
            raise Invalid(Code.sweep_interval)
        return duration


# --- open311.yaml (optional) -----------------------------------------------------------------

_URL = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"


class Open311File(_Strict):
    """The Open311 GeoReport v2 endpoint as clients discover it (discovery.json / .xml)."""

    url: str = Field(
        default="",
        pattern=rf"({_URL})|^$",
        description="the endpoint's public URL, e.g. https://whistle.example.gov.cn/open311/v2 "
        "(empty: WHISTLE_LINK_BASE + /open311/v2)",
    )
    jurisdiction_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="the jurisdiction clients name (jurisdiction_id); another one is refused",
    )
    changeset: datetime | None = Field(
        default=None, description="when this endpoint or its services last changed"
    )
    contact: str = Field(default="", max_length=500, description="who to ask, for developers")
    key_service: str = Field(
        default="", max_length=500, description="how a city's app gets an api_key"
    )
    type: Literal["production", "test"] = "production"

    @field_validator("changeset")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time zone, e.g. 2026-11-01T00:00:00+08:00")
        return value


# --- figures.yaml (optional) -----------------------------------------------------------------


class FigureRule(_Strict):
    """One of the source's own figures (接待来访群众 640 人次 …), counted from the matters.

    Matters count when they match every filter given (an empty filter matches all): received in
    the month, or, with `outcomes`, resolved (办结) in the month with one of those outcomes.
    """

    key: Annotated[str, Field(pattern=CODE)]
    name: str
    name_en: str = ""
    count: Literal["people", "matters", "batches"] = Field(
        default="matters",
        description="people: persons (人次); matters: matters (件); batches: matters as 批次 "
        "and their people (人)",
    )
    channels: list[str] = []
    categories: list[str] = []
    outcomes: list[Literal["mediated", "handled", "explained", "litigation", "unresolvable"]] = []


class FiguresFile(_Strict):
    figures: list[FigureRule] = []


# --- holidays.yaml (optional) ----------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Tags of the two spellings of a district day; the loader leaves them out of the key it names.
ENTRY_TAGS = frozenset({"as-date", "as-entry"})
LONGEST_HOLIDAY = 31  # days: a longer run of days off in one entry is a typo


def _iso_day(value: Any) -> date:
    """A date written YYYY-MM-DD. The loader leaves dates as text, so a bad one (2026-02-30)
    is refused here, naming its key, instead of by YAML without one."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = str(value).strip()
    if not isinstance(value, str) or not _ISO_DATE.match(text):
        raise ValueError(f"'{text}' is not a date (write YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a date ({exc})") from None


IsoDay = Annotated[date, BeforeValidator(_iso_day)]
Date = date  # for annotations inside models that have a field named `date`


class DistrictDay(_Strict):
    """A day this district works or rests unlike the nation, with why."""

    date: IsoDay
    reason: str = ""


def _entry_kind(value: Any) -> str:
    return "as-entry" if isinstance(value, dict | DistrictDay) else "as-date"


# A district day is written as a date alone or as {date: ..., reason: ...}.
DistrictEntry = Annotated[
    Annotated[IsoDay, Tag("as-date")] | Annotated[DistrictDay, Tag("as-entry")],
    Discriminator(_entry_kind),
]


class OfficialDaysOff(_Strict):
    """One holiday of a State Council notice: one day off (date) or a run of them (from, to)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(min_length=1, description="the holiday's name, e.g. 春节")
    name_en: str = ""
    date: IsoDay | None = None
    first: IsoDay | None = Field(default=None, alias="from")
    to: IsoDay | None = None

    @model_validator(mode="after")
    def _one_day_or_a_run(self) -> OfficialDaysOff:
        if self.date is not None and (self.first is not None or self.to is not None):
            raise ValueError("give either date, or from and to, not both")
        if self.date is None and (self.first is None or self.to is None):
            raise ValueError("give the day off as date, or the run of days off as from and to")
        if self.first is not None and self.to is not None:
            if self.to < self.first:
                raise ValueError(f"to ({self.to}) is before from ({self.first})")
            if (self.to - self.first).days >= LONGEST_HOLIDAY:
                raise ValueError(f"from {self.first} to {self.to} is longer than a month")
        return self

    def days(self) -> list[Date]:
        """Every day off of this entry, in order."""
        if self.date is not None:
            return [self.date]
        assert self.first is not None and self.to is not None  # checked above
        return [date.fromordinal(n) for n in range(self.first.toordinal(), self.to.toordinal() + 1)]


class MakeUpWorkday(_Strict):
    """A weekend day worked in exchange for a holiday (调休上班)."""

    date: IsoDay
    name: str = Field(min_length=1, description="the holiday it makes up for, e.g. 春节")
    name_en: str = ""

    @field_validator("date")
    @classmethod
    def _a_weekend_day(cls, value: Date) -> Date:
        if value.weekday() < 5:
            raise ValueError(
                f"{value} is a weekday; a make-up working day (调休上班) is a Saturday or Sunday"
            )
        return value


class YearSchedule(_Strict):
    """A year's official schedule as the State Council's notice publishes it."""

    notice: str = Field(min_length=1, description="the notice's title and number")
    published: IsoDay = Field(description="the date of the notice")
    days_off: list[OfficialDaysOff] = Field(min_length=1)
    workdays: list[MakeUpWorkday] = []

    @field_validator("workdays", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class HolidaysFile(_Strict):
    """District days (either way) on top of the national calendar, and official year schedules
    that replace the holiday packages for their year."""

    workdays: list[DistrictEntry] = []
    days_off: list[DistrictEntry] = []
    years: dict[Annotated[int, Field(ge=2000, le=2999)], YearSchedule] = {}

    @field_validator("workdays", "days_off", "years", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any, info: ValidationInfo) -> Any:
        """`workdays:` with nothing after it means none."""
        if value is None:
            return {} if info.field_name == "years" else []
        return value
