"""Running a flow in this process without Prefect's flow heartbeat.

The heartbeat exists to spot crashed long runs; a sweep or a digest run from the CLI lasts
seconds, and with the heartbeat on every synchronous run waits ~1 s for its thread on exit. Only
`temporary_settings` can unset it (the environment variable cannot).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

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


@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """Run a flow from the CLI: no heartbeat, and Prefect's console lines muted (they go to the
    Prefect API as the run's logs; the command prints its own one-line result or refusal)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [
        logging.getLogger(),
        *(
            logger
            for logger in logging.root.manager.loggerDict.values()
            if isinstance(logger, logging.Logger)
        ),
    ]
    muted = [
        (handler, handler.level)
        for logger in loggers
        for handler in logger.handlers
        if isinstance(handler, PrefectConsoleHandler)
    ]
    for handler, _ in muted:
        handler.setLevel(logging.CRITICAL + 1)
    try:
        with without_heartbeat():
            yield
    finally:
        for handler, level in muted:
            handler.setLevel(level)
