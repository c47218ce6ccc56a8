"""Nothing of a person leaks: after a whole story, neither Prefect (every table of its database)
nor any department's notice holds the citizen's name, phone or ID number."""

from __future__ import annotations

import json

import pytest

from tests.fixtures import World
from tests.prefect_db import prefect_rows

NAME, PHONE, ID_NUMBER = "欧阳娜娜", "13987654321", "11010519491231002X"
SECRETS = (NAME, PHONE, ID_NUMBER, "娜娜", "87654321")


def _clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked into {where}"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_no_personal_data_outside_the_store(world: World) -> None:
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

    done = world.ok("worker", "--once")  # the engine draws the matter's run in Prefect
    assert done["drawn"] >= 1 and not done["errors"]
    rows = prefect_rows()  # runs, states, task runs, artifacts, events, logs: every table
    assert any(number in row for table, row in rows if table == "flow_run")
    assert any(number in row for table, row in rows if table == "artifact")
    for table, row in rows:
        _clean(row, f"Prefect's {table}")

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
