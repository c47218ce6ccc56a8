"""Process settings: where the store and the district configuration live, and the clock rule."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from messages import language_of

PROJECT_CONFIG = Path(__file__).resolve().parent.parent / "config"


class Settings(BaseSettings):
    """Environment-driven settings; every name is read as WHISTLE_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="WHISTLE_", extra="ignore")

    home: Path = Field(default=Path(".whistle"), description="Data folder for the default store.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL of the store.")
    config: Path = Field(default=PROJECT_CONFIG, description="District configuration folder.")
    allow_clock_override: bool = Field(
        default=False, description="Accept --at / now overrides (simulations and tests only)."
    )
    language: str = Field(
        default="zh", pattern="^(zh|en)$", description="Default display language."
    )
    link_base: str = Field(
        default="http://127.0.0.1:8000",
        description="Where notice links point (the API's base URL).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        min_length=32,
        description="Signs citizens' feedback links; unset: generated once and kept in home.",
    )

    prefect_ui_url: str | None = Field(
        default=None,
        description=(
            "The Prefect UI's address (e.g. http://127.0.0.1:4200): the leadership board links "
            "each matter to <this>/runs/flow-run/<id>; unset, the board shows no run links."
        ),
    )

    dispatch: Literal["auto", "inline", "workers"] = Field(
        default="auto",
        description=(
            "Who carries out what follows an action (referral, notices): 'auto' leaves it to a "
            "running engine (`whistle worker`) and does it in the acting process when none "
            "runs; 'inline' always in the acting process; 'workers' always leaves it to an "
            "engine, even when none is running yet."
        ),
    )

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: object) -> str:
        """'en_GB.UTF-8', 'EN', 'zh-CN' read as en or zh, as the command line reads them."""
        return language_of(str(value)) if isinstance(value, str) else "zh"

    def store_url(self) -> str:
        """Return the store URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'whistle.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process settings (cached; tests clear the cache when they change the env)."""
    return Settings()
