"""Nothing personal left behind: a whole story through the HTTP API, every write with an
Idempotency-Key (and retried), the citizen's name, phone and ID number typed into the title and
the description in every digit form; the matter closes, retention runs, and then every column of
every table of the store, and every value of a backup taken afterwards, is read: none of the
citizen's data is there, in any form (masked ones included).

Timeline notes are evidence and never rewritten (README, Personal data retention), so the story's
notes and reasons, as staff are asked to write them, carry no personal data."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from notifications.masking import mask_name, mask_phone
from service import app as app_module
from service.app import get_app
from tests.api.conftest import Api
from tests.digits import forms, traces

NAME, PHONE, ID_NUMBER = "欧阳娜娜", "13987654321", "11010519491231002X"
PHONES, IDS = forms(PHONE), forms(ID_NUMBER)
# Retention after a day (so the run below is due), keys for thirty: what removes the API's
# remembered answers here is the erasure of the citizen, not their age.
RETENTION = "personal_data: 1d\nidempotency_keys: 30d\n"


def found(text: str) -> list[str]:
    hits = traces(text, name=NAME, phone=PHONE, id_number=ID_NUMBER)
    hits += [m for m in (mask_name(NAME), mask_phone(PHONE)) if m in text]
    return hits


def as_text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def store_leaks() -> list[str]:
    """(table.column: what) for every value of every column of every table that holds any
    trace of the citizen."""
    leaks = []
    with get_app().engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    for hit in found(as_text(value)):
                        leaks.append(f"{table.name}.{column}: {hit}")
    return leaks


def backup_leaks(path: Path) -> list[str]:
    leaks = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            values = record.get("r", [line])
            for value in values:
                leaks += [f"{record.get('t', 'header')}: {hit}" for hit in found(as_text(value))]
    return leaks


def test_after_retention_no_table_and_no_backup_holds_the_citizen(api: Api, tmp_path: Path) -> None:
    (api.world.folder / "retention.yaml").write_text(RETENTION, encoding="utf-8")
    app_module.reset()
    hotline = api.token(channel="hotline")
    center, hrss, justice, police = (
        api.token(d) for d in ("center", "hrss", "justice", "public_security")
    )
    keys = iter(f"key-{i}" for i in range(100))

    def post(path: str, token: str | None, at: str, **kwargs: Any) -> Any:
        headers = {"Idempotency-Key": next(keys)}
        answer = api.post(path, token=token, at=at, headers=headers, **kwargs)
        assert answer.status_code in (200, 201), answer.text
        again = api.post(path, token=token, at=at, headers=headers, **kwargs)  # a retry
        assert again.headers.get("idempotency-replayed") == "true"
        return answer.json()

    description = "；".join(
        [f"{NAME}反映工地拖欠工资"]
        + [f"电话{written}" for written in PHONES.values()]
        + [f"身份证{written}" for written in IDS.values()]
    )
    submitted = api.submit(
        hotline,
        headers={"Idempotency-Key": "call-1"},
        last_name="欧阳",
        first_name="娜娜",
        phone=PHONE,
        description=description,
        extra={"attribute[title]": f"{NAME}讨薪", "attribute[id_number]": ID_NUMBER},
    )
    assert submitted.status_code == 201, submitted.text
    number = submitted.json()[0]["service_request_id"]
    base = f"/api/matters/{number}"
    for token in (hrss, justice, police):
        post(f"{base}/acknowledge", token, "2026-11-26T09:10+08:00")
    post(
        f"{base}/extension",
        hrss,
        "2026-11-26T09:20+08:00",
        json={"length": "2wd", "reason": "需与反映人再次面谈"},
    )
    post(
        f"{base}/extension/decision",
        center,
        "2026-11-26T09:30+08:00",
        json={"department": "hrss", "approve": True, "note": "同意"},
    )
    post(f"{base}/progress", hrss, "2026-11-26T10:00+08:00", json={"note": "已约谈施工方"})
    for token in (justice, police):
        post(f"{base}/report", token, "2026-11-26T11:00+08:00", json={"note": "已配合"})
    lead_view = post(
        f"{base}/resolve",
        hrss,
        "2026-11-27T10:00+08:00",
        json={"outcome": "mediated", "note": "工资已结清"},
    )
    assert lead_view["matter"]["citizen"]["phone"] == PHONE  # the lead's answer shows it all
    link = api.feedback_token(number)
    closed = post(f"/feedback/{link}", None, "2026-11-28T08:00+08:00", json={"satisfied": True})
    assert closed["status"] == "closed"
    assert store_leaks(), "the story left no personal data to erase: the scan proves nothing"

    erased = api.world.ok("retention", at="2026-11-30T09:00:00+08:00")
    assert (erased["citizens"], erased["matters"]) == (1, 1)
    assert erased["idempotency_keys"] == 0  # none had expired: the erasure removed them
    assert store_leaks() == []
    backup = tmp_path / "after-retention.jsonl.gz"
    api.world.ok("backup", str(backup))
    assert backup_leaks(backup) == []
    # the matter itself is whole
    doc = api.world.ok("show", number)
    assert (doc["status"], doc["outcome"], doc["feedback"]) == ("closed", "mediated", "satisfied")
