"""Send one notice to a set of Apprise channel URLs, and say plainly whether it arrived.

This is the only place that talks to Apprise. It is kept free of Prefect so a flow
task can decide about retries from the returned Delivery alone.

Channel URLs carry secrets (tokens, SMTP passwords) and sometimes a citizen's phone
number, so nothing derived from a URL leaves this module: errors name channels by
their 1-based position, and while a notice is being sent Apprise's own log records
are scrubbed of every fragment of the URLs in play.
"""

from __future__ import annotations

import contextvars
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:  # imported when a notice is sent: a command that sends none does not pay it
    import apprise

__all__ = ["ChannelConfigError", "Delivery", "send"]

# Tag that ties each Apprise service (and its result) back to its channel position.
_TAG_PREFIX = "whistle-channel-"

# Longest error text handed back; a Delivery error is a hint, not a log dump.
_MAX_ERROR_CHARS = 300

# Apprise URL parameters whose values are harmless and common words; redacting them
# would only mangle messages such as "Failed to send JSON POST notification".
_PLAIN_PARAMS = frozenset({"cto", "rto", "mode", "method", "format", "overflow"})

# Fragments shorter than this are too likely to hit ordinary words or numbers.
_MIN_FRAGMENT = 3

_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"<>]+")
_EMAIL_RE = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_IPV4_RE = re.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?(?![\w.])")
_LONG_NUMBER_RE = re.compile(r"(?<![\w.])\+?\d{7,}(?![\w.])")

# The URL fragments of the send() call running in this context. Apprise runs each
# service in a worker thread with a copy of the caller's context, so the log filter
# sees the right fragments there too, and nothing outside send() is touched.
_SECRETS: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "whistle_notice_secrets", default=None
)
_filter_lock = threading.Lock()
_filter_installed = False


@dataclass(frozen=True)
class Delivery:
    """Outcome of one send(): ok, or a short URL-free reason why not."""

    ok: bool
    error: str | None


class ChannelConfigError(Exception):
    """A channel URL Apprise cannot use; retrying will not help, fixing config will."""


def send(
    urls: Sequence[str],
    *,
    subject: str,
    body: str,
    html: bool = False,
    connect_timeout: float = 5.0,
    read_timeout: float = 10.0,
) -> Delivery:
    """Deliver subject/body to every URL; ok only if every channel accepted it.

    Each URL gets Apprise's cto/rto socket timeouts (unless it sets its own), and
    the whole call is capped at connect_timeout + read_timeout, so an endpoint that
    accepts a connection and never answers cannot stall a flow run. Raises
    ChannelConfigError for a URL Apprise does not understand.
    """
    if not urls:
        return Delivery(ok=False, error="no channel configured")
    if connect_timeout <= 0 or read_timeout <= 0:
        raise ValueError("timeouts must be positive")

    import apprise  # ~0.2 s of imports, so only where notices are sent

    prepared = [_with_timeouts(url, connect_timeout, read_timeout) for url in urls]
    _install_log_filter()
    token = _SECRETS.set(_secret_fragments([*urls, *prepared]))
    try:
        notifier = apprise.Apprise()
        for index, url in enumerate(prepared, start=1):
            # instantiate() takes the string as exactly one URL; add() would split
            # it on commas/spaces and blur which channel a service belongs to.
            service = apprise.Apprise.instantiate(url, tag=f"{_TAG_PREFIX}{index}")
            if service is None:
                raise ChannelConfigError(f"channel {index} is not a valid notice URL")
            notifier.add(service)

        body_format = apprise.NotifyFormat.HTML if html else apprise.NotifyFormat.TEXT
        with notifier.notify(
            body=body,
            title=subject,
            body_format=body_format,
            timeout=connect_timeout + read_timeout,
        ) as result:
            return _delivery(result)
    finally:
        _SECRETS.reset(token)


def _with_timeouts(url: str, connect_timeout: float, read_timeout: float) -> str:
    """Append cto/rto unless the URL already sets them.

    Apprise treats everything after the first '?' as '&'/';'-separated
    parameters with case-insensitive keys (apprise.utils.parse.parse_qsd).
    """
    base, sep, query = url.partition("?")
    present = {
        unquote(pair.partition("=")[0]).strip().lower() for pair in re.split(r"[&;]", query) if pair
    }
    extra = [
        f"{key}={value:g}"
        for key, value in (("cto", connect_timeout), ("rto", read_timeout))
        if key not in present
    ]
    if not extra:
        return url
    if not sep:
        return f"{base}?{'&'.join(extra)}"
    joiner = "" if not query or query.endswith(("&", ";")) else "&"
    return f"{url}{joiner}{'&'.join(extra)}"


