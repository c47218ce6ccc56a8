"""Property tests: bounded hypothesis profiles and a real store shared by a module's examples.

Example counts are per test, scaled by the profile: `HYPOTHESIS_PROFILE=long` tries ten times
as many (and the default keeps the whole suite near a minute). The example database lives in
.pytest_cache, which is not part of the repository.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from service.app import App, build_app
from service.settings import Settings
from service.store.db import create_schema, get_engine
from tests.fixtures import PG_ADMIN, ROOT, pg_available

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
SCALE = 10 if PROFILE == "long" else 1
_DATABASE = DirectoryBasedExampleDatabase(ROOT / ".pytest_cache" / "hypothesis")

for _name, _examples in (("default", 25), ("long", 250)):
    settings.register_profile(
        _name,
        max_examples=_examples,
        deadline=None,
        database=_DATABASE,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
settings.load_profile("long" if PROFILE == "long" else "default")


def examples(count: int, **more: object) -> settings:
    """Settings for a test worth `count` examples in the default profile."""
    return settings(max_examples=count * SCALE, **more)  # type: ignore[arg-type]


# Notices go to loopback port 9, where nothing listens: delivery is tried, fails at once, and
# is scheduled again by the delivery rules (the fault tests use real receivers instead).
NOWHERE = """channels:
  - url: "json://127.0.0.1:9/dept/{recipient}"
    to: ["*"]
citizen:
  - "json://127.0.0.1:9/sms?:to={phone}"
"""


def make_app(home: Path, url: str) -> App:
    """The sample district on the given store, initialised; nothing read from the environment."""
    folder = home / "config"
    shutil.copytree(ROOT / "config", folder)
    (folder / "channels.yaml").write_text(NOWHERE, encoding="utf-8")
    app = build_app(
        Settings(
            home=home,
            config=folder,
            database_url=url,
            allow_clock_override=True,
            link_base="https://whistle.example/",
        )
    )
    create_schema(app.engine)
    return app


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def district(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """One store for a whole test module (hypothesis runs many examples against it)."""
    home = tmp_path_factory.mktemp("district")
    if request.param == "sqlite":
        app = make_app(home, f"sqlite:///{home / 'whistle.db'}")
        yield app
        app.engine.dispose()
        return
    reason = pg_available()
    if reason:
        pytest.skip(reason)
    name = f"whistle_p_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        app = make_app(home, url)
        yield app
    finally:
        get_engine(url).dispose()
        get_engine.cache_clear()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
