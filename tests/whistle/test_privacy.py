"""Nothing of a person leaks: after a whole story, neither Prefect (runs, parameters, tags, logs,
artifacts) nor any department's notice holds the citizen's name, phone or ID number."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterStartTime,
    FlowRunFilterTags,
    LogFilter,
    LogFilterFlowRunId,
)

from tests.fixtures import World

NAME, PHONE, ID_NUMBER = "欧阳娜娜", "13987654321", "11010519491231002X"
SECRETS = (NAME, PHONE, ID_NUMBER, "娜娜", "87654321")


def _clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_no_personal_data_outside_the_store(world: World) -> None:
    # The Prefect API is shared by the test session and every test's store numbers from -0001,
    # so only runs started during this test are this matter's.
    started = datetime.now(UTC)
    doc = world.intake(
        name=NAME,
        phone=PHONE,
        id_number=ID_NUMBER,
        title=f"{NAME}反映工资被拖欠",
        description=f"{NAME}（电话{PHONE}，身份证{ID_NUMBER}）反映被拖欠工资。",
    )
    number = doc["number"]
    for dept in ("hrss", "justice", "public_security"):
        world.ok("ack", number, "--department", dept)
    for dept in ("justice", "public_security"):
        world.ok("report", number, "--department", dept, "--note", f"已联系{NAME}核实")
    world.ok(
        "resolve",
        number,
        "--department",
        "hrss",
        "--outcome",
        "mediated",
        "--note",
        f"已与{NAME}达成协议",
    )
    world.ok("feedback", number, "--unsatisfied", "--comment", f"我是{NAME}，电话{PHONE}")
    world.ok("resolve", number, "--department", "hrss", "--outcome", "handled", "--note", "已支付")
    world.ok("feedback", number, "--satisfied")

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[f"matter:{number}"]),
                start_time=FlowRunFilterStartTime(after_=started),
            )
        )
        assert {r.name.split(" · ")[-1] for r in runs} >= {"受理分流", "办理", "办结", "回访"}
        for run in runs:
            assert {f"matter:{number}", f"colour:{doc['colour']}", "town:T01", "lead:hrss"} <= set(
                run.tags
            )
            _clean(run.name, f"run name {run.name}")
            _clean(json.dumps(run.parameters, ensure_ascii=False, default=str), "run parameters")
            _clean(" ".join(run.tags), "run tags")
            task_runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id]))
            )
            assert task_runs
            for task_run in task_runs:
                # Tagged task runs would each ask the server for tag concurrency slots.
                assert task_run.tags == [], f"task run {task_run.name} carries {task_run.tags}"
                _clean(task_run.name, "task run name")
                _clean(json.dumps(task_run.task_inputs, default=str), "task inputs")
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[r.id for r in runs]))
        )
        assert logs, "the stage flows logged nothing: the scan would prove nothing"
        for log in logs:
            _clean(log.message, f"log line {log.message!r}")
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"matter-{number.lower()}"]))
        )
        assert artifacts and number in str(artifacts[-1].data)
        for artifact in artifacts:
            _clean(str(artifact.data) + str(artifact.description), "timeline artifact")

    department_hooks = [r for r in world.http.requests if r.path.startswith("/dept/")]
    assert len(department_hooks) >= 5
    for hook in department_hooks:
        _clean(json.dumps(hook.json, ensure_ascii=False), f"notice to {hook.path}")
    for mail in world.smtp.messages:
        _clean(mail.subject + (mail.text or "") + (mail.html or ""), "notice to the center")
    own = [r for r in world.http.requests if r.path.startswith("/sms")]
    assert own and all(r.json["to"] == PHONE for r in own)
    assert NAME in own[0].json["message"]  # the citizen's own notice may address them
    shown = world.ok("show", number)
    assert shown["citizen"] == {"name": "欧***", "phone": "139****4321"}
