"""Notice text: every kind in both languages, from the context the outbox really builds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import escape

from models.tables import Assignment, Citizen, Matter
from notifications.kinds import NoticeKind
from notifications.render import LANGUAGES, Rendered, as_html, environment, linkify, render
from service.app import App, build_app
from service.notices.outbox import notice_context
from service.settings import Settings
from service.store.db import create_schema, session

ROOT = Path(__file__).resolve().parents[2]

NUMBER = "M20261126-0007"
NAME = "王建国"
PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"
MASKED_NAME = "王**"
MASKED_PHONE = "139****5678"
LEAD = "T01V01.mediation"
CO = "womens_federation"
LINK_BASE = "https://whistle.example.gov.cn"

# Thursday 2026-11-26 09:00 in Asia/Shanghai; windows of the yellow colour (1wd / 10wd / 8wd).
RECEIVED = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
ACK_DUE = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # Friday 09:00 local
DUE = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)  # ten working days later, 09:00 local
FEEDBACK_DUE = datetime(2026, 12, 17, 1, 0, tzinfo=UTC)

COLOUR_WORD = {"zh": "黄色", "en": "yellow"}
CATEGORY = {"zh": "婚姻家庭纠纷", "en": "Marriage and family dispute"}
WINDOW_WORDS = {"zh": ("个工作日", "顺延"), "en": ("working day",)}
ACK_DUE_TEXT = {"zh": "2026年11月27日 09:00", "en": "2026-11-27 09:00 (Asia/Shanghai)"}
DUE_TEXT = {"zh": "2026年12月10日 09:00", "en": "2026-12-10 09:00 (Asia/Shanghai)"}

# kind -> (recipient, role of the assignment passed or None, extras for notice_context)
SCENARIOS: dict[NoticeKind, tuple[str, str | None, dict[str, Any]]] = {
    NoticeKind.referral: (LEAD, "lead", {"co": [CO]}),
    NoticeKind.co_handling: (CO, "co", {"co": [CO]}),
    NoticeKind.returned: (
        "center",
        None,
        {"department": LEAD, "reason": f"{NAME}（{PHONE}）所述属劳动争议，非本会职责"},
    ),
    NoticeKind.resolution: ("center", None, {"department": LEAD}),
    NoticeKind.feedback_request: ("citizen", None, {"department": LEAD}),
    NoticeKind.reopened: (
        LEAD,
        "lead",
        {"comment": f"我是{NAME}，调解后对方仍不履行，电话{PHONE}"},
    ),
    NoticeKind.closing: (LEAD, None, {"closing": "satisfied", "comment": f"{NAME}表示满意"}),
    NoticeKind.reminder: (LEAD, "lead", {"clock": "acknowledge", "due": ACK_DUE}),
    NoticeKind.urging: (
        f"{LEAD}/head",
        "lead",
        {"clock": "resolve", "due": DUE, "department": LEAD},
    ),
    NoticeKind.supervision: (
        "center/leadership",
        "lead",
        {"clock": "resolve", "due": DUE, "department": LEAD},
    ),
    NoticeKind.circulated: (
        "politics_law/leadership",
        "lead",
        {"clock": "resolve", "due": DUE, "department": LEAD},
    ),
    NoticeKind.extension_request: (
        "center",
        None,
        {"department": LEAD, "reason": "需等待鉴定结果", "length": "5个工作日", "due": DUE},
    ),
    NoticeKind.extension_decision: (
        LEAD,
        None,
        {"approved": True, "reason": "同意延期五个工作日", "due": DUE},
    ),
}
# The digest is about a department's whole queue, not one matter: tested on its own below.
MATTER_KINDS = [k for k in NoticeKind if k is not NoticeKind.digest]
DEPARTMENT_KINDS = [k for k in MATTER_KINDS if SCENARIOS[k][0] != "citizen"]
WINDOW_KINDS = [k for k in MATTER_KINDS if SCENARIOS[k][1] is not None]


def test_scenarios_cover_every_kind() -> None:
    assert set(SCENARIOS) | {NoticeKind.digest} == set(NoticeKind)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    folder = tmp_path_factory.mktemp("store")
    settings = Settings(
        config=ROOT / "config",
        database_url=f"sqlite:///{folder / 'x.db'}",
        link_base=LINK_BASE,
        language="zh",
    )
    return build_app(settings)


def citizen() -> Citizen:
    return Citizen(id=1, name=NAME, phone=PHONE, id_number=ID_NUMBER, created_at=RECEIVED)


def matter() -> Matter:
    return Matter(
        id=1,
        number=NUMBER,
        citizen_id=1,
        category="family",
        title=f"{NAME}（{PHONE}）与配偶家庭纠纷",
        description=(
            f"反映人{NAME}（身份证号{ID_NUMBER}，电话{PHONE}）称与配偶因赡养老人问题"
            "多次争吵，请求村调委会调解。"
        ),
        channel="walk_in",
        area="T01V01",
        town="T01",
        village="T01V01",
        tier="village",
        colour="yellow",
        people=2,
        status="resolved",
        lead_department=LEAD,
        outcome="mediated",
        outcome_note=f"经调解双方达成协议，已电话告知{NAME}（{PHONE}）。",
        feedback_due=FEEDBACK_DUE,
        created_at=RECEIVED,
        updated_at=RECEIVED,
    )


def assignment(role: str) -> Assignment:
    return Assignment(
        id=1 if role == "lead" else 2,
        matter_id=1,
        department=LEAD if role == "lead" else CO,
        role=role,
        status="referred",
        assigned_at=RECEIVED,
        ack_due=ACK_DUE,
        due=DUE,
    )


def context_for(app: App, kind: NoticeKind, language: str) -> dict[str, Any]:
    recipient, role, extra = SCENARIOS[kind]
    return notice_context(
        app,
        matter(),
        citizen(),
        recipient=recipient,
        language=language,
        assignment=assignment(role) if role else None,
        **dict(extra),
    )


def rendered(app: App, kind: NoticeKind, language: str) -> Rendered:
    return render(kind, context_for(app, kind, language), language=language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", MATTER_KINDS, ids=str)
def test_every_kind_renders_in_both_languages(app: App, kind: NoticeKind, language: str) -> None:
    text = rendered(app, kind, language)
    assert text.subject.strip()
    assert text.body.strip()
    assert "\n" not in text.subject
    assert NUMBER in text.subject
    assert NUMBER in text.body
    whole = text.subject + "\n" + text.body
    # departments see the warning colour; the citizen is not shown the internal grade
    assert (COLOUR_WORD[language] in whole) == (kind is not NoticeKind.feedback_request)
    # nothing left unrendered
    assert "{{" not in whole and "{%" not in whole
    if kind is not NoticeKind.feedback_request:
        assert CATEGORY[language] in text.body
        # a department's own part gets its signed link (web/); anyone else the matter's page
        recipient, role, _ = SCENARIOS[kind]
        own = bool(role) and recipient.partition("/")[0] == (LEAD if role == "lead" else CO)
        link = f"{LINK_BASE}/link/{NUMBER}." if own else f"{LINK_BASE}/matters/{NUMBER}"
        assert link in text.body


TEMPLATES = ROOT / "notifications" / "templates"
_LEADING_TAGS = re.compile(r"^\s*(\{%.*?%\}\s*)+")


def line_labels(language: str, kind: NoticeKind) -> list[str]:
    """The labels ('事项标题：', 'Resolve by:') that begin a line of the kind's body template or
    of the partial it includes: the text before the line's first variable."""
    source = (TEMPLATES / language / f"{kind.value}.txt").read_text(encoding="utf-8")
    body = source.split("{% block body %}", 1)[1].rsplit("{% endblock %}", 1)[0]
    if "_matter.txt" in body:
        body += "\n" + (TEMPLATES / language / "_matter.txt").read_text(encoding="utf-8")
    labels = []
    for line in body.splitlines():
        literal = re.split(r"\{[{%#]", _LEADING_TAGS.sub("", line), maxsplit=1)[0].strip()
        if literal.endswith(("：", ":")):
            labels.append(literal)
    return labels


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", MATTER_KINDS, ids=str)
def test_every_line_of_every_kind_stays_on_its_own_line(
    app: App, kind: NoticeKind, language: str
) -> None:
    """Each label that begins a line in the template begins a line in the notice: no include
    or tag may run two lines together (事项标题：…反映人：… was one line)."""
    context = context_for(app, kind, language)
    lines = render(kind, context, language=language).body.splitlines()
    labels = line_labels(language, kind)
    assert labels, "every kind has labelled lines"
    for label in labels:
        for line in lines:
            if label in line:
                assert line.startswith(label), f"{label!r} in the middle of {line!r}"
    if kind is not NoticeKind.feedback_request:  # the matter's block: each line whole
        block = environment().get_template(f"{language}/_matter.txt").render(context)
        for part in block.strip().splitlines():
            assert part in lines, f"{part!r} is not a line of its own in {lines!r}"
        title = next(line for line in lines if context["title"] in line)
        assert title.endswith(context["title"]), title


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", DEPARTMENT_KINDS, ids=str)
def test_departments_see_the_citizen_masked(app: App, kind: NoticeKind, language: str) -> None:
    text = rendered(app, kind, language)
    whole = text.subject + "\n" + text.body
    assert MASKED_NAME in whole
    assert MASKED_PHONE in whole
    for secret in (NAME, PHONE, ID_NUMBER):
        assert secret not in whole


