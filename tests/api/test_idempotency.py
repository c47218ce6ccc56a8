"""`Idempotency-Key`: an action repeated with the same key answers as the first time did and
changes nothing, also when the repeats race each other; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlmodel import col, func, select

from api import actions
from models.tables import IdempotencyRecord, Matter
from service.app import get_app
from service.store.db import session
from tests.api.conftest import Api


def test_repeated_acknowledgement_returns_the_first_answer(api: Api) -> None:
    number = api.world.intake()["number"]
    hrss = api.token("hrss")
    key = {"Idempotency-Key": "ack-7f3a"}
    first = api.post(f"/api/matters/{number}/acknowledge", token=hrss, headers=key)
    assert first.status_code == 200 and "idempotency-replayed" not in first.headers
    after_first = api.counts(number)

    later = "2026-11-26T11:00+08:00"
    again = api.post(f"/api/matters/{number}/acknowledge", token=hrss, headers=key, at=later)
    english = api.post(f"/api/matters/{number}/acknowledge", token=hrss, headers=key, lang="en")
    for repeat in (again, english):
        assert repeat.status_code == 200
        assert repeat.headers["idempotency-replayed"] == "true"
        assert repeat.content == first.content
    assert api.counts(number) == after_first

    without_key = api.post(f"/api/matters/{number}/acknowledge", token=hrss)
    assert without_key.status_code == 409  # not idempotent without a key: the state refuses


def test_a_key_reused_for_another_request_is_refused(api: Api) -> None:
    number = api.world.intake()["number"]
    hrss = api.token("hrss")
    api.post(f"/api/matters/{number}/acknowledge", token=hrss)
    key = {"Idempotency-Key": "progress-1"}
    first = api.post(f"/api/matters/{number}/progress", token=hrss, headers=key, json={"note": "a"})
    assert first.status_code == 200
    before = api.counts(number)
    other = api.post(f"/api/matters/{number}/progress", token=hrss, headers=key, json={"note": "b"})
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_mismatch"
    assert other.json()["message"] == "该 Idempotency-Key 已用于另一个请求"
    assert api.counts(number) == before


def test_keys_belong_to_their_caller_and_refusals_are_not_kept(api: Api) -> None:
    number = api.world.intake()["number"]
    hrss, justice = api.token("hrss"), api.token("justice")
    key = {"Idempotency-Key": "same-key"}
    assert api.post(f"/api/matters/{number}/acknowledge", token=hrss, headers=key).is_success
    mine = api.post(f"/api/matters/{number}/acknowledge", token=justice, headers=key)
    assert mine.status_code == 200 and "idempotency-replayed" not in mine.headers

    resolve = {"outcome": "handled", "note": "好"}
    refused = api.post(
        f"/api/matters/{number}/resolve", token=hrss, json=resolve, headers={"Idempotency-Key": "r"}
    )
    assert refused.status_code == 409  # a refusal changed nothing; the key stays free
    police = api.token("public_security")
    assert api.post(f"/api/matters/{number}/acknowledge", token=police).is_success
    for token in (justice, police):
        api.post(f"/api/matters/{number}/report", token=token, json={"note": "已配合"})
    done = api.post(
        f"/api/matters/{number}/resolve", token=hrss, json=resolve, headers={"Idempotency-Key": "r"}
    )
    assert done.status_code == 200 and done.json()["matter"]["status"] == "resolved"


def test_racing_repeats_act_once(api: Api) -> None:
    number = api.world.intake()["number"]
    hrss = api.token("hrss")
    headers = {
        "Authorization": f"Bearer {hrss}",
        "Idempotency-Key": "race",
        "X-Whistle-As-Of": api.world.at,
    }
    answers: list[httpx.Response] = []
    gate = threading.Barrier(4)

    def send() -> None:
        with httpx.Client(base_url=api.base, timeout=60) as client:
            gate.wait()
            answers.append(client.post(f"/api/matters/{number}/acknowledge", headers=headers))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert len({a.content for a in answers}) == 1
    assert sum("idempotency-replayed" not in a.headers for a in answers) == 1
    doc = api.world.ok("show", number)
    assert [e["department"] for e in doc["events"] if e["action"] == "acknowledged"] == ["hrss"]


def test_repeated_open311_submission_registers_one_matter(api: Api) -> None:
    hotline = api.token(channel="hotline")
    key = {"Idempotency-Key": "12345-call-20261126-0931"}
    first = api.submit(hotline, headers=key)
    again = api.submit(hotline, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["idempotency-replayed"] == "true"
    with session(get_app().engine) as s:
        assert s.exec(select(func.count()).select_from(Matter)).one() == 1


def test_repeated_feedback_answer_is_answered_again_not_refused(api: Api) -> None:
    tokens = {d: api.token(d) for d in ("hrss", "justice", "public_security")}
    number = api.world.intake()["number"]
    for token in tokens.values():
        api.post(f"/api/matters/{number}/acknowledge", token=token)
    for department in ("justice", "public_security"):
        api.post(f"/api/matters/{number}/report", token=tokens[department], json={"note": "好"})
    resolve = {"outcome": "mediated", "note": "好"}
    api.post(f"/api/matters/{number}/resolve", token=tokens["hrss"], json=resolve)
    link = api.feedback_token(number)
    key = {"Idempotency-Key": "answer-1"}
    first = api.post(f"/feedback/{link}", json={"satisfied": True}, headers=key)
    again = api.post(f"/feedback/{link}", json={"satisfied": True}, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert api.post(f"/feedback/{link}", json={"satisfied": True}).status_code == 409


def test_an_intake_whose_answer_never_left_is_answered_on_retry(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The intake's answer is stored in the matter's own transaction: when the request dies
    after the commit (here its follow-up blows up, as a crash would), the retry with the same
    key gets the number at once, instead of waiting on an answer that never comes."""
    hotline = api.token(channel="hotline")
    key = {"Idempotency-Key": "call-0931"}

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setattr(actions, "after_action", crash)
    try:
        lost: int | None = api.submit(hotline, headers=key).status_code
    except httpx.HTTPError:  # the connection dropped
        lost = None
    assert lost in (None, 500)  # committed, but no answer left
    monkeypatch.undo()
    with httpx.Client(base_url=api.base, timeout=60) as fresh:  # the old connection dropped
        monkeypatch.setattr(api, "client", fresh)
        started = time.monotonic()
        again = api.submit(hotline, headers=key | {"X-Whistle-As-Of": "2026-11-26T09:01+08:00"})
    assert time.monotonic() - started < 5, again.text  # answered from the store, not after a wait
    assert again.status_code == 201 and again.headers["idempotency-replayed"] == "true", again.text
    with session(get_app().engine) as s:
        matters = s.exec(select(Matter)).all()
        records = s.exec(select(IdempotencyRecord)).all()
    assert [m.number for m in matters] == [again.json()[0]["service_request_id"]]
    assert [(r.matter_id, r.status_code) for r in records] == [(matters[0].id, 201)]


