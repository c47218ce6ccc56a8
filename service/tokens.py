"""HTTP API tokens: one per department, one for the center, one per intake channel (Open311).

A token is a random secret shown once when it is created; the store keeps only its SHA-256, so
a copy of the store lets nobody in. Revoking is immediate: every request looks the token up.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from messages import text
from models.lookup import department_code
from models.refusals import Code, Issue, Refused
from models.tables import ApiToken
from service.app import App
from service.store.matters import CENTER

PREFIX = "wst_"


@dataclass(frozen=True)
class Caller:
    """Who is calling, as far as the API's rules go."""

    token_id: int
    scope: str  # center, department or intake
    holder: str  # the department's code, "center", or the intake channel's code

    @property
    def is_center(self) -> bool:
        return self.scope == "center"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _shown(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "scope": token.scope,
        "holder": token.holder,
        "label": token.label,
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def create_token(
    *,
    session: Session,
    app: App,
    department: str | None,
    channel: str | None,
    label: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Issue a token for a department (or the center) or an intake channel; the only time the
    secret is seen is in the returned document."""
    if (department is None) == (channel is None):
        raise Refused(Code.token_holder)
    if department is not None:
        department = department_code(app.config, department)
        scope, holder = ("center" if department == CENTER else "department"), department
    else:
        assert channel is not None
        if channel not in app.config.channels_in:
            known = list(app.config.channels_in)
            raise Refused(Code.unknown_channel, field="channel", value=channel, known=known)
        scope, holder = "intake", channel
    if label is not None and len(label) > 100:
        too_long = Issue("label", Code.too_long, {"max_length": 100})
        raise Refused(Code.invalid_input, fields=[too_long])
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        scope=scope, holder=holder, label=label, token_hash=digest(secret), created_at=now
    )
    session.add(token)
    session.commit()
    return _shown(token) | {
        "token": secret,
        "warning": text("token.shown_once", app.language),
    }


def revoke_token(*, session: Session, token_id: int, now: datetime) -> dict[str, Any]:
    """Revoke a token by its id; it stops working at once."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise Refused(Code.no_such_token, id=token_id)
    if token.revoked_at is not None:
        raise Refused(Code.token_already_revoked, id=token_id, at=token.revoked_at.isoformat())
    token.revoked_at = now
    session.add(token)
    session.commit()
    return _shown(token)


def list_tokens(session: Session) -> list[dict[str, Any]]:
    """Every token ever issued (never the secrets, which are not kept)."""
    return [_shown(t) for t in session.exec(select(ApiToken).order_by(col(ApiToken.id))).all()]


def authenticate(session: Session, secret: str) -> Caller | str:
    """The caller a secret belongs to, or why it does not let anyone in ('unknown', 'revoked')."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return "unknown"
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == digest(secret))).first()
    if token is None or token.id is None:
        return "unknown"
    if token.revoked_at is not None:
        return "revoked"
    return Caller(token.id, token.scope, token.holder)
