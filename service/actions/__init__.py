"""The service layer: every action on a matter, for every interface (CLI now, HTTP later).

Each function validates first, then writes the transition, its timeline event and the notices it
causes in one transaction, and commits. A refused action raises `Refused` and writes nothing.
The matter row is locked for the transaction (FOR UPDATE on PostgreSQL, an immediate write
transaction on SQLite), so two answers about one matter never overwrite each other.
"""

from service.actions.answers import acknowledge, progress, report, resolve, return_matter
from service.actions.calendar import apply_recompute
from service.actions.escalation import (
    due_parts,
    escalate,
    escalate_due,
    escalate_many,
    overdue_level,
)
from service.actions.extensions import decide_extension, request_extension
from service.actions.feedback import (
    close_without_feedback,
    feedback,
    feedback_overdue,
    stuck_in_intake,
)
from service.actions.intake import register
from service.actions.referral import proposed_route, refer, refer_by_rules
from service.store.matters import (
    CENTER,
    CITIZEN,
    assignments_of,
    citizen_of,
    events_of,
    get_matter,
)

__all__ = [
    "CENTER",
    "CITIZEN",
    "acknowledge",
    "apply_recompute",
    "assignments_of",
    "citizen_of",
    "close_without_feedback",
    "decide_extension",
    "due_parts",
    "escalate",
    "escalate_due",
    "escalate_many",
    "events_of",
    "feedback",
    "feedback_overdue",
    "get_matter",
    "overdue_level",
    "progress",
    "proposed_route",
    "refer",
    "refer_by_rules",
    "register",
    "report",
    "request_extension",
    "resolve",
    "return_matter",
    "stuck_in_intake",
]