@pytest.mark.parametrize(
    ("kind", "lines"),
    [
        (NoticeKind.referral, ["反映人：王**，联系电话：139****5678", "身份证号[身份证号已隐藏]"]),
        (NoticeKind.co_handling, ["反映人：王**，联系电话：139****5678"]),
        (NoticeKind.returned, ["退回理由：王**（139****5678）所述属劳动争议"]),
        (NoticeKind.resolution, ["办理情况：经调解双方达成协议，已电话告知王**（139****5678）"]),
        (NoticeKind.reopened, ["反映人意见：我是王**，调解后对方仍不履行，电话139****5678"]),
        (NoticeKind.closing, ["反映人意见：王**表示满意", "结案原因：反映人满意"]),
    ],
    ids=lambda v: str(v) if isinstance(v, NoticeKind) else "",
)
def test_free_text_is_redacted_where_it_is_shown(
    app: App, kind: NoticeKind, lines: list[str]
) -> None:
    body = rendered(app, kind, "zh").body
    for line in lines:
        assert line in body


@pytest.mark.parametrize(
    ("language", "greeting"), [("zh", f"{NAME}您好："), ("en", f"Dear {NAME},")]
)
def test_citizen_is_addressed_by_full_name(app: App, language: str, greeting: str) -> None:
    text = rendered(app, NoticeKind.feedback_request, language)
    assert text.body.splitlines()[0] == greeting
    assert MASKED_NAME not in text.body
    # their own title, unmasked, and where to answer
    assert f"{NAME}（{PHONE}）与配偶家庭纠纷" in text.body
    assert f"{LINK_BASE}/feedback/{NUMBER}" in text.body


