"""What the API says to people, in Chinese by default and English on `Accept-Language: en`.

The service layer refuses in English (the CLI's words); the API translates those refusals with
one table of patterns, so a clerk reading a Chinese answer never meets an English sentence for a
refusal the system knows. A refusal the table does not know keeps its English words, prefixed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic_core import ErrorDetails

from models.status import TransitionRefused, label

LANGUAGES = ("zh", "en")


def negotiate(header: str | None, default: str) -> str:
    """Pick zh or en from an Accept-Language header by quality; the installation's otherwise."""
    best, chosen = -1.0, default
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > best:
            best, chosen = quality, primary
    return chosen


# Every sentence the API itself says, as (Chinese, English) format strings.
MESSAGES: dict[str, tuple[str, str]] = {
    "required": ("必填", "is required"),
    "too_long": ("最多{max_length}个字符", "must have at most {max_length} characters"),
    "too_short": ("至少{min_length}个字符", "must have at least {min_length} characters"),
    "too_many": ("最多{max_length}项", "must have at most {max_length} items"),
    "pattern": ("格式不正确", "has the wrong form"),
    "integer": ("应为整数", "must be a whole number"),
    "number": ("应为数字", "must be a number"),
    "boolean": ("应为 true 或 false", "must be true or false"),
    "text": ("应为文本", "must be text"),
    "list": ("应为列表", "must be a list"),
    "object": ("应为 JSON 对象", "must be a JSON object"),
    "json": ("不是有效的 JSON", "is not valid JSON"),
    "extra": ("不认识这个字段", "is not a known field"),
    "at_least": ("不能小于{limit}", "must be at least {limit}"),
    "at_most": ("不能大于{limit}", "must be at most {limit}"),
    "above": ("必须大于{limit}", "must be greater than {limit}"),
    "below": ("必须小于{limit}", "must be less than {limit}"),
    "one_of": ("应为以下之一：{expected}", "must be one of: {expected}"),
    "datetime": (
        "应为 ISO-8601 时间，如 2026-11-26T09:30+08:00",
        "must be an ISO-8601 time such as 2026-11-26T09:30+08:00",
    ),
    "invalid": ("无效：{detail}", "is not valid: {detail}"),
    "empty": ("不能为空", "must not be empty"),
    "control": ("含有控制字符", "contains control characters"),
    "phone": (
        "“{value}”不是有效的电话号码（手机号为1开头的11位数字，固定电话如0472-1234567）",
        "'{value}' is not a mainland phone number "
        "(a mobile 1xxxxxxxxxx of 11 digits, or a landline such as 0472-1234567)",
    ),
    "id_number": (
        "不是有效的18位居民身份证号（请核对最后一位校验码）",
        "not a valid 18-character resident ID number (check the last character)",
    ),
    "birth_date": (
        "身份证号中的出生日期（{value}）不是真实日期",
        "the birth date in it ({value}) is not a real date",
    ),
    "number_form": ("编号格式应如 M20261126-0001", "a number looks like M20261126-0001"),
    "code_form": (
        "代码只能由字母、数字、下划线和点组成",
        "a code holds only letters, digits, '_' and '.'",
    ),
    "duration": (
        "时长应为正整数加单位：m 分钟、h 小时、d 自然日、wd 工作日，如 5wd",
        "a duration is a whole number and a unit: m, h, d or wd (working days), e.g. 5wd",
    ),
    # requests as a whole
    "invalid_input": ("输入有误：{problems}", "invalid input: {problems}"),
    "no_token": (
        "缺少访问令牌：请在 Authorization 请求头中提供 Bearer 令牌",
        "no token: send 'Authorization: Bearer <token>'",
    ),
    "bad_token": ("访问令牌无效", "the token is not valid"),
    "revoked_token": ("访问令牌已被吊销", "the token has been revoked"),
    "intake_token": (
        "此令牌只能用于 Open311 提交诉求",
        "this token may only submit Open311 service requests",
    ),
    "center_only": ("只有中心可以执行此操作", "only the center may do this"),
    "department_only": (
        "此操作由承办单位执行；中心使用分流和延期审批",
        "departments do this; the center refers and decides extensions",
    ),
    "not_found": ("没有编号为{number}的事项", "no matter numbered {number}"),
    "no_such_path": ("没有这个地址", "no such address"),
    "method": ("不支持此请求方法", "this method is not allowed here"),
    "too_large": (
        "请求内容过大（上限{limit}字节）",
        "the request body is too large (limit {limit} bytes)",
    ),
    "not_utf8": (
        "{field}：不是有效的 UTF-8 文本，请以 UTF-8 编码提交",
        "{field}: is not valid UTF-8 text; send it encoded as UTF-8",
    ),
    "not_utf8_field": ("不是有效的 UTF-8 文本", "is not valid UTF-8 text"),
    "store_down": (
        "数据库暂时无法访问，未写入任何内容，请稍后重试",
        "the store cannot be reached just now; nothing was written, try again shortly",
    ),
    "clock": (
        "X-Whistle-As-Of 仅在 WHISTLE_ALLOW_CLOCK_OVERRIDE=1 时可用",
        "X-Whistle-As-Of is accepted only when WHISTLE_ALLOW_CLOCK_OVERRIDE=1",
    ),
    "clock_value": (
        "X-Whistle-As-Of 应为带时区的 ISO-8601 时间",
        "X-Whistle-As-Of must be an ISO-8601 time with a time zone",
    ),
    "idempotency_mismatch": (
        "该 Idempotency-Key 已用于另一个请求",
        "this Idempotency-Key was already used for a different request",
    ),
    "idempotency_pending": (
        "使用该 Idempotency-Key 的第一个请求仍在处理，请稍后重试",
        "the first request with this Idempotency-Key is still being processed; try again shortly",
    ),
    "unknown_department": ("没有代码为“{code}”的单位", "unknown department '{code}'"),
    "stage_pending": (
        "已记录；后续流程未能完成，下一次巡检会补完",
        "recorded; the follow-up flow did not finish, the next sweep completes it",
    ),
    "stage_done": ("已记录，后续流程已完成", "recorded; the follow-up flow finished"),
    "stage_queued": (
        "已记录，后续流程已交由后台处理",
        "recorded; the follow-up flow was handed to a worker",
    ),
    # Open311
    "api_key": ("api_key 无效或缺失", "api_key is missing or not valid"),
    "api_key_scope": (
        "此 api_key 不能提交诉求（请使用中心或受理渠道的令牌）",
        "this api_key cannot submit requests (use the center's or an intake channel's token)",
    ),
    "unknown_service": ("没有编码为“{code}”的服务", "no service with the code '{code}'"),
    "unknown_request": ("没有编号为“{id}”的诉求", "no service request numbered '{id}'"),
    "name_required": (
        "请提供反映人姓名（last_name 和/或 first_name）",
        "the person's name is required (last_name and/or first_name)",
    ),
    "unknown_area": (
        "没有“{area}”这一区域（请用镇街或村社区的编码或名称）",
        "unknown area '{area}' (use a town or village code, or its name)",
    ),
    "no_location": (
        "无法确定所在区域：请在 address_string 中写明镇街或村社区名称，或提供 attribute[area]"
        "（配置中没有坐标，仅凭 lat/long 无法定位）",
        "cannot place the request: name a town or village in address_string, or give "
        "attribute[area] (the configuration has no coordinates, so lat/long alone cannot)",
    ),
    "bad_status_filter": ("status 只能是 open 或 closed", "status must be open or closed"),
    "received_notice": (
        "已受理，事项编号{number}，我们会尽快办理并告知结果",
        "received as {number}; you will be told how it is handled",
    ),
    "year": ("年份应在{first}至{last}之间", "the year must be between {first} and {last}"),
    "window": ("end_date 不能早于 start_date", "end_date must not be before start_date"),
    # the citizen's feedback link
    "link_invalid": ("链接无效，请核对短信中的链接", "this link is not valid; check the link"),
    "link_used": ("该评价链接已使用过，感谢您的反馈", "this link was already used; thank you"),
    "link_expired": (
        "评价链接已于{when}过期",
        "this link expired on {when}",
    ),
    "link_superseded": (
        "该链接已失效：事项已重新办理，请使用最新通知中的链接",
        "this link no longer applies: the matter was handled again; use the newest notice's link",
    ),
    "feedback_thanks_closed": (
        "感谢您的评价，事项{number}已结案",
        "thank you; matter {number} is closed",
    ),
    "feedback_thanks_reopened": (
        "感谢您的评价，事项{number}已重新交办理单位办理",
        "thank you; matter {number} goes back to the department to be handled again",
    ),
}


