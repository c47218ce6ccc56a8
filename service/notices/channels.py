"""Which channels serve a recipient: the district's channel table, with placeholders filled.

A recipient is a department code ('hrss', 'T01.judicial_office'), that code with a role
('hrss/head', 'center/leadership'), or 'citizen'. A role with no channel of its own is told
through its department's channels, so a head is never silently left out.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from models.config import Channel, DistrictConfig


class NoChannel(Exception):
    """A recipient no channel serves: a configuration gap, reported at `whistle init`."""


def channels_for(config: DistrictConfig, recipient: str) -> list[Channel]:
    """The channels whose `to` patterns match the recipient (or, for a role, its department)."""
    candidates = [recipient]
    if "/" in recipient:
        candidates.append(recipient.split("/", 1)[0])
    for candidate in candidates:
        found = [
            channel
            for channel in config.channels.channels
            if any(fnmatchcase(candidate, pattern) for pattern in channel.to)
        ]
        if found:
            return found
    return []


def urls_for(config: DistrictConfig, recipient: str, *, phone: str | None = None) -> list[str]:
    """Every URL serving the recipient; {recipient} and {phone} filled in."""
    if recipient == "citizen":
        if not phone:
            raise NoChannel("the citizen has no phone number to send to")
        urls = [template.replace("{phone}", phone) for template in config.channels.citizen]
    else:
        code = recipient.replace("/", "-")  # a path segment, not a path
        urls = [c.url.replace("{recipient}", code) for c in channels_for(config, recipient)]
    if not urls:
        raise NoChannel(f"no notice channel serves {recipient}")
    return urls


def is_email(url: str) -> bool:
    """Email channels get the HTML body; robots and SMS-like channels get plain text."""
    return url.split("://", 1)[0].lower() in ("mailto", "mailtos")


def unserved(config: DistrictConfig) -> list[str]:
    """Departments (and the citizen) that no channel would reach."""
    missing = [code for code in config.departments if not channels_for(config, code)]
    if not config.channels.citizen:
        missing.append("citizen")
    return missing
