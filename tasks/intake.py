"""The intake form's side effects: take the citizen's details in (store them, scrub them from the
run), and name the run after the matter."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import State, TaskRun
from prefect.runtime import flow_run
from pydantic import ValidationError

from service import actions
from service.app import get_app
from service.errors import Refused
from service.forms import CLEARED, IntakeForm
from service.inputs import IntakeRequest
from service.read.labels import coded
from service.read.views import run_label, run_tags
from service.store.db import session

AGAIN = "表单中的个人信息已清除，请重新填写登记。"


class FormRefused(Exception):
    """A form the center cannot register. The message names fields, never what was typed in
    them: it becomes the run's state message, which Prefect keeps."""


class StoreUnavailable(Exception):
    """The store failed while registering; the message names the error's type only."""


def _titles() -> dict[str, str]:
    return {name: info.title or name for name, info in IntakeForm.model_fields.items()}


def _refused(fields: list[str], hint: str = "") -> FormRefused:
    titles = _titles()
    named = "、".join(dict.fromkeys(titles.get(f, f) for f in fields)) or "表单"
    return FormRefused(f"受理登记未完成：{named}填写有误{hint}。{AGAIN}")


def _known(field: str, refusal: Refused) -> str:
    """For a code field, what would be accepted (district data, never personal): the nearest
    codes a refusal suggests, else every code of the field."""
    config = get_app().config
    names = {
        "category": {c.code: c.name for c in config.categories.values()},
        "channel": {c.code: c.name for c in config.channels_in.values()},
        "flag": {f.code: f.name for f in config.flags.values()},
        "area": {},
    }
    if field not in names:
        return ""
    offered = refusal.params.get("suggestions") or refusal.params.get("candidates") or []
    codes = list(offered) or list(names[field])
    if not codes:
        return ""
    shown = "、".join(coded(names[field].get(c) or config.area_name(c), c) for c in codes)
    return f"（可填：{shown}）"


def _scrub(run_id: UUID, values: dict[str, Any]) -> None:
    with get_client(sync_client=True) as client:
        client.update_flow_run(run_id, parameters={"form": values}).raise_for_status()


def _transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Retry a lost connection, not a refusal: a refused form stays refused."""
    try:
        state.result()
    except FormRefused:
        return False
    except Exception:
        return True
    return True


@task(
    name="take in the form",
    cache_policy=NO_CACHE,  # no cache key: it would be a hash of the citizen's details
    persist_result=False,
    retries=2,
    retry_delay_seconds=[1, 5],
    retry_condition_fn=_transient,
)
def take_in(values: dict[str, Any], scrubbed: dict[str, Any], now: datetime) -> str:
    """Scrub the citizen's details from this run's stored parameters, then register the matter
    with them in the store (受理) and return its number."""
    run_id = flow_run.get_id()
    if run_id is not None:
        _scrub(UUID(str(run_id)), scrubbed)
    if values.get("name") == CLEARED:
        raise FormRefused(f"这份登记表已经登记过（个人信息已清除），不能再次提交。{AGAIN}")
    try:
        intake = IntakeRequest.model_validate(values)
    except ValidationError as exc:
        raise _refused([str(e["loc"][0]) for e in exc.errors() if e["loc"]]) from None
    app = get_app()
    try:
        with session(app.engine) as s:
            matter = actions.register(session=s, app=app, intake=intake, now=now)
    except Refused as exc:
        fields = [i.field for i in exc.fields] or [exc.field or ""]
        named = ["flags" if f == "flag" else f for f in fields]
        raise _refused(named, _known(fields[0], exc)) from None
    except Exception as exc:
        # The store's own errors quote the statement's parameters: the citizen's details.
        raise StoreUnavailable(f"事项库暂时无法登记（{type(exc).__name__}），稍后重试。") from None
    return matter.number


@task(name="name the run", retries=2, retry_delay_seconds=[1, 5])
def label_run(number: str) -> str:
    """Give the form's run the matter's name and tags, so it is found with the matter's runs."""
    app = get_app()
    with session(app.engine) as s:
        matter = actions.get_matter(s, number)
        stage = "受理登记" if app.language == "zh" else "intake form"
        name, tags = run_label(app, matter, stage), run_tags(matter, "form")
    run_id = flow_run.get_id()
    if run_id is not None:
        with get_client(sync_client=True) as client:
            client.update_flow_run(UUID(str(run_id)), name=name, tags=tags).raise_for_status()
    return name
