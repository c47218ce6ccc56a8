"""Notice types: each picks its template and its recipients' role."""

from __future__ import annotations

from enum import StrEnum


class NoticeKind(StrEnum):
    referral = "referral"  # to the lead department: a matter is yours (吹哨)
    co_handling = "co_handling"  # to a co-handler: help the lead (协办)
    returned = "returned"  # to the center: a department sent the matter back (退回)
    resolution = "resolution"  # to the center: the lead resolved it (办结)
    feedback_request = "feedback_request"  # to the citizen: result and satisfaction question
    reopened = "reopened"  # to the lead: the citizen was not satisfied (重办)
    closing = "closing"  # to the lead: the matter is closed (结案)
    reminder = "reminder"  # to a department: a clock runs out soon (提醒)
    urging = "urging"  # to a department and its head: a clock ran out (催办)
    supervision = "supervision"  # to the center's leadership: long overdue (督办)
    circulated = "circulated"  # to the committee's leadership: naming the department (通报)
    extension_request = "extension_request"  # to the center: a department asks for more time
    extension_decision = "extension_decision"  # to a department: its extension request (延期)
    digest = "digest"  # to a department, daily: what waits for it, what is overdue
