"""Starting a matter's stage flow in this process, named and tagged for the supervisor.

The flow heartbeat exists to spot crashed long runs; a stage flow lasts a fraction of a second,
and with the heartbeat on every synchronous run waits ~1 s for its thread on exit. So it is off
for stage runs (only `temporary_settings` can unset it; the environment variable cannot).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import prefect
import prefect.context
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, Settings

from flows import stages
from service.actions import get_matter, proposed_route
from service.app import App
from service.errors import Refused
from service.read.views import run_label, run_tags
from service.store.db import session

log = logging.getLogger("engine.runner")

STAGES: dict[str, tuple[Any, str, str]] = {
    "intake": (stages.intake, "受理分流", "intake"),
    "referral": (stages.referral, "转办", "referral"),
    "handling": (stages.handling, "办理", "handling"),
    "resolution": (stages.resolution, "办结", "resolution"),
    "feedback": (stages.feedback, "回访", "feedback"),
    "closing": (stages.closing, "结案", "closing"),
}


_quiet: dict[int, tuple[Settings, Settings]] = {}


def without_heartbeat() -> prefect.context.SettingsContext:
    """A settings context like the current one with the heartbeat off.

    Built once per settings object: `temporary_settings` re-validates every setting on each
    entry, which cost ~45 ms per stage run.
    """
    context = prefect.context.get_settings_context()
    cached = _quiet.get(id(context.settings))
    if cached is None or cached[0] is not context.settings:
        quiet = context.settings.copy_with_update(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
        cached = _quiet[id(context.settings)] = (context.settings, quiet)
    return prefect.context.SettingsContext(profile=context.profile, settings=cached[1])


@dataclass(frozen=True)
class StageRun:
    stage: str
    ok: bool
    result: dict[str, int] | None = None
    error: str | None = None
    queued: bool = False  # handed to a task worker rather than run here


def run_stage(app: App, stage: str, number: str, now: datetime) -> StageRun:
    """Run one stage flow for a matter; a failure is reported, never raised: the store has
    the action already, and the sweep finishes what a failed stage left (notices, referral)."""
    flow_obj, label_zh, label_en = STAGES[stage]
    try:  # reading the run's name is part of the stage: a store gone by now is reported too
        with session(app.engine) as s:
            matter = get_matter(s, number)
            lead = matter.lead_department
            if stage == "intake" and lead is None:
                try:
                    lead = proposed_route(app, matter)[0]
                except Refused:
                    lead = None
            name = run_label(app, matter, label_zh if app.language == "zh" else label_en)
            tags = run_tags(matter, stage, lead)
        with without_heartbeat(), prefect.tags(*tags):
            result = flow_obj.with_options(flow_run_name=name)(number=number, now=now)
        return StageRun(stage, True, result)
    except Exception as exc:
        log.warning("stage %s of %s did not finish: %s", stage, number, type(exc).__name__)
        return StageRun(stage, False, error=f"{type(exc).__name__}: {exc}")


def start_stage(app: App, stage: str, number: str, now: datetime) -> StageRun:
    """Run the stage that follows an action here, or hand it to a task worker.

    Which one is the installation's choice (WHISTLE_DISPATCH). A failed hand-over is reported
    like a failed run: the action is in the store and the sweep completes what follows.
    """
    if app.dispatch != "workers":
        return run_stage(app, stage, number, now)
    from tasks.stage import stage_in_worker

    try:
        stage_in_worker.delay(stage, number, now.isoformat())
    except Exception as exc:
        log.warning("stage %s of %s not handed over: %s", stage, number, type(exc).__name__)
        return StageRun(stage, False, error=f"{type(exc).__name__}: {exc}")
    return StageRun(stage, True, queued=True)