def test_keys_expire_after_a_day_and_carry_their_matter(api: Api) -> None:
    hotline = api.token(channel="hotline")
    key = {"Idempotency-Key": "call-1"}
    first = api.submit(hotline, headers=key)
    within = api.submit(hotline, headers=key | {"X-Whistle-As-Of": "2026-11-27T08:59+08:00"})
    assert within.headers.get("idempotency-replayed") == "true" and within.content == first.content
    # a day after the first: the key has expired, and this is a new request
    later = api.submit(hotline, headers=key | {"X-Whistle-As-Of": "2026-11-27T09:00+08:00"})
    assert later.status_code == 201 and "idempotency-replayed" not in later.headers
    assert later.json()[0]["service_request_id"] != first.json()[0]["service_request_id"]

    number = later.json()[0]["service_request_id"]
    hrss = api.token("hrss")
    acked = api.post(
        f"/api/matters/{number}/acknowledge",
        token=hrss,
        headers={"Idempotency-Key": "ack-1"},
        at="2026-11-27T09:10+08:00",
    )
    assert acked.status_code == 200
    with session(get_app().engine) as s:
        matter_id = s.exec(select(Matter.id).where(Matter.number == number)).one()
        records = s.exec(select(IdempotencyRecord).order_by(col(IdempotencyRecord.id))).all()
    assert [(r.key, r.matter_id) for r in records] == [("call-1", matter_id), ("ack-1", matter_id)]
