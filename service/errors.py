"""Refusals: one line a clerk can read, saying what is wrong; nothing was written."""

from __future__ import annotations


class Refused(Exception):
    """An action the store did not take, with the reason in plain words."""


class NotFound(Refused):
    """No such matter (or not one the caller may see)."""


def shown(value: object, limit: int = 40) -> str:
    """A typed value as a refusal quotes it, cut short: a message never echoes a megabyte."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"
