"""Display names of every closed set a person reads, as (Chinese, English), by kind.

A value such as "referred" means different things for a matter (已分流) and for one
department's part (待签收), so labels are looked up by kind.
"""

from __future__ import annotations

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    # where a matter stands (models.status.Status)
    "status": {
        "received": ("已受理", "received"),
        "referred": ("已分流", "referred"),
        "in_progress": ("办理中", "in progress"),
        "returned": ("已退回", "returned"),
        "resolved": ("已办结", "resolved"),
        "closed": ("已结案", "closed"),
    },
    # where one department's part stands (models.status.AssignmentStatus)
    "assignment": {
        "referred": ("待签收", "awaiting acknowledgement"),
        "acknowledged": ("已签收", "acknowledged"),
        "reported": ("已报送", "reported"),
        "resolved": ("已办结", "resolved"),
        "returned": ("已退回", "returned"),
        "withdrawn": ("已撤回", "withdrawn"),
    },
    "role": {"lead": ("主办", "lead"), "co": ("协办", "co-handling")},
    # what someone asks to do (models.status.Action), as "cannot …" reads it
    "action": {
        "refer": ("分流", "refer"),
        "acknowledge": ("签收", "acknowledge"),
        "progress": ("报告进展", "report progress"),
        "return": ("退回", "return"),
        "report": ("报送", "report"),
        "resolve": ("办结", "resolve"),
        "satisfied": ("评价满意", "close as satisfied"),
        "unsatisfied": ("评价不满意", "reopen as unsatisfied"),
        "no_feedback": ("按未反馈结案", "close it without feedback"),
    },
    # a timeline step (Event.action)
    "step": {
        "received": ("受理", "received"),
        "referred": ("分流交办", "referred"),
        "acknowledged": ("签收", "acknowledged"),
        "progress": ("报告进展", "progress"),
        "returned": ("退回", "returned"),
        "reported": ("报送", "reported"),
        "resolved": ("办结", "resolved"),
        "closed": ("结案", "closed"),
        "reopened": ("重办", "reopened"),
        "notified": ("已通知", "notified"),
        "extension_requested": ("申请延期", "extension requested"),
        "extension_approved": ("同意延期", "extension approved"),
        "extension_refused": ("不同意延期", "extension refused"),
        "reminder": ("提醒", "reminder"),
        "urging": ("催办", "urging"),
        "supervision": ("督办", "supervision"),
        "circular": ("通报", "circulated notice"),
        "circulated": ("通报", "circulated notice"),  # timeline rows written before `circular`
        "personal_data_erased": ("个人信息已清除", "personal data erased"),
        "notice_resent": ("重发通知", "notice re-sent"),
        "deadline_recomputed": ("时限按新日历重算", "deadline recomputed"),
    },
    # who acted, when it is not a department
    "actor": {
        "center": ("区社会治理中心", "the district center"),
        "system": ("系统", "the system"),
        "citizen": ("反映人", "the citizen"),
    },
    # the escalation ladder (models.ladder.Level), and the sweep's closing of lapsed feedback
    "level": {
        "reminder": ("提醒", "reminder"),
        "urging": ("催办", "urging"),
        "supervision": ("督办", "supervision"),
        "circular": ("通报", "circulated notice"),
        "circulated": ("通报", "circulated notice"),  # steps recorded before `circular`
        "no_feedback": ("逾期未反馈结案", "closed without feedback"),
    },
    "colour": {
        "red": ("红", "red"),
        "orange": ("橙", "orange"),
        "yellow": ("黄", "yellow"),
        "green": ("绿", "green"),
    },
    "tier": {
        "village": ("村（社区）", "village/community"),
        "town": ("镇（街道）", "town/sub-district"),
        "district": ("区", "district"),
    },
    "outcome": {
        "mediated": ("调解成功", "mediated"),
        "handled": ("依职能办结", "handled within remit"),
        "explained": ("解释说明", "explained"),
        "litigation": ("引导诉讼/仲裁", "guided to litigation or arbitration"),
        "unresolvable": ("无法解决", "cannot be resolved"),
    },
    # which clock a reminder or an overdue step is about
    "clock": {
        "acknowledge": ("签收", "acknowledgement"),
        "resolve": ("办结", "resolution"),
        "report": ("报送", "report"),
        "feedback": ("回访", "feedback"),
        "first_response": ("首次反馈", "first response"),
    },
    "closing": {
        "satisfied": ("反映人满意", "citizen satisfied"),
        "no_feedback": ("逾期未反馈", "no feedback in time"),
        "anonymous": ("匿名诉求，无需回访", "anonymous: nobody to ask for feedback"),
    },
    # the citizen of an anonymous report (匿名), in a department's notice
    "citizen": {"anonymous": ("匿名", "anonymous"), "no_phone": ("未留", "none given")},
    # a recipient's role within a department ("hrss/head")
    "recipient_role": {"head": ("主要负责同志", "head"), "leadership": ("领导", "leadership")},
    # the stage flows an action hands over to
    "stage": {
        "intake": ("受理", "intake"),
        "referral": ("分流", "referral"),
        "handling": ("办理", "handling"),
        "resolution": ("办结", "resolution"),
        "feedback": ("回访", "feedback"),
        "closing": ("结案", "closing"),
    },
    # what a code names, for "no such …" and "which one …"
    "thing": {
        "department": ("单位", "department"),
        "category": ("事项类别", "category"),
        "area": ("区域", "area"),
        "flag": ("风险标记", "flag"),
        "channel": ("来源渠道", "channel"),
        "outcome": ("办理结果", "outcome"),
        "status": ("状态", "status"),
        "colour": ("预警颜色", "colour"),
    },
    # column headers of the tables the command line prints
    "column": {
        "number": ("编号", "number"),
        "status": ("状态", "status"),
        "colour": ("预警", "colour"),
        "category": ("类别", "category"),
        "area": ("区域", "area"),
        "lead": ("主办", "lead"),
        "title": ("标题", "title"),
        "code": ("代码", "code"),
        "name": ("名称", "name"),
        "group": ("分组", "group"),
        "tier": ("层级", "tier"),
        "town": ("镇街", "town"),
        "id": ("编号", "id"),
        "kind": ("类型", "kind"),
        "recipient": ("收件方", "recipient"),
        "attempts": ("尝试次数", "attempts"),
        "last_error": ("最近错误", "last error"),
        "subject": ("主题", "subject"),
        "scope": ("范围", "scope"),
        "holder": ("持有方", "holder"),
        "label": ("备注", "label"),
        "created_at": ("创建时间", "created"),
        "revoked_at": ("吊销时间", "revoked"),
        "department": ("单位", "department"),
        "level": ("级别", "level"),
        "parts": ("件数", "parts"),
        "item": ("项目", "item"),
        "count": ("数量", "count"),
        "value": ("值", "value"),
    },
    # input fields, as a refusal names them
    "field": {
        "category": ("事项类别", "category"),
        "title": ("事项标题", "title"),
        "description": ("事项描述", "description"),
        "area": ("所在区域", "area"),
        "name": ("群众姓名", "name"),
        "phone": ("联系电话", "phone"),
        "id_number": ("身份证号", "id_number"),
        "people": ("涉及人数", "people"),
        "flags": ("风险标记", "flags"),
        "flag": ("风险标记", "flag"),
        "amount": ("涉及金额", "amount"),
        "visits": ("来访次数", "visits"),
        "channel": ("来源渠道", "channel"),
        "department": ("单位", "department"),
        "lead": ("主办单位", "lead"),
        "co": ("协办单位", "co"),
        "actor": ("操作方", "actor"),
        "note": ("说明", "note"),
        "reason": ("理由", "reason"),
        "comment": ("意见", "comment"),
        "outcome": ("办理结果", "outcome"),
        "length": ("延期时长", "length"),
        "label": ("备注名", "label"),
        "status": ("状态", "status"),
        "colour": ("预警颜色", "colour"),
        "--at": ("--at 时间", "--at"),
        "--from": ("--from 起始日期", "--from"),
        "--to": ("--to 截止日期", "--to"),
        "--by": ("--by 分组", "--by"),
    },
}
