"""The running installation: settings, district configuration, calendar and store engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy.engine import Engine

from models.calendar import WorkCalendar, calendar_for, load_holidays
from models.config import DistrictConfig, load_config
from service.errors import Refused, shown
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
        raise Refused(
            "--at (an 'as of' time) is only accepted when WHISTLE_ALLOW_CLOCK_OVERRIDE=1 "
            "(for simulations and tests)"
        )
    if isinstance(at, datetime):
        value = at
    else:
        try:
            value = datetime.fromisoformat(at)
        except ValueError:
            raise Refused(
                f"--at '{shown(at)}' is not an ISO-8601 time such as 2026-11-26T09:30+08:00"
            ) from None
    if value.tzinfo is None:
        raise Refused(f"--at '{at}' has no time zone; add one, e.g. +08:00")
    # Deadlines are counted from the given time on the working-day calendar; a year far off
    # (0001, 9999) is a typo and would overflow the date arithmetic.
    if not EARLIEST.year <= value.year < LATEST.year:
        raise Refused(
            f"--at '{at}' is outside the years {EARLIEST.year}–{LATEST.year - 1} that steps "
            "can be dated in"
        )
    return value.astimezone(UTC)
