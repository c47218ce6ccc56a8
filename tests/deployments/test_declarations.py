"""The scheduled deployments take their schedules from the district's schedules.yaml."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from deployments import declarations
from service.app import build_app
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_schedules_follow_the_district_file(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    (folder / "schedules.yaml").write_text('sweep_every: 15m\ndigest_at: "07:30"\n', "utf-8")
    app = build_app(Settings(config=folder, database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    sweep, digest = declarations(app)[:2]
    assert (sweep.name, digest.name) == ("sweep", "daily")
    assert sweep.schedules and digest.schedules
    interval = sweep.schedules[0].schedule
    assert getattr(interval, "interval", None) == timedelta(minutes=15)
    cron = digest.schedules[0].schedule
    assert getattr(cron, "cron", None) == "30 7 * * *"
    assert getattr(cron, "timezone", None) == "Asia/Shanghai"
