"""Every served deployment (`whistle up`, `python -m deployments`) is also in prefect.yaml for a
work pool, with the same entry point and schedule; the intake form reads in Chinese."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.utilities.callables import parameter_schema

from deployments import declarations
from flows.intake_form import intake_form
from service.app import build_app
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _app(tmp_path: Path, schedules: str | None = None) -> Any:
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    if schedules is not None:
        (folder / "schedules.yaml").write_text(schedules, "utf-8")
    return build_app(Settings(config=folder, database_url=f"sqlite:///{tmp_path / 'x.db'}"))


def _schedule(item: Any) -> tuple[Any, ...]:
    """(kind, value, timezone) of a served schedule or a prefect.yaml one."""
    interval = getattr(item, "interval", None)
    if interval is not None:
        seconds = interval.total_seconds() if isinstance(interval, timedelta) else interval
        return ("interval", float(seconds), item.timezone)
    return ("cron", item.cron, item.timezone)


def test_prefect_yaml_declares_what_is_served(tmp_path: Path) -> None:
    served = {d.name: d for d in declarations(_app(tmp_path))}
    assert set(served) >= {"sweep", "daily", "statistics", "intake"}
    text = (ROOT / "prefect.yaml").read_text("utf-8")
    project = PrefectYamlModel.model_validate(yaml.safe_load(text))
    written = {d.name: d for d in project.deployments}
    assert set(written) == set(served)
    for name, deployment in served.items():
        entry = written[name]
        assert entry.entrypoint == deployment.entrypoint, name
        assert entry.work_pool is not None and entry.work_pool.name == "whistle"
        mine = sorted(_schedule(s.schedule) for s in deployment.schedules or [])
        theirs = sorted(_schedule(s) for s in entry.schedules or [])
        assert mine == theirs, name
    assert written["intake"].enforce_parameter_schema is True


def test_the_report_runs_at_report_at(tmp_path: Path) -> None:
    app = _app(tmp_path, 'report_at: "06:30"\n')
    report = next(d for d in declarations(app) if d.name == "statistics")
    (schedule,) = report.schedules or []
    assert _schedule(schedule.schedule) == ("cron", "30 6 * * *", "Asia/Shanghai")


def test_the_intake_form_is_typed_documented_and_in_chinese(tmp_path: Path) -> None:
    app = _app(tmp_path)
    intake = next(d for d in declarations(app) if d.name == "intake")
    assert intake.schedules == [] and intake.enforce_parameter_schema
    schema = parameter_schema(intake_form).model_dump()
    fields = schema["definitions"]["IntakeForm"]["properties"]
    assert schema["definitions"]["IntakeForm"]["title"] == "受理登记表"
    assert (
        fields["name"]["title"] == "群众姓名"
        and "清除" in schema["properties"]["form"]["description"]
    )
    assert fields["phone"]["title"] == "联系电话" and fields["people"]["minimum"] == 1
    # The district's codes become drop-downs, each explained in Chinese.
    # the pick lists offer what a clerk recognises, code and name together
    assert fields["category"]["enum"] == [
        f"{c.code} {c.name}" for c in app.config.categories.values()
    ]
    assert "wage_arrears 拖欠工资" in fields["category"]["enum"]
    assert fields["flags"]["items"]["enum"] == [
        f"{f.code} {f.name}" for f in app.config.flags.values()
    ]
    assert "T01V01 和平社区" in fields["area"]["enum"] and "T01 东园街道" in fields["area"]["enum"]
    assert len(fields["area"]["enum"]) == len(app.config.towns) + len(app.config.villages)
    assert fields["channel"]["default"] == "walk_in 来访" in fields["channel"]["enum"]
    assert all(f.get("title") for f in fields.values())
