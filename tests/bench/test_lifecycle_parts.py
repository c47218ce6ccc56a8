"""The lifecycle benchmark's own parts: the seeded mix, the story a matter goes through and the
timeline the checks expect from it (they must agree, or a run reports false problems or misses
real ones), and how the receivers recognise the lead's notice and the citizen's link."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from typing import Any

import pytest

from bench.drive import TimedHttpReceiver
from bench.plans import Act, Await, Plan, make_plans, story
from bench.verify import expected_actions

VILLAGES = ["T01V01", "T01V02", "T02V01"]
TOWNS = ["T01", "T02"]


def test_the_same_seed_makes_the_same_matters() -> None:
    assert make_plans(50, 7, VILLAGES, TOWNS) == make_plans(50, 7, VILLAGES, TOWNS)
    assert make_plans(50, 7, VILLAGES, TOWNS) != make_plans(50, 8, VILLAGES, TOWNS)


def test_the_mix_is_the_one_described() -> None:
    plans = make_plans(2000, 2026, VILLAGES, TOWNS)
    colours = Counter(p.colour for p in plans)
    assert 0.55 < colours["green"] / 2000 < 0.65
    assert 0.20 < colours["yellow"] / 2000 < 0.30
    assert 0.09 < colours["orange"] / 2000 < 0.15
    assert 0.01 < colours["red"] / 2000 < 0.05
    assert 0.07 < sum(p.returned for p in plans) / 2000 < 0.13
    assert 0.07 < sum(p.reopened for p in plans) / 2000 < 0.13


def _play(plan: Plan, *, co: list[str], citizen_link: bool) -> list[Act | Await]:
    """Run the story against answers a well-behaved Whistle would give."""
    steps: list[Act | Await] = []
    gen = story(plan, citizen_link=citizen_link)
    step = next(gen)
    status = "received"
    while True:
        steps.append(step)
        answer: dict[str, Any] = {"since": len(steps)}
        if isinstance(step, Await):
            answer |= {"lead": "hrss"} if step.what == "referral" else {"token": "t0k"}
        elif step.kind == "intake":
            answer |= {"number": "M20261126-0001"}
        else:
            status = {
                "show": "referred",
                "return": "returned",
                "refer": "referred",
                "ack": "in_progress",
                "resolve": "resolved",
            }.get(step.kind, status)
            if step.kind == "feedback":
                status = "closed" if step.fields["satisfied"] else "in_progress"
            answer |= {
                "number": "M20261126-0001",
                "status": status,
                "colour": plan.colour,
                "lead_department": "hrss",
                "co_departments": co,
            }
        try:
            step = gen.send(answer)
        except StopIteration:
            return steps


def _timeline(steps: list[Act | Await]) -> Counter[str]:
    """The timeline actions the acts make, plus the referral by the rules after intake."""
    made = Counter({"referred": 1})
    names = {
        "intake": "received",
        "ack": "acknowledged",
        "return": "returned",
        "refer": "referred",
        "progress": "progress",
        "report": "reported",
        "resolve": "resolved",
    }
    for step in steps:
        if not isinstance(step, Act) or step.kind == "show":
            continue
        if step.kind == "feedback":
            made["closed" if step.fields["satisfied"] else "reopened"] += 1
        else:
            made[names[step.kind]] += 1
    return made


@pytest.mark.parametrize("citizen_link", [True, False])
def test_every_kind_of_story_makes_the_timeline_the_checks_expect(citizen_link: bool) -> None:
    plans = make_plans(2000, 2026, VILLAGES, TOWNS)
    one_of_each = {(p.returned, p.reopened, p.progress): p for p in reversed(plans)}
    assert len(one_of_each) == 8, "the mix should hold every combination"
    for plan in [*one_of_each.values(), *plans[:40]]:
        for co in ([], ["justice", "public_security"]):
            steps = _play(plan, co=co, citizen_link=citizen_link)
            assert +_timeline(steps) == +expected_actions(plan, len(co)), plan
            links = [s for s in steps if isinstance(s, Await) and s.what == "feedback_link"]
            assert len(links) == ((1 + plan.reopened) if citizen_link else 0)


def _post(receiver: TimedHttpReceiver, path: str, body: dict[str, str]) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{receiver.port}{path}",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200


def test_the_receiver_finds_the_leads_notice_and_the_citizens_link() -> None:
    with TimedHttpReceiver() as receiver:
        number = "M20261126-0007"
        _post(receiver, "/dept/justice", {"title": f"【黄色预警】{number} 拖欠工资 请司法签收协办"})
        assert receiver.referral(number, 0) is None  # a co-handler's notice is not the lead's
        _post(receiver, "/dept/hrss", {"title": f"【黄色预警】{number} 拖欠工资 请人社签收主办"})
        found = receiver.referral(number, 0)
        assert found is not None and found[0] == "hrss"
        assert receiver.referral(number, 2) is None  # only notices from `since` on
        assert receiver.referral("M20261126-0008", 0) is None

        since = receiver.count()
        _post(
            receiver,
            "/sms",
            {
                "title": "请评价",
                "message": f"事项{number}已办结 https://w.example/feedback/ab.c_1-2",
            },
        )
        assert receiver.feedback_link(number, since) == "ab.c_1-2"
        assert receiver.feedback_link(number, since + 1) is None
