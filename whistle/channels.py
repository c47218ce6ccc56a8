"""Which Apprise URLs serve a recipient: the district's channel table, with placeholders filled."""

from __future__ import annotations

from fnmatch import fnmatchcase

from models.config import DistrictConfig


class NoChannel(Exception):
    """A recipient no channel serves: a configuration gap, reported at `whistle init`."""


def urls_for(config: DistrictConfig, recipient: str, *, phone: str | None = None) -> list[str]:
    """Every URL whose `to` patterns match the recipient; {recipient} and {phone} filled in."""
    if recipient == "citizen":
        if not phone:
            raise NoChannel("the citizen has no phone number to send to")
        urls = [template.replace("{phone}", phone) for template in config.channels.citizen]
    else:
        urls = [
            channel.url.replace("{recipient}", recipient)
            for channel in config.channels.channels
            if any(fnmatchcase(recipient, pattern) for pattern in channel.to)
        ]
    if not urls:
        raise NoChannel(f"no notice channel serves {recipient}")
    return urls


def unserved(config: DistrictConfig) -> list[str]:
    """Departments (and the citizen) that no channel would reach."""
    missing = [code for code in config.departments if not _served(config, code)]
    if not config.channels.citizen:
        missing.append("citizen")
    return missing


def _served(config: DistrictConfig, code: str) -> bool:
    return any(
        fnmatchcase(code, pattern) for channel in config.channels.channels for pattern in channel.to
    )
