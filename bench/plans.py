"""The synthetic matters of the lifecycle benchmark and the story each one goes through.

The mix is seeded: the same matters for the same seed, whichever front door drives them. A story
is a generator of steps: an `Act` (one action by the center, a department or the citizen, which
the driver carries out through the HTTP API or as a CLI process) or an `Await` (something that
reaches a receiver: the lead's referral notice, the citizen's feedback link), so the driver can
turn to other matters while one waits.
"""

from __future__ import annotations

import random
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.procs import BenchError

# How often each category comes to the window: disputes about work, neighbours, families and
# property management dominate; petitions, medical and land disputes are rarer.
CATEGORY_WEIGHTS: dict[str, int] = {
    "labour": 13,
    "wage_arrears": 13,
    "neighbour": 13,
    "family": 11,
    "property": 11,
    "consumer": 7,
    "traffic": 6,
    "legal_consult": 6,
    "enterprise": 4,
    "counselling": 4,
    "women_children": 3,
    "other": 3,
    "petition": 2,
    "medical": 2,
    "land": 2,
}
# Colour mix via the number of people involved (config/grading.yaml: red >= 50, orange >= 5,
# yellow >= 2); nothing else in a plan (visits < 3, amount < 100 000, no red flags) moves it.
COLOUR_WEIGHTS = {"green": 60, "yellow": 25, "orange": 12, "red": 3}
PEOPLE = {"green": (1, 1), "yellow": (2, 4), "orange": (5, 40), "red": (50, 120)}
CHANNEL_WEIGHTS = {"walk_in": 40, "hotline": 25, "phone": 15, "grid": 12, "web": 8}
OUTCOMES = ("mediated", "handled", "explained", "litigation")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰建国志红海燕春梅文斌宇浩鑫"
SUBJECTS: dict[str, tuple[str, str]] = {
    "labour": ("劳动合同纠纷", "用人单位未签劳动合同即辞退{p}名员工，要求补偿。"),
    "wage_arrears": ("工地拖欠工资", "某工地拖欠{p}名工人工资约{a}元，多次讨要未果。"),
    "neighbour": ("邻里噪音纠纷", "楼上住户夜间噪音扰民，涉及{p}户居民，协商未果。"),
    "family": ("赡养纠纷", "子女之间因老人赡养费用分担发生争执，涉及{p}人。"),
    "property": ("物业服务纠纷", "小区电梯长期故障，{p}户业主与物业公司就维修费用争执。"),
    "consumer": ("预付卡退费纠纷", "健身房停业，{p}名会员预付卡无法退费。"),
    "traffic": ("交通事故赔偿", "电动车与轿车相撞，双方就赔偿金额协商不成。"),
    "legal_consult": ("继承问题咨询", "咨询房产继承手续及份额划分。"),
    "enterprise": ("企业合同纠纷", "小微企业与供货商就货款结算发生争议，涉及{p}人。"),
    "counselling": ("心理疏导需求", "家属反映当事人情绪低落，希望获得心理疏导。"),
    "women_children": ("未成年人权益", "反映未成年人监护缺失问题，请求介入。"),
    "other": ("公共设施报修", "路灯损坏多日，影响{p}户居民夜间出行。"),
    "petition": ("信访事项", "就征收补偿标准多次来访，涉及{p}人。"),
    "medical": ("医疗纠纷", "术后并发症，患者家属与医院就责任认定发生争议。"),
    "land": ("草场边界纠纷", "两户牧民就草场边界划分发生争执，涉及{p}人。"),
}
# Whom the center re-refers a matter to when its first lead sends it back, by preference.
REREFER: dict[str, tuple[str, ...]] = {
    "labour": ("hrss", "justice"),
    "wage_arrears": ("justice", "politics_law"),
    "neighbour": ("housing", "justice"),
    "family": ("civil_affairs", "justice"),
    "property": ("urban_management", "housing"),
    "consumer": ("justice", "politics_law"),
    "traffic": ("transport", "justice"),
    "legal_consult": ("justice", "court"),
    "enterprise": ("justice", "politics_law"),
    "counselling": ("civil_affairs", "womens_federation"),
    "women_children": ("civil_affairs", "justice"),
    "other": ("urban_management", "politics_law"),
    "petition": ("politics_law", "justice"),
    "medical": ("justice", "politics_law"),
    "land": ("agriculture", "justice"),
}


