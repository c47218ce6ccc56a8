"""Stage runs switch the flow heartbeat off (it costs ~1 s per synchronous run) and nothing else."""

from __future__ import annotations

from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

from engine.quiet import without_heartbeat


def test_without_heartbeat_keeps_every_other_setting() -> None:
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:1/api"}):
        assert get_current_settings().flows.heartbeat_frequency is not None
        with without_heartbeat():
            inside = get_current_settings()
            assert inside.flows.heartbeat_frequency is None
            assert inside.api.url == "http://127.0.0.1:1/api"
        with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:2/api"}), without_heartbeat():
            assert get_current_settings().api.url == "http://127.0.0.1:2/api"
        assert get_current_settings().flows.heartbeat_frequency is not None