@pytest.mark.parametrize(
    ("language", "parts"),
    [
        ("zh", ["已由和平社区人民调解委员会办结", "调解成功", "2026年12月17日 09:00前"]),
        (
            "en",
            [
                "resolved by Heping Community People's Mediation Committee",
                "Outcome: mediated",
                "by 2026-12-17 09:00 (Asia/Shanghai)",
            ],
        ),
    ],
)
def test_feedback_request_names_department_outcome_and_deadline(
    app: App, language: str, parts: list[str]
) -> None:
    body = rendered(app, NoticeKind.feedback_request, language).body
    for part in parts:
        assert part in body


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", WINDOW_KINDS, ids=str)
def test_working_day_windows_are_spelled_out(app: App, kind: NoticeKind, language: str) -> None:
    body = rendered(app, kind, language).body
    for words in WINDOW_WORDS[language]:
        assert words in body
    # the notice names the due time of the clock it is about
    ack_clock = kind in (NoticeKind.referral, NoticeKind.co_handling, NoticeKind.reminder)
    assert (ACK_DUE_TEXT if ack_clock else DUE_TEXT)[language] in body


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "zh",
            "签收时限：2026年11月27日 09:00前（1个工作日，不含交办当日，遇周末及法定节假日顺延）",
        ),
        (
            "en",
            "Acknowledge by: 2026-11-27 09:00 (Asia/Shanghai) (1 working day, not counting the "
            "day of referral, weekends or public holidays)",
        ),
    ],
)
def test_referral_acknowledgement_line(app: App, language: str, expected: str) -> None:
    assert expected in rendered(app, NoticeKind.referral, language).body