@dataclass(frozen=True)
class Plan:
    """One synthetic matter and how its story goes."""

    index: int
    category: str
    colour: str
    people: int
    area: str
    channel: str
    name: str
    phone: str
    amount: int
    visits: int
    flags: tuple[str, ...]
    returned: bool  # the first lead sends it back; the center re-refers it by hand
    reopened: bool  # the citizen is unsatisfied once; the lead resolves it again
    progress: bool  # the lead reports progress before resolving
    outcome: str

    def intake_argv(self) -> list[str]:
        title, description = SUBJECTS[self.category]
        argv = [
            "intake",
            "--category", self.category,
            "--title", title,
            "--description", description.format(p=self.people, a=self.amount),
            "--area", self.area,
            "--name", self.name,
            "--phone", self.phone,
            "--people", str(self.people),
            "--amount", str(self.amount),
            "--visits", str(self.visits),
            "--channel", self.channel,
        ]  # fmt: skip
        for flag in self.flags:
            argv += ["--flag", flag]
        return argv

    def open311_form(self, api_key: str) -> dict[str, str | list[str]]:
        """The same intake as an Open311 POST requests.json form (the channel is the key's)."""
        title, description = SUBJECTS[self.category]
        form: dict[str, str | list[str]] = {
            "api_key": api_key,
            "service_code": self.category,
            "description": description.format(p=self.people, a=self.amount),
            "last_name": self.name[0],
            "first_name": self.name[1:],
            "phone": self.phone,
            "attribute[title]": title,
            "attribute[area]": self.area,
            "attribute[people]": str(self.people),
            "attribute[amount]": str(self.amount),
            "attribute[visits]": str(self.visits),
        }
        if self.flags:
            form["attribute[flags][]"] = list(self.flags)
        return form


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_plans(count: int, seed: int, villages: Sequence[str], towns: Sequence[str]) -> list[Plan]:
    """The same `count` matters for the same seed."""
    rng = random.Random(seed)
    plans = []
    for index in range(count):
        category = _weighted(rng, CATEGORY_WEIGHTS)
        colour = _weighted(rng, COLOUR_WEIGHTS)
        low, high = PEOPLE[colour]
        people = rng.randint(low, high)
        area = rng.choice(towns) if rng.random() < 0.1 else rng.choice(villages)
        amount = rng.randrange(5_000, 95_000, 500) if category == "wage_arrears" else 0
        flags = (
            tuple(rng.sample(["elderly", "minors", "disability"], 1)) if rng.random() < 0.1 else ()
        )
        plans.append(
            Plan(
                index=index,
                category=category,
                colour=colour,
                people=people,
                area=area,
                channel=_weighted(rng, CHANNEL_WEIGHTS),
                name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                phone=f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}",
                amount=amount,
                visits=rng.choice((0, 0, 0, 1, 2)),
                flags=flags,
                returned=rng.random() < 0.10,
                reopened=rng.random() < 0.10,
                progress=rng.random() < 0.3,
                outcome=rng.choice(OUTCOMES),
            )
        )
    return plans


@dataclass(frozen=True)
class Act:
    """One action. `kind` is the CLI subcommand's name (`show` reads the matter)."""

    kind: str
    number: str | None = None
    department: str | None = None  # who acts (its token in the API); None: the center
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Await:
    """Wait for something to reach a receiver: `referral` (the lead's notice) or `feedback_link`
    (the citizen's message with the link), counted from receiver request `since` on."""

    what: str
    number: str
    since: int


Step = Act | Await
Story = Generator[Step, dict[str, Any], None]


def _expect(doc: dict[str, Any], status: str, what: str) -> None:
    if doc.get("status") != status:
        raise BenchError(
            f"{doc.get('number')}: after {what} status is {doc.get('status')!r}, "
            f"expected {status!r}"
        )


def story(plan: Plan, *, citizen_link: bool) -> Story:
    """One matter's life. With `citizen_link` the citizen answers through the link in the
    message they received (the API's route); else the center records the answer (the CLI's)."""
    got = yield Act("intake", fields={"plan": plan})
    number = got["number"]
    heard = yield Await("referral", number, got["since"])
    doc = yield Act("show", number, department=heard["lead"])
    lead, co = doc["lead_department"], list(doc["co_departments"])
    _expect(doc, "referred", "referral by the rules")
    if doc["colour"] != plan.colour:
        raise BenchError(f"{number}: graded {doc['colour']}, planned {plan.colour}")
    if plan.returned:
        yield Act("ack", number, lead)
        doc = yield Act("return", number, lead, {"reason": "不属本单位职责，请改派"})
        _expect(doc, "returned", "return")
        lead = next(
            d for d in (*REREFER[plan.category], "politics_law") if d != lead and d not in co
        )
        doc = yield Act("refer", number, None, {"lead": lead, "co": co})
        _expect(doc, "referred", "refer")
    yield Act("ack", number, lead)
    for c in co:
        yield Act("ack", number, c)
    if plan.progress:
        yield Act("progress", number, lead, {"note": "已约谈双方，正在调处"})
    for c in co:
        yield Act("report", number, c, {"note": "已配合核实情况"})
    answers = [False, True] if plan.reopened else [True]
    outcome, note = plan.outcome, "已依法依规处理"
    for satisfied in answers:
        doc = yield Act("resolve", number, lead, {"outcome": outcome, "note": note})
        _expect(doc, "resolved", "resolve")
        link = None
        if citizen_link:
            link = (yield Await("feedback_link", number, doc["since"]))["token"]
        comment = "满意" if satisfied else "问题仍未解决"
        doc = yield Act(
            "feedback", number, None, {"satisfied": satisfied, "comment": comment, "link": link}
        )
        _expect(doc, "closed" if satisfied else "in_progress", "feedback")
        outcome, note = "handled", "已再次督办落实"
