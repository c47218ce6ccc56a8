"""Every word the workbench pages show, in Chinese (the default) and English.

Pages, templates and routes get their words only from here: `say(code, lang, **params)` for
sentences and labels of the pages, `label(kind, value, lang)` for the values of closed sets
(statuses, roles, colours, levels, outcomes, timeline steps), and `refusal(exc, lang, app)` /
`field_problems(exc, lang)` for what the service layer refuses.

Labels of closed sets and the service layer's refusals come from the one message catalogue
(messages/); the pages' own sentences are WORDS below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from messages import label as catalogue_label
from models.refusals import Refusal, issue_of

if TYPE_CHECKING:
    from service.app import App

LANGUAGES = ("zh", "en")

# code → (Chinese, English); parameters in {braces}.
WORDS: dict[str, tuple[str, str]] = {
    # the frame
    "app": ("社会治理中心 · 工作台", "Governance Center · Workbench"),
    "app_short": ("工作台", "Workbench"),
    "nav.queue": ("待办", "Queue"),
    "nav.center": ("调度", "Dispatch"),
    "nav.intake": ("受理登记", "Register"),
    "nav.board": ("领导看板", "Board"),
    "nav.logout": ("退出", "Sign out"),
    "nav.language": ("English", "中文"),
    "signed_in_as": ("{name} · {department}", "{name} · {department}"),
    "via_link": ("{department}（通知链接）", "{department} (notice link)"),
    "skip": ("跳到正文", "Skip to content"),
    # signing in
    "login.title": ("登录工作台", "Sign in to the workbench"),
    "login.name": ("姓名", "Name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.hint": (
        "部门通知里的“办理入口”链接无需登录即可办理该事项；查看全部待办请登录。",
        "The link in a department's notice opens that matter without signing in; "
        "sign in to see the whole queue.",
    ),
    "login.wrong": ("姓名或密码不正确", "Wrong name or password"),
    "login.locked": (
        "连续输错次数过多，账号已锁定，请于{until}后再试",
        "Too many wrong passwords: the account is locked until {until}",
    ),
    "login.disabled": (
        "该账号已停用，请联系中心管理员",
        "This account is disabled; ask the center's administrator",
    ),
    "login.out": ("已退出登录", "You are signed out"),
    "login.needed": ("请先登录", "Please sign in first"),
    # refusals of the pages themselves
    "csrf": (
        "表单已过期或来源不明，未做任何修改。请刷新页面后重试。",
        "The form has expired or did not come from this site; nothing was changed. "
        "Reload the page and try again.",
    ),
    "not_found": ("没有编号为{number}的事项", "No matter numbered {number}"),
    "no_page": ("没有这个页面", "No such page"),
    "forbidden": ("您的账号不能打开此页面", "Your account cannot open this page"),
    "link_invalid": (
        "链接无效，请核对通知中的链接",
        "This link is not valid; check the link in the notice",
    ),
    "link_expired": (
        "链接已于{when}过期，请登录工作台办理",
        "This link expired on {when}; sign in to the workbench instead",
    ),
    "link_ended": (
        "该链接已失效：贵单位在此事项中的办理已结束（已退回、已改派或已结案）",
        "This link no longer works: your department's part in this matter has ended "
        "(returned, re-routed or closed)",
    ),
    "store_down": (
        "数据库暂时无法访问，未写入任何内容，请稍后重试",
        "The store cannot be reached just now; nothing was written, try again shortly",
    ),
    "idempotency_pending": (
        "同一表单仍在处理中，请稍候刷新页面",
        "The same form is still being processed; reload the page in a moment",
    ),
    "idempotency_mismatch": (
        "该表单已提交过不同的内容，请刷新页面后重新填写",
        "This form was already sent with different content; reload the page and fill it in again",
    ),
    "refused": ("未执行：{reason}", "Not done: {reason}"),
    "fix_fields": ("请修改标出的内容后再提交", "Please correct the marked fields"),
    "required": ("必填", "required"),
    "unknown_department_name": ("没有名为“{name}”的单位", "No department named '{name}'"),
    "unknown_area_name": (
        "没有“{name}”这一镇街或村社区",
        "No town or village named '{name}'",
    ),
    "unresolvable_reason": (
        "选择“无法解决”时请写明原因",
        "Say why when the outcome is 'cannot be resolved'",
    ),
    "unresolvable_note": ("{note}（无法解决的原因：{reason}）", "{note} (why not: {reason})"),
    "no_such_notice": ("没有编号为{id}的通知", "No notice numbered {id}"),
    # done
    "done.acknowledge": ("已签收", "Acknowledged"),
    "done.progress": ("进展已报告", "Progress reported"),
    "done.return": ("已退回中心", "Returned to the center"),
    "done.report": ("已报送", "Report filed"),
    "done.resolve": (
        "已办结，已通知中心并请反映人评价",
        "Resolved; the center is told and the citizen asked for feedback",
    ),
    "done.extension": ("延期申请已提交中心", "Extension request sent to the center"),
    "done.refer": ("已转办", "Referred"),
    "done.decide": ("延期申请已处理", "Extension request decided"),
    "done.intake": ("已受理登记", "Registered"),
    "done.resend": ("通知已重新发送", "Notice sent again"),
    "done.resend_queued": ("通知已交由后台重新发送", "Notice handed to the engine to send again"),
    "done.resend_failed": (
        "已重新放入发件队列，但这次仍未送达：{error}",
        "Back in the outbox, but it failed again: {error}",
    ),
    # the queue
    "queue.title": ("{department} · 待办事项", "{department} · Work queue"),
    "queue.as_of": ("截至{when}", "As of {when}"),
    "queue.empty": ("没有事项", "Nothing here"),
    "queue.all": ("全部", "All"),
    "queue.filter": ("筛选", "Filter"),
    "queue.colour": ("预警颜色", "Colour"),
    "queue.group": ("状态", "Status"),
    "group.overdue": ("已超时", "Overdue"),
    "group.due_soon": ("即将超时", "Due soon"),
    "group.waiting": ("待签收", "To acknowledge"),
    "group.handling": ("办理中", "In hand"),
    "group.history": ("已退回/已办结", "Returned / finished"),
    "clock.acknowledge": ("签收时限", "Acknowledge by"),
    "clock.resolve": ("办结时限", "Resolve by"),
    "clock.report": ("报送时限", "Report by"),
    "left": ("剩余{time}", "{time} left"),
    "late": ("已超时{time}", "{time} late"),
    "minutes": ("{n}分钟", "{n} min"),
    "hours": ("{n}小时", "{n} h"),
    "days": ("{n}天", "{n} d"),
    "finished_at": ("结束于{when}", "Ended {when}"),
    # the matter page
    "matter.title": ("事项 {number}", "Matter {number}"),
    "matter.back": ("返回待办", "Back to the queue"),
    "matter.back_center": ("返回调度", "Back to dispatch"),
    "matter.your_role": ("本单位角色：{role}", "Your part: {role}"),
    "matter.facts": ("事项信息", "The matter"),
    "matter.category": ("类别", "Category"),
    "matter.colour": ("预警", "Warning"),
    "matter.tier": ("层级", "Tier"),
    "matter.area": ("区域", "Area"),
    "matter.status": ("状态", "Status"),
    "matter.people": ("涉及人数", "People"),
    "matter.flags": ("风险标识", "Risk flags"),
    "matter.received": ("受理时间", "Received"),
    "matter.citizen": ("反映人", "Citizen"),
    "matter.phone": ("联系电话", "Phone"),
    "matter.id_number": ("身份证号", "ID number"),
    "matter.masked": ("（协办单位仅见部分信息）", "(masked for co-handlers)"),
    "matter.description": ("事项描述", "Description"),
    "matter.outcome": ("办理结果", "Outcome"),
    "matter.feedback_due": ("评价截止", "Feedback due"),
    "matter.parts": ("承办单位与时限", "Departments and deadlines"),
    "matter.department": ("单位", "Department"),
    "matter.role": ("角色", "Role"),
    "matter.part_status": ("状态", "Status"),
    "matter.ack_due": ("签收时限", "Acknowledge by"),
    "matter.due": ("办结/报送时限", "Due"),
    "matter.level": ("督办级别", "Escalation"),
    "matter.timeline": ("办理经过", "Timeline"),
    "matter.actions": ("可办理的操作", "What you can do now"),
    "matter.no_actions": ("目前没有需要本单位办理的操作", "Nothing for you to do now"),
    "matter.wait_co": (
        "协办单位{departments}尚未报送，报送后才能办结",
        "Co-handlers {departments} have not reported yet; resolve once they have",
    ),
    "matter.extension_pending": ("延期申请待中心审批", "Extension request awaiting the center"),
    "matter.read_only": ("只读", "Read only"),
    "matter.prefect": ("查看流程运行", "View the matter's run"),
    # actions and their fields
    "act.acknowledge": ("签收", "Acknowledge"),
    "act.progress": ("报告进展", "Report progress"),
    "act.return": ("退回", "Return"),
    "act.report": ("报送", "File report"),
    "act.resolve": ("办结", "Resolve"),
    "act.extension": ("申请延期", "Ask for more time"),
    "act.refer": ("转办", "Refer"),
    "act.decide": ("延期审批", "Decide extension"),
    "act.approve": ("批准", "Approve"),
    "act.refuse": ("不予批准", "Refuse"),
    "act.resend": ("重新发送", "Send again"),
    "field.note": ("说明", "Note"),
    "field.progress_note": ("进展情况", "Progress"),
    "field.report_note": ("报送内容", "Your part"),
    "field.resolve_note": ("办理情况", "How it was resolved"),
    "field.reason": ("退回理由", "Why it is not yours"),
    "field.outcome": ("办理结果", "Outcome"),
    "field.unresolvable_reason": ("无法解决的原因", "Why it cannot be resolved"),
    "field.unresolvable_hint": ("（选择“无法解决”时必填）", "(required for 'cannot be resolved')"),
    "field.length": ("延期时长", "How much more"),
    "field.length_hint": (
        "如 5wd（5个工作日）、10d（10天）、4h（4小时）",
        "e.g. 5wd (5 working days), 10d (10 days), 4h (4 hours)",
    ),
    "field.extension_reason": ("延期理由", "Why more time is needed"),
    "field.lead": ("主办单位", "Lead department"),
    "field.co": ("协办单位", "Co-handler"),
    "field.dept_hint": ("输入名称可搜索，如：人社", "Type to search, e.g. 人社"),
    "field.decision_note": ("审批意见", "Decision note"),
    # the center
    "center.title": ("指挥调度", "Dispatch"),
    "center.to_route": ("待分流/已退回事项", "Matters to route (new or returned)"),
    "center.extensions": ("待审批的延期申请", "Extension requests to decide"),
    "center.dead": ("发送失败的通知", "Notices given up on"),
    "center.open_number": ("按编号打开事项", "Open a matter by number"),
    "center.open": ("打开", "Open"),
    "center.requested": (
        "{department}申请延期{length}：{reason}",
        "{department} asks for {length}: {reason}",
    ),
    "center.attempts": ("已尝试{n}次", "{n} attempts"),
    "center.none": ("无", "None"),
    # intake
    "intake.title": ("受理登记", "Register a matter"),
    "intake.category": ("事项类别", "Category"),
    "intake.title_field": ("事项标题", "Title"),
    "intake.description": ("事项描述", "Description"),
    "intake.area": ("所在镇街/村社区", "Town or village"),
    "intake.area_hint": ("输入名称可搜索，如：和平社区", "Type to search, e.g. 和平社区"),
    "intake.name": ("反映人姓名", "Citizen's name"),
    "intake.phone": ("联系电话", "Phone"),
    "intake.id_number": ("身份证号（可不填）", "ID number (optional)"),
    "intake.people": ("涉及人数", "People involved"),
    "intake.visits": ("此前来访次数", "Earlier visits"),
    "intake.amount": ("涉及金额（元）", "Sum involved (yuan)"),
    "intake.flags": ("风险标识", "Risk flags"),
    "intake.channel": ("来源渠道", "Channel"),
    "intake.preview": ("预览分级", "Preview the grading"),
    "intake.submit": ("受理登记", "Register"),
    "intake.preview_title": ("分级预览（尚未登记）", "Grading preview (not registered yet)"),
    "intake.graded": ("{colour}色预警 · {tier}", "{colour} · {tier}"),
    "intake.route": ("将交：{lead}主办{co}", "Goes to: {lead} (lead){co}"),
    "intake.route_co": ("，{co}协办", ", with {co}"),
    "intake.no_route": (
        "无适用的分流规则，需由中心手动转办",
        "No routing rule: the center refers it",
    ),
    "intake.reasons": ("依据：{reasons}", "Because: {reasons}"),
    "intake.no_reasons": ("未触发升级条件", "no escalating condition"),
    "reason.people": ("涉及人数≥{n}", "{n}+ people"),
    "reason.visits": ("来访次数≥{n}", "{n}+ earlier visits"),
    "reason.amount": ("金额≥{n}元", "¥{n}+"),
    # the board
    "board.title": ("领导看板", "Leadership board"),
    "board.open": ("在办事项（四色）", "Open matters by colour"),
    "board.by_town": ("按镇街", "By town"),
    "board.by_department": ("按主办单位", "By lead department"),
    "board.town": ("镇街", "Town"),
    "board.total": ("合计", "Total"),
    "board.levels": ("超时督办", "Overdue by level"),
    "board.rates": ("本月三率（{month}）", "This month's rates ({month})"),
    "board.no_rate": ("暂无", "n/a"),
    "board.rate_detail": ("{numerator}/{denominator}", "{numerator}/{denominator}"),
    "board.matters": ("在办事项", "Open matters"),
    "board.closed": ("本月已结案", "Closed this month"),
    "board.number": ("编号", "Number"),
    "board.run": ("流程运行", "Run"),
    "board.no_run": ("流程运行尚未生成", "run not drawn yet"),
    "board.unrouted": ("（未分流）", "(not referred)"),
    "rate.response": ("响应率", "Response rate"),
    "rate.resolution": ("解决率", "Resolution rate"),
    "rate.satisfaction": ("满意率", "Satisfaction rate"),
    # errors
    "error.title": ("无法打开", "Cannot open"),
    "error.home": ("返回首页", "Home"),
}


def say(code: str, lang: str, **params: Any) -> str:
    """One sentence or label of the pages in `lang` (zh unless en), parameters filled in."""
    zh, en = WORDS[code]
    return (en if lang == "en" else zh).format(**params)


_ROLES = {
    "head": ("负责人", "head"),
    "clerk": ("经办人", "clerk"),
    "leadership": ("领导", "leadership"),
}
_NOTICES = {
    "referral": ("交办通知", "referral"),
    "co_handling": ("协办通知", "co-handling"),
    "returned": ("退回通知", "returned"),
    "resolution": ("办结通知", "resolution"),
    "feedback_request": ("回访评价", "feedback request"),
    "reopened": ("重办通知", "reopened"),
    "closing": ("结案通知", "closing"),
    "reminder": ("提醒", "reminder"),
    "urging": ("催办", "urging"),
    "supervision": ("督办", "supervision"),
    "circulated": ("通报", "circulated notice"),
    "extension_request": ("延期申请", "extension request"),
    "extension_decision": ("延期审批结果", "extension decision"),
    "digest": ("每日待办", "daily digest"),
}
_GROUPS = {
    "disputes": ("矛盾纠纷", "disputes"),
    "petitions": ("信访", "petitions"),
    "services": ("服务", "services"),
    "general": ("其他", "other"),
}
_PARTS = {
    "center": ("中心", "the center"),
    "lead": ("主办", "lead"),
    "co": ("协办", "co-handler"),
    "former": ("已结束", "ended"),
}


def label(kind: str, value: str | None, lang: str) -> str:
    """The name of a value of a closed set: status, assignment, role, colour, tier, level,
    outcome, step (a timeline action) from the catalogue; staff role, your part, notice state
    from the pages' own tables."""
    if value is None:
        return ""
    own: Mapping[str, tuple[str, str]] | None = {
        "staff": _ROLES,
        "part": _PARTS,
        "notice": _NOTICES,
    }.get(kind)
    if own is None:
        return catalogue_label(kind, value, lang)
    names = own.get(value)
    return (names[1] if lang == "en" else names[0]) if names else value


def refusal(exc: Refusal, lang: str, app: App) -> str:
    """What the service layer refused, in `lang` (department codes as names): the catalogue's."""
    return exc.message(lang, app.config)


def field_problems(exc: ValidationError, lang: str) -> dict[str, str]:
    """An input model's errors by field (the first one of each), in `lang`."""
    found: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "input"
        found.setdefault(field, issue_of(error, field).message(lang))
    return found
