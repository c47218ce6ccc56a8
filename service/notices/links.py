"""The citizen's feedback link: signed, bound to one resolution of one matter, single-use, expiring.

The link carries the matter number, the resolution round (how often it was reopened before) and
the end of the feedback window, with an HMAC over them. It holds no personal data. Using it is
recorded (`FeedbackLinkUse`) in the same transaction as the answer, so it works once. The
outbox stores the link without its HMAC (the notice's `link` names it) and delivery signs it
as the notice leaves, so the store holds no live link.

The key comes from WHISTLE_SECRET_KEY; without it, one is generated at first use and kept in
WHISTLE_HOME/secret_key (readable by the owner only), which suits the embedded single-machine
mode where every process shares the home folder.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from models.tables import Assignment, Matter
from service.private import private_folder
from service.settings import Settings

if TYPE_CHECKING:
    from service.app import App

KEY_FILE = "secret_key"


def secret_key(settings: Settings) -> bytes:
    """The signing key: the configured one, or the one kept in the home folder."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode("utf-8")
    path = settings.home / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    return path.read_text(encoding="ascii").strip().encode("ascii")


def _create_key_file(path: Path) -> None:
    """Write a fresh key atomically; when another process got there first, keep theirs."""
    private_folder(path.parent)
    temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        os.link(temporary, path)  # fails if the key exists: never replace a key in use
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _signature(key: bytes, payload: str) -> str:
    mac = hmac.new(key, payload.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode("ascii")


@dataclass(frozen=True)
class FeedbackClaim:
    """What a valid link says: this matter, this resolution round, answerable until then."""

    number: str
    round: int
    expires: datetime

    @property
    def nonce(self) -> str:
        return f"{self.number}:{self.round}"


def link_id(matter: Matter) -> str:
    """What a feedback link says, without the signature: number, round, end of the window."""
    assert matter.feedback_due is not None
    return f"{matter.number}.{matter.reopen_count}.{int(matter.feedback_due.timestamp())}"


def feedback_token(settings: Settings, matter: Matter) -> str:
    """The signed token for the matter's current resolution (its feedback window must be set)."""
    return sign(settings, link_id(matter))


def sign(settings: Settings, payload: str) -> str:
    return f"{payload}.{_signature(secret_key(settings), payload)}"


def feedback_link(app: App, matter: Matter) -> str:
    """The link the feedback request carries, *unsigned*: the outbox keeps it so, and the
    signature is added only when the notice is sent (`signed`). Whoever reads the store (or a
    backup) sees which link was sent, but cannot use it to answer for the citizen. Empty when
    no link base is configured."""
    base = app.settings.link_base.rstrip("/")
    if not base or matter.feedback_due is None:
        return ""
    return f"{base}/feedback/{link_id(matter)}"


def signed(settings: Settings, text: str, payload: str | None) -> str:
    """The notice text as sent: its feedback link (the notice's own `link`, never anything
    else the text holds) completed with the signature."""
    if not payload:
        return text
    return text.replace(f"/feedback/{payload}", f"/feedback/{sign(settings, payload)}")


def read_feedback_token(settings: Settings, token: str) -> FeedbackClaim | None:
    """The claim of a genuine token, or None for anything forged, altered or malformed."""
    payload, _, signature = token.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit() or len(token) > 200:
        return None
    try:
        expected = _signature(secret_key(settings), payload)
    except UnicodeEncodeError:
        return None
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8")):
        return None
    expires = datetime.fromtimestamp(int(parts[2]), tz=UTC)
    return FeedbackClaim(number=parts[0], round=int(parts[1]), expires=expires)


# --- the department's link (办理入口) -----------------------------------------------------------
#
# The link in a department's notice opens the matter's page for that department without a
# password. It is scoped to one part (one department's assignment on one matter), signed with
# the same key as the feedback link but in its own domain ("part|"), so neither kind of token is
# ever taken for the other. The pages refuse it once the part has ended (returned, withdrawn by
# a re-routing, the matter closed) and after it expires.

PART_LINK_GRACE = timedelta(days=60)  # past the part's own due time


@dataclass(frozen=True)
class PartClaim:
    """What a valid department link says: this part of this matter, until then."""

    number: str
    part_id: int
    expires: datetime


def part_link_expiry(part: Assignment) -> datetime:
    """When a part's link stops working: two months after the latest of its clocks."""
    moments = [m for m in (part.assigned_at, part.ack_due, part.due) if m is not None]
    return max(moments) + PART_LINK_GRACE


def part_token(settings: Settings, number: str, part: Assignment) -> str:
    """The signed token for one department's part (the part must have its id)."""
    assert part.id is not None
    payload = f"{number}.{part.id}.{int(part_link_expiry(part).timestamp())}"
    return f"{payload}.{_signature(secret_key(settings), 'part|' + payload)}"


def part_link(app: App, number: str, part: Assignment) -> str:
    """The 办理入口 link a department's notice carries."""
    return f"{app.settings.link_base.rstrip('/')}/link/{part_token(app.settings, number, part)}"


def read_part_token(settings: Settings, token: str) -> PartClaim | None:
    """The claim of a genuine department token, or None for anything forged or altered."""
    payload, _, signature = token.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit() or len(token) > 200:
        return None
    try:
        expected = _signature(secret_key(settings), "part|" + payload)
    except UnicodeEncodeError:
        return None
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8")):
        return None
    expires = datetime.fromtimestamp(int(parts[2]), tz=UTC)
    return PartClaim(number=parts[0], part_id=int(parts[1]), expires=expires)
