"""Deployment declarations: the scheduled flows, with their schedules from the district's data.

Served locally by `whistle up` (`python -m deployments`).
"""

from __future__ import annotations

from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron, Interval

from flows.digest import daily_digest
from flows.sweep import deadline_sweep
from models.retry import clock
from whistle.app import App


def _built(deployment: object) -> RunnerDeployment:
    """`to_deployment` returns a coroutine only inside an event loop; we call it outside one."""
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def declarations(app: App) -> list[RunnerDeployment]:
    """The deadline sweep every few minutes and the digest every morning, local time."""
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
    ]


__all__ = ["declarations"]
