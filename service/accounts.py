"""Staff accounts for the workbench pages: who signs in, their sessions, and the lock-out.

A person signs in with their name and a password. The store keeps an argon2id hash of the
password (argon2-cffi) and, for each signed-in browser, the SHA-256 of a random session secret,
so a copy of the store lets nobody in. Five wrong passwords in a row lock the account for a
quarter of an hour; disabling an account ends its sessions at once.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, select

from models.refusals import Code, Issue, Refused
from models.tables import StaffSession, StaffUser
from service.app import App
from service.store.matters import CENTER

MAX_FAILURES = 5  # wrong passwords in a row before the account is locked
LOCKED_FOR = timedelta(minutes=15)
SESSION_LIFETIME = timedelta(hours=12)  # a working day; then sign in again
MIN_PASSWORD = 10
MAX_PASSWORD = 200

_HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106 low-memory) parameters
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


class StaffRole(StrEnum):
    """What an account may open: a department's head or clerk act for the department (the
    center's act as the center); the leadership reads the board."""

    head = "head"
    clerk = "clerk"
    leadership = "leadership"


@dataclass(frozen=True)
class Staff:
    """The signed-in person, as the pages need them."""

    id: int
    name: str
    department: str
    role: StaffRole

    @property
    def is_center(self) -> bool:
        return self.department == CENTER

    @property
    def sees_board(self) -> bool:
        return self.role is StaffRole.leadership or (self.is_center and self.role is StaffRole.head)


class SignInResult(StrEnum):
    ok = "ok"
    wrong = "wrong"  # unknown name or wrong password: the same answer for both
    locked = "locked"
    disabled = "disabled"


@dataclass(frozen=True)
class SignIn:
    """What came of a sign-in: on success the session secret for the cookie."""

    result: SignInResult
    staff: Staff | None = None
    secret: str | None = None
    locked_until: datetime | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def clean_name(name: str) -> str:
    """A name as typed with a Chinese input method or not: full-width forms folded, trimmed."""
    return unicodedata.normalize("NFKC", name).strip()


def _staff(user: StaffUser) -> Staff:
    assert user.id is not None
    return Staff(user.id, user.name, user.department, StaffRole(user.role))