def _delivery(result: apprise.AppriseResult) -> Delivery:
    """Turn Apprise's result into a Delivery with a short, scrubbed reason."""
    import apprise

    status = result.status
    if status == apprise.AppriseResultStatus.SUCCESS:
        return Delivery(ok=True, error=None)
    if status == apprise.AppriseResultStatus.NOMATCH:
        return Delivery(ok=False, error="no channel matched")

    reasons = []
    for service_result in result:
        if service_result:
            continue
        channel = _channel_of(service_result.tag)
        if service_result.status == apprise.AppriseResultStatus.TIMEOUT:
            reason = "timed out"
        else:
            reason = _last_problem(service_result.logs()) or "delivery failed"
        reasons.append(f"channel {channel}: {reason}" if channel else reason)
    if not reasons:
        # Nothing reached a service: Apprise rejected the call itself.
        reasons.append(_last_problem(result.call_logs()) or "delivery failed")
    error = "; ".join(reasons)
    if len(error) > _MAX_ERROR_CHARS:
        error = error[: _MAX_ERROR_CHARS - 1] + "…"
    return Delivery(ok=False, error=error)


def _channel_of(tags: Iterable[str]) -> int | None:
    """The 1-based channel position recorded in a service's tags."""
    for tag in tags:
        if tag.startswith(_TAG_PREFIX) and tag[len(_TAG_PREFIX) :].isdigit():
            return int(tag[len(_TAG_PREFIX) :])
    return None


def _last_problem(entries: Iterable[apprise.NotifyLogEntry]) -> str | None:
    """The last WARNING-or-worse log line, scrubbed and on one line."""
    last: str | None = None
    for entry in entries:
        level = logging.getLevelName(entry.level)
        if isinstance(level, int) and level >= logging.WARNING:
            last = entry.message
    if last is None:
        return None
    text = " ".join(_redact(last, _SECRETS.get() or ()).split())
    return text or None


def _secret_fragments(urls: Iterable[str]) -> tuple[str, ...]:
    """Every piece of the URLs that could identify a secret, longest first."""
    found: set[str] = set()
    for url in urls:
        found.add(url)
        rest = url.split("://", 1)[-1]
        rest, _, query = rest.partition("?")
        found.add(rest)
        authority, _, path = rest.partition("/")
        userinfo, _, hostport = authority.rpartition("@")
        found.update((userinfo, *userinfo.split(":", 1), hostport))
        host, colon, port = hostport.rpartition(":")
        found.update((host, port) if colon and port.isdigit() else (hostport,))
        found.update(path.split("/"))
        for pair in re.split(r"[&;]", query):
            key, _, value = pair.partition("=")
            if unquote(key).strip().lower() not in _PLAIN_PARAMS:
                found.update((value, *value.split(",")))
    variants = found | {unquote(fragment) for fragment in found}
    usable = {f.strip() for f in variants if len(f.strip()) >= _MIN_FRAGMENT}
    return tuple(sorted(usable, key=len, reverse=True))


def _redact(text: str, fragments: Iterable[str]) -> str:
    """Remove anything URL-like, then URL fragments, then other addresses.

    Whole URLs go first: Apprise logs them re-rendered (reordered parameters,
    passwords shortened to "s...t"), so they rarely match the configured text.
    """
    text = _URL_RE.sub("<url>", text)
    for fragment in fragments:
        text = re.sub(rf"(?<!\w){re.escape(fragment)}(?!\w)", "<redacted>", text)
    text = _EMAIL_RE.sub("<address>", text)
    text = _IPV4_RE.sub("<host>", text)
    return _LONG_NUMBER_RE.sub("<number>", text)


class _RedactingFilter(logging.Filter):
    """Scrub Apprise log records emitted on behalf of a send() call."""

    def filter(self, record: logging.LogRecord) -> bool:
        fragments = _SECRETS.get()
        if fragments is not None:
            try:
                message = record.getMessage()
            except Exception:  # malformed record: let logging report it as usual
                return True
            record.msg = _redact(message, fragments)
            record.args = None
        return True


def _install_log_filter() -> None:
    """Attach the scrubbing filter to Apprise's logger once per process.

    A logger-level filter runs before every handler, including the per-call
    capture handlers whose entries end up in the Delivery error.
    """
    import apprise

    global _filter_installed
    with _filter_lock:
        if not _filter_installed:
            logging.getLogger(apprise.LOGGER_NAME).addFilter(_RedactingFilter())
            _filter_installed = True
