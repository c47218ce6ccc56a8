"""Refusals: one line a clerk can read, saying what is wrong; nothing was written."""

from __future__ import annotations


class Refused(Exception):
    """An action the store did not take, with the reason in plain words."""


class NotFound(Refused):
    """No such matter (or not one the caller may see)."""