def say(lang: str, key: str, **values: Any) -> str:
    """One message in the caller's language."""
    zh, en = MESSAGES[key]
    return (en if lang == "en" else zh).format(**values)


# --- pydantic validation errors ---------------------------------------------------------------

_PLAIN: dict[str, str] = {
    "missing": "required",
    "string_pattern_mismatch": "pattern",
    "int_parsing": "integer",
    "int_type": "integer",
    "int_from_float": "integer",
    "float_parsing": "number",
    "float_type": "number",
    "finite_number": "number",
    "bool_parsing": "boolean",
    "bool_type": "boolean",
    "string_type": "text",
    "string_unicode": "text",
    "list_type": "list",
    "dict_type": "object",
    "model_type": "object",
    "model_attributes_type": "object",
    "json_invalid": "json",
    "json_type": "json",
    "extra_forbidden": "extra",
    "datetime_parsing": "datetime",
    "datetime_from_date_parsing": "datetime",
    "datetime_type": "datetime",
}

# English ValueErrors raised by whistle/inputs.py validators, recognised by their words.
_VALUE_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^it is empty$"), "empty"),
    (re.compile(r"^it contains control characters$"), "control"),
    (re.compile(r"^'(?P<value>.*)' is not a mainland phone number"), "phone"),
    (re.compile(r"^not a valid 18-character resident ID number"), "id_number"),
    (re.compile(r"^the birth date in it \((?P<value>[^)]*)\) is not a real date"), "birth_date"),
]


