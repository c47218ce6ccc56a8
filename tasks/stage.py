"""A matter's stage as a background task, so Prefect task workers can run it anywhere.

With WHISTLE_DISPATCH=workers the acting process (CLI, API) only submits this task; one of the
`whistle worker` processes picks it up over the Prefect API and runs the stage flow in-process.
Only the stage, the matter number and the time travel through Prefect: no personal data.
"""

from __future__ import annotations

from datetime import datetime

from prefect import task

from engine.runner import run_stage
from service.app import get_app


@task(name="stage", task_run_name="{number} · {stage}")
def stage_in_worker(stage: str, number: str, at: str) -> dict[str, int]:
    """Run one stage flow; fail the task run when the flow failed (the sweep finishes it)."""
    run = run_stage(get_app(), stage, number, datetime.fromisoformat(at))
    if not run.ok:
        raise RuntimeError(f"stage {stage} of {number} did not finish: {run.error}")
    return run.result or {}
