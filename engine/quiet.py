"""Running a flow in this process without Prefect's flow heartbeat.

The heartbeat exists to spot crashed long runs; a sweep or a digest run from the CLI lasts
seconds, and with the heartbeat on every synchronous run waits ~1 s for its thread on exit. Only
`temporary_settings` can unset it (the environment variable cannot).
"""

from __future__ import annotations

import prefect.context
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, Settings

_quiet: dict[int, tuple[Settings, Settings]] = {}


def without_heartbeat() -> prefect.context.SettingsContext:
    """A settings context like the current one with the heartbeat off.

    Built once per settings object: `temporary_settings` re-validates every setting on each
    entry, which cost ~45 ms per run.
    """
    context = prefect.context.get_settings_context()
    cached = _quiet.get(id(context.settings))
    if cached is None or cached[0] is not context.settings:
        quiet = context.settings.copy_with_update(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
        cached = _quiet[id(context.settings)] = (context.settings, quiet)
    return prefect.context.SettingsContext(profile=context.profile, settings=cached[1])