def field_name(loc: tuple[int | str, ...]) -> str:
    """'body.note' → 'note'; a header keeps its own spelling; a place in unreadable JSON is
    the body."""
    if len(loc) == 2 and loc[0] == "body" and isinstance(loc[1], int):
        return "body"
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "form"):
        if parts[0] == "header" and len(parts) > 1:
            return "-".join(w.capitalize() for w in parts[1].split("-"))
        parts = parts[1:]
    return ".".join(parts) or "body"


# Fields whose form is checked by a pattern, and what the form is in words.
_FORMS = {"length": "duration", "number": "number_form", "service_request_id": "number_form"}
_FORMS |= {"lead": "code_form", "co": "code_form", "department": "code_form"}
_FORMS |= {"service_code": "code_form", "token": "link_invalid"}


def error_message(error: ErrorDetails, lang: str) -> str:
    """One pydantic error in the caller's language."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "whistle":  # our own validators carry both languages
        return str(ctx.get(lang) or ctx.get("en") or error["msg"])
    if kind == "string_pattern_mismatch":
        names = [str(p) for p in error["loc"] if not isinstance(p, int)]
        return say(lang, _FORMS.get(names[-1] if names else "", "pattern"))
    if kind in _PLAIN:
        return say(lang, _PLAIN[kind])
    if kind in ("string_too_long", "too_long"):
        key = "too_long" if kind == "string_too_long" else "too_many"
        return say(lang, key, max_length=ctx.get("max_length", "?"))
    if kind in ("string_too_short", "too_short"):
        if ctx.get("min_length") == 1:
            return say(lang, "empty")
        return say(lang, "too_short", min_length=ctx.get("min_length", "?"))
    bounds = {"greater_than_equal": ("at_least", "ge"), "less_than_equal": ("at_most", "le")}
    bounds |= {"greater_than": ("above", "gt"), "less_than": ("below", "lt")}
    if kind in bounds:
        key, name = bounds[kind]
        return say(lang, key, limit=ctx.get(name, "?"))
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("'", "")
        return say(
            lang, "one_of", expected=expected if lang == "en" else expected.replace(" or ", ", ")
        )
    if kind == "value_error":
        text = str(error["msg"]).removeprefix("Value error, ")
        for pattern, key in _VALUE_ERRORS:
            match = pattern.match(text)
            if match:
                return say(lang, key, **match.groupdict())
        return text if lang == "en" else say(lang, "invalid", detail=text)
    return str(error["msg"]) if lang == "en" else say(lang, "invalid", detail=error["msg"])


# --- refusals from the service layer ----------------------------------------------------------

_ACTIONS_ZH = {
    "refer": "分流",
    "acknowledge": "签收",
    "progress": "报告进展",
    "return": "退回",
    "report": "报送",
    "resolve": "办结",
    "satisfied": "评价满意",
    "unsatisfied": "评价不满意",
    "no_feedback": "按未反馈结案",
}

Namer = Callable[[str], str]

# (pattern, Chinese template, groups that name departments). Groups are filled in as matched;
# department codes become names.
_REFUSALS: list[tuple[re.Pattern[str], str, tuple[str, ...]]] = [
    (re.compile(r"^no matter numbered (?P<n>.+)$"), "没有编号为{n}的事项", ()),
    (
        re.compile(r"^(?P<m>\S+): department (?P<d>\S+) is not assigned to this matter$"),
        "{m}：{d}不是该事项的承办单位",
        ("d",),
    ),
    (
        re.compile(r"^(?P<m>\S+): (?P<d>\S+) leads this matter; the lead resolves it"),
        "{m}：{d}是主办单位，由主办单位办结；协办单位才报送",
        ("d",),
    ),
    (
        re.compile(r"^(?P<m>\S+): only the lead department \((?P<d>[^)]*)\) resolves"),
        "{m}：只有主办单位（{d}）可以办结，协办单位请报送",
        ("d",),
    ),
    (
        re.compile(r"^(?P<m>\S+): co-handler\(s\) (?P<d>.+) have not reported yet$"),
        "{m}：协办单位{d}尚未报送",
        ("d",),
    ),
    (
        re.compile(r"^(?P<m>\S+): (?P<d>\S+)'s part is (?P<s>\S+); nothing to extend$"),
        "{m}：{d}的办理部分状态为{s}，无需延期",
        ("d",),
    ),
    (
        re.compile(r"^(?P<m>\S+): (?P<d>\S+) already has an extension request waiting$"),
        "{m}：{d}已有待审批的延期申请",
        ("d",),
    ),
    (
        re.compile(r"^(?P<m>\S+): (?P<d>\S+) has no extension request waiting$"),
        "{m}：{d}没有待审批的延期申请",
        ("d",),
    ),
    (
        re.compile(r"^length: at most (?P<x>\S+) for (?P<c>\S+)$"),
        "length：{c}类事项每次延期最长{x}",
        (),
    ),
    (
        re.compile(r"^(?P<m>\S+): (?P<c>\S+) may be extended (?P<k>\d+) time\(s\) only$"),
        "{m}：{c}类事项只能延期{k}次",
        (),
    ),
    (re.compile(r"^length: .*$"), "length：" + MESSAGES["duration"][0], ()),
    (
        re.compile(r"^(?P<m>\S+) is already referred to exactly these departments$"),
        "{m}已交由这些单位办理，无需重复分流",
        (),
    ),
    (
        re.compile(r"^department: (?P<d>\S+) cannot be lead and co-handler at once$"),
        "department：{d}不能同时是主办和协办单位",
        ("d",),
    ),
    (
        re.compile(r"^department: unknown department '(?P<d>.*)'$"),
        "department：没有代码为“{d}”的单位",
        (),
    ),
    (
        re.compile(r"^category: unknown category '(?P<c>.*)' \(known: (?P<k>.*)\)$"),
        "category：没有“{c}”这一类别（可选：{k}）",
        (),
    ),
    (re.compile(r"^area: unknown area '(?P<a>.*)' "), "area：没有“{a}”这一区域", ()),
    (
        re.compile(r"^flag: unknown flag\(s\) (?P<f>.*) \(known: (?P<k>.*)\)$"),
        "flag：不认识的风险标识{f}（可选：{k}）",
        (),
    ),
    (
        re.compile(r"^channel: unknown channel '(?P<c>.*)' \(known: (?P<k>.*)\)$"),
        "channel：不认识的来源渠道“{c}”（可选：{k}）",
        (),
    ),
    (
        re.compile(r"^outcome: unknown outcome '(?P<o>.*)' \(known: (?P<k>.*)\)$"),
        "outcome：不认识的办理结果“{o}”（可选：{k}）",
        (),
    ),
    (re.compile(r"^could not allocate a matter number"), "暂时无法分配事项编号，请重试", ()),
    (re.compile(r"^the store refused the change"), "数据库拒绝了这次修改，未写入任何内容", ()),
    (
        re.compile(r"^no routing rule resolves for category (?P<c>\S+) at (?P<t>\S+) tier"),
        "没有适用于该事项的分流规则（{c}，{t}），请由中心手动分流",
        (),
    ),
    (re.compile(r"^(?P<f>\w+): it is empty$"), "{f}：不能为空", ()),
    (re.compile(r"^(?P<f>\w+): it contains control characters$"), "{f}：含有控制字符", ()),
    (
        re.compile(r"^(?P<f>\w+): must have at most (?P<n>\d+) characters$"),
        "{f}：最多{n}个字符",
        (),
    ),
]

FIELD_PREFIX = re.compile(r"^(?P<field>[a-z_]+): ")


def refusal_field(message: str) -> str | None:
    """The input field a service refusal is about ('outcome: …' → 'outcome'), if any."""
    match = FIELD_PREFIX.match(message)
    return match.group("field") if match else None


def refusal_message(exc: Exception, lang: str, name: Namer) -> str:
    """A service refusal in the caller's language; department codes become names in Chinese."""
    if isinstance(exc, TransitionRefused):
        return _transition(exc, lang, name)
    text = str(exc)
    if lang == "en":
        return text
    for pattern, template, departments in _REFUSALS:
        match = pattern.match(text)
        if match:
            values = match.groupdict()
            for group in departments:
                values[group] = "、".join(name(d.strip()) for d in values[group].split(","))
            return template.format(**values)
    return f"操作被拒绝：{text}"


def _transition(exc: TransitionRefused, lang: str, name: Namer) -> str:
    if lang == "en":
        return str(exc)
    number, _, department = exc.subject.partition("/")
    kind = "assignment" if department else "status"
    who = f"{number}（{name(department)}）" if department else number
    text = (
        f"{who}：当前状态为“{label(exc.status, kind, 'zh')}”，"
        f"不能{_ACTIONS_ZH.get(exc.action, exc.action)}"
    )
    hint = str(exc).partition(" (")[2].rstrip(")")
    if hint == "acknowledge it first":
        text += "（请先签收）"
    elif hint == "the matter is closed":
        text += "（事项已结案）"
    elif hint.startswith("allowed now: "):
        allowed = [
            _ACTIONS_ZH.get(a.strip(), a) for a in hint.removeprefix("allowed now: ").split(",")
        ]
        text += f"（现在可以：{'、'.join(allowed)}）"
    return text