@pytest.mark.parametrize(
    ("kind", "zh_window", "en_window"),
    [
        (NoticeKind.referral, "办结时限：2026年12月10日 09:00前（10个工作日", "10 working days"),
        (NoticeKind.co_handling, "报送时限：2026年12月10日 09:00前（8个工作日", "8 working days"),
        (NoticeKind.reopened, "办结时限：2026年12月10日 09:00前（10个工作日", "10 working days"),
    ],
    ids=lambda v: str(v) if isinstance(v, NoticeKind) else "",
)
def test_due_window_by_role(app: App, kind: NoticeKind, zh_window: str, en_window: str) -> None:
    assert zh_window in rendered(app, kind, "zh").body
    assert en_window in rendered(app, kind, "en").body


@pytest.mark.parametrize(
    ("language", "joined"), [("zh", "协办单位：妇联"), ("en", "Co-handling: Women's Federation")]
)
def test_referral_lists_co_handlers_and_omits_the_line_without_them(
    app: App, language: str, joined: str
) -> None:
    context = context_for(app, NoticeKind.referral, language)
    assert joined in render(NoticeKind.referral, context, language=language).body
    context["co"] = []
    body = render(NoticeKind.referral, context, language=language).body
    assert joined.split("：")[0].split(":")[0] not in body


@pytest.mark.parametrize("language", LANGUAGES)
def test_closing_without_comment_has_no_comment_line(app: App, language: str) -> None:
    context = notice_context(
        app,
        matter(),
        citizen(),
        recipient=LEAD,
        language=language,
        closing="no_feedback",
        comment="",
    )
    body = render(NoticeKind.closing, context, language=language).body
    assert ("反映人意见" if language == "zh" else "comment") not in body
    assert ("逾期未反馈" if language == "zh" else "no feedback in time") in body


# --- strictness and the language --------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", MATTER_KINDS, ids=str)
@pytest.mark.parametrize("missing", ["number", "title"])
def test_missing_variable_is_an_error(
    app: App, kind: NoticeKind, language: str, missing: str
) -> None:
    context = context_for(app, kind, language)
    del context[missing]
    with pytest.raises(jinja2.UndefinedError, match=missing):
        render(kind, context, language=language)


@pytest.mark.parametrize(
    ("kind", "missing"),
    [
        (NoticeKind.closing, "comment"),  # used only in an {% if %}: still required
        (NoticeKind.referral, "co"),
        (NoticeKind.co_handling, "lead"),
        (NoticeKind.returned, "reason"),
        (NoticeKind.feedback_request, "feedback_link"),
    ],
    ids=lambda v: str(v),
)
def test_kind_specific_variable_is_required(app: App, kind: NoticeKind, missing: str) -> None:
    context = context_for(app, kind, "zh")
    del context[missing]
    with pytest.raises(jinja2.UndefinedError):
        render(kind, context, language="zh")


