"""The schema of each file in the district configuration folder: one model per file.

Every model forbids unknown keys, so a misspelt key is an error, not a silent default.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.durations import Duration

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
            raise ValueError(f"unknown time zone '{value}' (e.g. Asia/Shanghai)") from None
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
            raise ValueError(f"no starting tier for {', '.join(missing)}")
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
    ladder: dict[Literal["reminder", "urging", "supervision", "circulated"], float] = Field(
        default={"reminder": 0.75, "urging": 1.0, "supervision": 1.5, "circulated": 2.0},
        description="each escalation step's moment as a fraction of the window, from its start",
    )

    @field_validator("ladder")
    @classmethod
    def _ordered(cls, value: dict[str, float]) -> dict[str, float]:
        order = ["reminder", "urging", "supervision", "circulated"]
        moments = [value[k] for k in order if k in value]
        if any(m <= 0 for m in moments) or moments != sorted(moments):
            raise ValueError(
                "steps must come in the order reminder, urging, supervision, "
                "circulated, each later than the one before and after the start"
            )
        return value

    @field_validator("feedback", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Duration:
        return _duration(value)

    @field_validator("first_response", mode="before")
    @classmethod
    def _parse_each(cls, value: Any) -> dict[str, Duration]:
        if not isinstance(value, dict):
            raise ValueError("a mapping of colour to duration, e.g. {red: 2h}")
        return {k: _duration(v) for k, v in value.items()}

    @field_validator("colours")
    @classmethod
    def _complete(cls, value: dict[Colour, Clocks]) -> dict[Colour, Clocks]:
        for colour in COLOURS:
            clocks = value.get(colour)
            if clocks is None or clocks.acknowledge is None or clocks.resolve is None:
                raise ValueError(f"{colour} needs both acknowledge and resolve")
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
            raise ValueError("a list of durations such as [1m, 5m, 30m]")
        return [_duration(v) for v in value]

    @field_validator("then_every", "give_up_after", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Duration:
        duration = _duration(value)
        if duration.unit == "working_days":
            raise ValueError("use clock time (m, h, d) for delivery, not working days")
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
            raise ValueError(
                f"'{text}' is not a retention period: write a whole number and y (years) "
                "or d (days), e.g. 3y or 1095d"
            )
        amount = int(match.group(1))
        if amount <= 0:
            raise ValueError(f"'{text}': a retention period must be longer than zero")
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
            raise ValueError("the sweep interval is minutes or hours, e.g. 5m")
        return duration


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