def _shown(user: StaffUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "department": user.department,
        "role": user.role,
        "created_at": user.created_at.isoformat(),
        "disabled_at": user.disabled_at.isoformat() if user.disabled_at else None,
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def create_user(
    *,
    session: Session,
    app: App,
    department: str,
    name: str,
    role: str = StaffRole.clerk,
    password: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """Open an account; without a password one is generated and returned this once."""
    if department not in app.config.departments:
        raise Refused(Code.unknown_department, field="department", value=department)
    try:
        staff_role = StaffRole(role)
    except ValueError:
        known = ", ".join(r.value for r in StaffRole)
        raise Refused(Code.unknown_role, field="role", value=role, known=known) from None
    login = clean_name(name)
    if not login:
        raise Refused(Code.invalid_input, fields=[Issue("name", Code.empty)])
    if len(login) > 60 or any(unicodedata.category(ch)[0] == "C" for ch in login):
        raise Refused(Code.invalid_input, fields=[Issue("name", Code.too_long, {"max_length": 60})])
    generated = password is None
    secret = secrets.token_urlsafe(12) if password is None else password
    if not MIN_PASSWORD <= len(secret) <= MAX_PASSWORD:
        raise Refused(Code.password_length, field="password", min=MIN_PASSWORD, max=MAX_PASSWORD)
    if session.exec(select(StaffUser.id).where(StaffUser.name == login)).first() is not None:
        raise Refused(Code.account_exists, field="name", value=login)
    user = StaffUser(
        name=login,
        department=department,
        role=staff_role.value,
        password_hash=_HASHER.hash(secret),
        created_at=now,
    )
    session.add(user)
    session.commit()
    shown_user = _shown(user)
    if generated:
        shown_user |= {
            "password": secret,
            "warning": "give this password to its holder now: it is shown only once",
        }
    return shown_user


def list_users(session: Session) -> list[dict[str, Any]]:
    """Every account (never a password or its hash)."""
    return [_shown(u) for u in session.exec(select(StaffUser).order_by(col(StaffUser.id))).all()]


def _find(session: Session, who: str, *, lock: bool = False) -> StaffUser | None:
    query = select(StaffUser)
    query = (
        query.where(StaffUser.id == int(who))
        if who.isdigit()
        else query.where(StaffUser.name == clean_name(who))
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def disable_user(*, session: Session, who: str, now: datetime) -> dict[str, Any]:
    """Disable an account (by name or id): it cannot sign in, and its sessions end now."""
    user = _find(session, who, lock=True)
    if user is None:
        raise Refused(Code.no_account, value=who)
    if user.disabled_at is not None:
        raise Refused(Code.account_disabled, value=user.name, at=user.disabled_at.isoformat())
    user.disabled_at = now
    session.add(user)
    _end_sessions(session, user, now)
    session.commit()
    return _shown(user)


def _end_sessions(session: Session, user: StaffUser, now: datetime) -> None:
    for open_session in session.exec(
        select(StaffSession).where(
            StaffSession.user_id == user.id, col(StaffSession.ended_at).is_(None)
        )
    ).all():
        open_session.ended_at = now
        session.add(open_session)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sign_in(*, session: Session, name: str, password: str, now: datetime) -> SignIn:
    """Check a name and password; on success open a session. Every failure is counted, and the
    fifth in a row locks the account; while locked, not even the right password lets in."""
    login = clean_name(name)[:60]
    user = _find(session, login, lock=True) if login and not login.isdigit() else None
    if user is None:
        _verify(_DUMMY, password)
        session.rollback()
        return SignIn(SignInResult.wrong)
    if user.locked_until is not None and user.locked_until > now:
        session.rollback()
        return SignIn(SignInResult.locked, locked_until=user.locked_until)
    if not _verify(user.password_hash, password[:MAX_PASSWORD]):
        user.failed_logins += 1
        until = None
        if user.failed_logins >= MAX_FAILURES:
            user.failed_logins, user.locked_until = 0, now + LOCKED_FOR
            until = user.locked_until
        session.add(user)
        session.commit()
        return SignIn(SignInResult.locked if until else SignInResult.wrong, locked_until=until)
    if user.disabled_at is not None:
        session.rollback()
        return SignIn(SignInResult.disabled)
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    secret = secrets.token_urlsafe(32)
    assert user.id is not None
    session.add(user)
    session.add(
        StaffSession(
            token_hash=_digest(secret),
            user_id=user.id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.commit()
    return SignIn(SignInResult.ok, staff=_staff(user), secret=secret)


def signed_in(*, session: Session, secret: str, now: datetime) -> Staff | None:
    """The person a session secret belongs to, while the session and the account are good."""
    if not secret or len(secret) > 100:
        return None
    row = session.exec(
        select(StaffSession, StaffUser)
        .join(StaffUser, col(StaffUser.id) == StaffSession.user_id)
        .where(StaffSession.token_hash == _digest(secret))
    ).first()
    if row is None:
        return None
    found, user = row
    if found.ended_at is not None or found.expires_at <= now or user.disabled_at is not None:
        return None
    return _staff(user)


def sign_out(*, session: Session, secret: str, now: datetime) -> None:
    """End the session behind a secret (nothing happens for an unknown one)."""
    found = session.exec(
        select(StaffSession).where(StaffSession.token_hash == _digest(secret))
    ).first()
    if found is not None and found.ended_at is None:
        found.ended_at = now
        session.add(found)
        session.commit()


__all__ = [
    "LOCKED_FOR",
    "MAX_FAILURES",
    "SESSION_LIFETIME",
    "SignIn",
    "SignInResult",
    "Staff",
    "StaffRole",
    "create_user",
    "disable_user",
    "list_users",
    "sign_in",
    "sign_out",
    "signed_in",
]