@pytest.mark.parametrize("language", ["fr", "ZH", "zh-CN", ""])
def test_unknown_language_is_refused(app: App, language: str) -> None:
    context = context_for(app, NoticeKind.referral, "zh")
    with pytest.raises(ValueError, match="unknown notice language"):
        render(NoticeKind.referral, context, language=language)


# --- district overrides -----------------------------------------------------------------------

OVERRIDE = (
    "{% block subject %}【区中心】{{ number }} 请{{ recipient }}主办{% endblock %}\n"
    "{% block body %}\n"
    "{{ recipient }}：本区格式。\n"
    '{% include "zh/_matter.txt" %}\n'
    "{% endblock %}\n"
)


def test_district_override_wins(app: App, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    (folder / "zh").mkdir(parents=True)
    (folder / "zh" / "referral.txt").write_text(OVERRIDE, encoding="utf-8")
    context = context_for(app, NoticeKind.referral, "zh")

    text = render(NoticeKind.referral, context, language="zh", override_folder=folder)

    assert text.subject == f"【区中心】{NUMBER} 请和平社区人民调解委员会主办"
    assert text.body.startswith("和平社区人民调解委员会：本区格式。")
    assert f"事项编号：{NUMBER}" in text.body  # the packaged partial is still found
    assert "区社会治理中心吹哨" not in text.body
    # other kinds and the other language fall back to the packaged templates
    packaged = render(NoticeKind.referral, context, language="zh")
    assert packaged.body.splitlines()[1].startswith("区社会治理中心吹哨")
    en = render(
        NoticeKind.referral,
        context_for(app, NoticeKind.referral, "en"),
        language="en",
        override_folder=folder,
    )
    assert en == rendered(app, NoticeKind.referral, "en")
    co = render(
        NoticeKind.co_handling,
        context_for(app, NoticeKind.co_handling, "zh"),
        language="zh",
        override_folder=folder,
    )
    assert co == rendered(app, NoticeKind.co_handling, "zh")


def test_district_override_of_the_shared_partial(app: App, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    (folder / "zh").mkdir(parents=True)
    (folder / "zh" / "_matter.txt").write_text(
        "编号 {{ number }}（{{ colour }}）", encoding="utf-8"
    )
    context = context_for(app, NoticeKind.returned, "zh")
    body = render(NoticeKind.returned, context, language="zh", override_folder=folder).body
    assert f"编号 {NUMBER}（黄）" in body
    assert "事项编号" not in body


def test_missing_override_folder_falls_back(app: App, tmp_path: Path) -> None:
    context = context_for(app, NoticeKind.referral, "zh")
    text = render(
        NoticeKind.referral, context, language="zh", override_folder=tmp_path / "no_templates"
    )
    assert text == render(NoticeKind.referral, context, language="zh")


# --- email (HTML) and the digest --------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", MATTER_KINDS, ids=str)
def test_email_form_escapes_markup_from_free_text(
    app: App, kind: NoticeKind, language: str
) -> None:
    context = context_for(app, kind, language)
    context["title"] = '<script>alert("x")</script>&<b>加粗</b>'
    context["description"] = '楼上<img src=x onerror="alert(1)">漏水'
    text = render(kind, context, language=language)
    html = as_html(text, language=language)
    if kind in (NoticeKind.referral, NoticeKind.co_handling):
        assert "<img" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert html.startswith("<!DOCTYPE html>")
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&amp;&lt;b&gt;" in html
    assert str(escape(text.subject)) in html
    assert (
        f'href="{LINK_BASE}/matters/{NUMBER}"' in html
        or f'href="{LINK_BASE}/link/{NUMBER}.' in html
        or kind is NoticeKind.feedback_request
    )


def test_digest_lists_waiting_handling_and_overdue(tmp_path: Path) -> None:
    from service.notices.outbox import enqueue_digest

    app = build_app(Settings(config=ROOT / "config", database_url=f"sqlite:///{tmp_path / 'd.db'}"))
    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

    items = [
        {
            "number": "M20261126-0001",
            "category": "labour",
            "colour": "red",
            "role": "lead",
            "status": "referred",
            "due": ACK_DUE,
        },
        {
            "number": "M20261126-0002",
            "category": "family",
            "colour": "green",
            "role": "co",
            "status": "acknowledged",
            "due": DUE,
        },
    ]
    create_schema(app.engine)
    with session(app.engine) as s:
        notice = enqueue_digest(s, app, department="hrss", items=items, now=now)
        s.commit()
        again = enqueue_digest(s, app, department="hrss", items=items, now=now)
    assert notice is not None
    assert again is None  # once per department and local day
    assert notice.matter_id is None and notice.key == "digest:20261127:hrss"
    assert "M20261126-0001" in notice.body and "M20261126-0002" in notice.body
    assert notice.language == "zh"  # the sample's channels speak Chinese
    assert "待签收1件" in notice.subject and "办理中1件" in notice.subject
    assert "超时1件" in notice.subject
    overdue_mark = "【已超时】"
    first, second = (line for line in notice.body.splitlines() if "M2026112" in line)
    assert overdue_mark in first and overdue_mark not in second
    assert notice.html is not None and "M20261126-0001" in notice.html


@pytest.mark.parametrize(
    ("line", "link"),
    [
        ("事项标题：见https://a.gov.cn/x?id=1&k=2，请核实", "https://a.gov.cn/x?id=1&amp;k=2"),
        ("办理入口：https://a.gov.cn/m/M1\u3000下一项", "https://a.gov.cn/m/M1"),
        ("标题 https://a.gov.cn/p的问题（已转）", "https://a.gov.cn/p"),
        ("Act here: https://a.gov.cn/m/M1. Thanks", "https://a.gov.cn/m/M1"),
        ("（https://a.gov.cn/q）", "https://a.gov.cn/q"),
        ("链接：https://a.gov.cn/r。", "https://a.gov.cn/r"),
    ],
)
def test_a_link_stops_at_whitespace_and_full_width_punctuation(line: str, link: str) -> None:
    html = str(linkify(line))
    assert f'<a href="{link}">{link}</a>' in html
    assert html.count("<a ") == 1
    text_after = html.split("</a>", 1)[1]
    assert "href" not in text_after


def test_email_link_in_a_title_does_not_swallow_the_next_line(app: App) -> None:
    context = context_for(app, NoticeKind.referral, "zh")
    context["title"] = "详见 https://a.gov.cn/notice"
    html = as_html(render(NoticeKind.referral, context, language="zh"), language="zh")
    assert '<a href="https://a.gov.cn/notice">https://a.gov.cn/notice</a></p>' in html
    assert "反映人：" in html.split("https://a.gov.cn/notice</a></p>", 1)[1]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_digest_keeps_each_line_whole(language: str) -> None:
    """The digest too: a heading, then one line per matter, then the link, each on its own."""
    item = {"category": "C", "colour": "K", "role": "R", "due": "D", "overdue": False}
    context = {
        "recipient": "人社",
        "as_of": "T",
        "waiting": [{"number": "M1"} | item, {"number": "M2"} | item | {"overdue": True}],
        "handling": [{"number": "M3"} | item],
        "overdue_count": 1,
        "link": "https://q.example/queue",
    }
    lines = render(NoticeKind.digest, context, language=language).body.splitlines()
    numbered = [line for line in lines if line.startswith("- M")]
    assert [line.split()[1] for line in numbered] == ["M1", "M2", "M3"]
    assert all(line.count("- M") <= 1 for line in lines)
    assert lines[-1].endswith("https://q.example/queue") and "- M" not in lines[-1]
    for label in line_labels(language, NoticeKind.digest):
        assert all(line.startswith(label) for line in lines if label in line), label
