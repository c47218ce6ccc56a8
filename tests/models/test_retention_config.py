"""retention.yaml (and the retention time in schedules.yaml): the sample loads, the file is
optional, the period counts back in calendar years or days, and every mistake is refused naming
the file, the key and the value."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models.config import ConfigError, RetentionPeriod, load_config

SAMPLE = Path(__file__).resolve().parents[2] / "config"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SAMPLE, tmp_path / "config"))


def test_the_sample_keeps_personal_data_three_years_and_erases_at_night() -> None:
    config = load_config(SAMPLE)
    assert config.retention.personal_data == RetentionPeriod(3, "years")
    assert config.retention.idempotency_window == timedelta(days=1)
    assert config.schedules.retention_at == "03:00"


def test_without_the_file_the_period_is_three_years_and_keys_a_day(folder: Path) -> None:
    (folder / "retention.yaml").unlink()
    retention = load_config(folder).retention
    assert str(retention.personal_data) == "3y"
    assert retention.idempotency_window == timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "window"),
    [("1h", timedelta(hours=1)), ("12h", timedelta(hours=12)), ("30d", timedelta(days=30))],
)
def test_idempotency_keys_are_kept_for_clock_time(
    folder: Path, text: str, window: timedelta
) -> None:
    (folder / "retention.yaml").write_text(f"idempotency_keys: {text}\n", encoding="utf-8")
    assert load_config(folder).retention.idempotency_window == window


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("3y", RetentionPeriod(3, "years")),
        ("1095d", RetentionPeriod(1095, "days")),
        (" 1 y", RetentionPeriod(1, "years")),
    ],
)
def test_the_period_is_read_in_years_or_days(
    folder: Path, text: str, period: RetentionPeriod
) -> None:
    (folder / "retention.yaml").write_text(f'personal_data: "{text}"\n', encoding="utf-8")
    assert load_config(folder).retention.personal_data == period


@pytest.mark.parametrize(
    ("period", "moment", "cutoff"),
    [
        ("3y", datetime(2029, 12, 10, 1, tzinfo=UTC), datetime(2026, 12, 10, 1, tzinfo=UTC)),
        ("1y", datetime(2028, 2, 29, 12, tzinfo=UTC), datetime(2027, 2, 28, 12, tzinfo=UTC)),
        ("4y", datetime(2028, 2, 29, 12, tzinfo=UTC), datetime(2024, 2, 29, 12, tzinfo=UTC)),
        ("30d", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 1, 30, tzinfo=UTC)),
    ],
)
def test_the_cutoff_counts_back_calendar_years_or_days(
    period: str, moment: datetime, cutoff: datetime
) -> None:
    assert RetentionPeriod.parse(period).before(moment) == cutoff


@pytest.mark.parametrize(
    ("filename", "text", "expected"),
    [
        ("retention.yaml", "personal_data: 3 years\n", ["personal_data", "'3 years'", "y (years)"]),
        ("retention.yaml", "personal_data: 0y\n", ["personal_data", "'0y'", "longer than zero"]),
        ("retention.yaml", "personal_data: 36m\n", ["personal_data", "'36m'"]),
        ("retention.yaml", "personal_data: 3\n", ["personal_data", "'3'"]),
        ("retention.yaml", "personal: 3y\n", ["personal", "is not a known field"]),
        ("retention.yaml", "idempotency_keys: 1wd\n", ["idempotency_keys", "not working days"]),
        ("retention.yaml", "idempotency_keys: 59m\n", ["idempotency_keys", "between 1h and 30d"]),
        ("retention.yaml", "idempotency_keys: 31d\n", ["idempotency_keys", "'31d'"]),
        ("retention.yaml", "idempotency_keys: soon\n", ["idempotency_keys", "'soon'"]),
        ("retention.yaml", "- 3y\n", ["expected a mapping"]),
        ("schedules.yaml", 'retention_at: "25:00"\n', ["retention_at", "'25:00'"]),
    ],
)
def test_a_broken_file_is_refused_naming_file_key_and_value(
    folder: Path, filename: str, text: str, expected: list[str]
) -> None:
    (folder / filename).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(folder)
    message = str(caught.value)
    assert str(folder / filename) in message
    for fragment in expected:
        assert fragment in message
