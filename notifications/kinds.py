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
