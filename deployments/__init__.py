"""Deployment declarations: the scheduled flows, with their schedules from the district's data.

Served locally by `whistle up` (`python -m deployments`).
"""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval, Schedule

from flows.digest import daily_digest
from flows.intake_form import intake_form
from flows.report import statistics_report
from flows.retention import personal_data_retention
from flows.sweep import deadline_sweep
from models.retry import clock
from service.app import App


def _built(deployment: object) -> RunnerDeployment:
    """`to_deployment` returns a coroutine only inside an event loop; we call it outside one."""
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def declarations(app: App) -> list[RunnerDeployment]:
    """The deadline sweep every few minutes, the digest every morning and the personal data
    retention every night, local time."""
    schedules = app.config.schedules
    hour, minute = schedules.digest_at.split(":")
    return [
        _built(
            deadline_sweep.to_deployment(
                name="sweep",
                schedules=[Interval(clock(schedules.sweep_every), timezone=app.config.timezone)],
                description="定时巡检：回访逾期结案、失败通知重发、卡住的受理重新分流",
            )
        ),
        _built(
            daily_digest.to_deployment(
                name="daily",
                schedules=[Cron(f"{int(minute)} {int(hour)} * * *", timezone=app.config.timezone)],
                description="每日待办：向各单位发送待签收、办理中、已超时事项",
            )
        ),
        _built(
            personal_data_retention.to_deployment(
                name="retention",
                schedules=[_daily(schedules.retention_at, app.config.timezone)],
                description="个人信息保存期限：结案满期限后删除群众姓名、电话、身份证号",
            )
        ),
        _built(
            statistics_report.to_deployment(
                name="statistics",
                schedules=[_daily(schedules.report_at, app.config.timezone)],
                description="统计报表：三率、分类数量、办理用时、逐月工作量（本年至今）",
            )
        ),
        # No schedule: a clerk starts it from the UI's Run form (受理登记).
        _built(
            intake_form.to_deployment(
                name="intake",
                description="受理登记：填写受理登记表，登记后按规则分流并通知承办单位",
                enforce_parameter_schema=True,
            )
        ),
    ]


def _daily(at: str, timezone: str) -> Schedule:
    """Every day at a local HH:MM."""
    hour, minute = at.split(":")
    return Cron(f"{int(minute)} {int(hour)} * * *", timezone=timezone)


__all__ = ["declarations"]
