"""Refusals: a code and parameters saying what is wrong; nothing was written.

The exception types live at the bottom layer (models/refusals.py) so the domain rules can raise
them too; the message catalogue (messages/) words them for each caller.
"""

from __future__ import annotations

from models.refusals import Code, Invalid, Issue, NotFound, Refusal, Refused


def shown(value: object, limit: int = 40) -> str:
    """A typed value as a refusal quotes it, cut short: a message never echoes a megabyte."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


__all__ = ["Code", "Invalid", "Issue", "NotFound", "Refusal", "Refused", "shown"]
