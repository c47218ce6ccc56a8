"""Shared pytest fixtures; their logic lives in tests/receivers.py."""

from __future__ import annotations

from collections.abc import Iterator

import prefect  # noqa: F401
import pytest

# Prefect configures its console logging when first imported, bound to the sys.stderr of that
# moment. The CLI no longer imports Prefect, so without this a flow run inside a test (under
# capsys) would bind it to that test's capture stream, closed once the test ends.
# Defined once here, for the whole tree: a session fixture imported into several conftest files
# would be several fixtures, and each would start its own Prefect harness in this one process.
from tests.fixtures import prefect_api, store_url, world  # noqa: F401
from tests.receivers import HttpReceiver, SmtpReceiver


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    """A real SMTP server on a free loopback port, fresh for each test."""
    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    """A real HTTP server on a free loopback port, fresh for each test."""
    with HttpReceiver() as receiver:
        yield receiver


def _utf8(text: str) -> str:
    """Text as UTF-8 can carry it: a lone surrogate (hostile input in a captured line or in
    hypothesis' statistics) written as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Reports travel from an xdist worker to the controller as UTF-8; a report holding a lone
    surrogate would stop the whole run. Make its text sections UTF-8-safe."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    report.sections = [(_utf8(title), _utf8(text)) for title, text in report.sections]
    if report.longrepr is not None:
        text = str(report.longrepr)
        if _utf8(text) != text:  # a failure quoting hostile input: keep it, as its escapes
            report.longrepr = _utf8(text)
