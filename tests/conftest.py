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
