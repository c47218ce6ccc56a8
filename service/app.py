"""The running installation: settings, district configuration, calendar and store engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy.engine import Engine

from models.calendar import WorkCalendar, calendar_for, load_holidays
from models.config import DistrictConfig, load_config
from models.refusals import Code, Refused
from service.settings import Settings, get_settings
from service.store.db import get_engine


@dataclass(frozen=True)
class App:
    settings: Settings
    config: DistrictConfig
    calendar: WorkCalendar
    engine: Engine

    @property
    def language(self) -> str:
        return self.settings.language

    @property
    def dispatch(self) -> str:
        return self.settings.dispatch

    def link(self, number: str) -> str:
        return f"{self.settings.link_base.rstrip('/')}/matters/{number}"

    def feedback_link(self, number: str) -> str:
        return f"{self.settings.link_base.rstrip('/')}/feedback/{number}"


def build_app(settings: Settings) -> App:
    """Load and check everything an installation needs; raises ConfigError on a broken file."""
    config = load_config(settings.config)
    holidays = load_holidays(settings.config / "holidays.yaml")
    calendar = calendar_for(holidays, timezone=config.timezone)
    return App(settings, config, calendar, get_engine(settings.store_url()))


@lru_cache(maxsize=1)
def get_app() -> App:
    """The process's installation, built once from the environment."""
    return build_app(get_settings())


def reset() -> None:
    """Forget the cached settings and installation (tests change the environment)."""
    get_settings.cache_clear()
    get_app.cache_clear()


EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def resolve_now(at: str | datetime | None, settings: Settings) -> datetime:
    """Return the current UTC time, or the given 'as of' time where overrides are allowed."""
    if at is None:
        return datetime.now(UTC)
    if not settings.allow_clock_override:
        raise Refused(Code.clock_override_off, field="--at")
    if isinstance(at, datetime):
        value = at
    else:
        try:
            value = datetime.fromisoformat(at)
        except ValueError:
            raise Refused(Code.bad_time, field="--at", value=at) from None
    if value.tzinfo is None:
        raise Refused(Code.time_no_zone, field="--at", value=str(at))
    # Deadlines are counted from the given time on the working-day calendar; a year far off
    # (0001, 9999) is a typo and would overflow the date arithmetic.
    if not EARLIEST.year <= value.year < LATEST.year:
        raise Refused(
            Code.time_out_of_range,
            field="--at",
            value=str(at),
            first=EARLIEST.year,
            last=LATEST.year - 1,
        )
    return value.astimezone(UTC)
