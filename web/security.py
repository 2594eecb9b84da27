"""Passwords (argon2id, argon2-cffi), the signed session cookie, CSRF tokens and the sign-in lock-out.

The session cookie is ``base64url(JSON {actor, exp, csrf}).hex(HMAC-SHA256)`` under a key derived from
``DABING_IDENTITY_KEY`` (``models.actor_assertion.derive_key``, its own purpose): HttpOnly, SameSite=Lax. Every
form carries the session's CSRF token; a POST without it is refused (403) before anything is read or written.
Lock-out: ``MAX_FAILURES`` failed sign-ins of one user within ``LOCK_MINUTES`` (since their last success) refuse
every further attempt, the right password too, until the window has passed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlmodel import Session, col

from config.actors import load_actors
from config.settings import get_settings
from models.access import Actor
from models.actor_assertion import derive_key
from models.common import utcnow
from models.console import ConsoleLogin, ConsoleUser
from models.enums import ActorRole

COOKIE = "dabing_session"
SESSION_SECONDS = 8 * 3600
MAX_FAILURES = 5
LOCK_MINUTES = 15
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_ok(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _session_key() -> bytes:
    return derive_key(get_settings().identity_key.get_secret_value(), b"console-session")


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in person: the actor of every action they take."""

    actor: str
    display: str
    role: ActorRole
    region_prefix: str
    csrf: str

    def covers(self, region_code: str) -> bool:
        return region_code.startswith(self.region_prefix)

    @property
    def coordinator(self) -> bool:
        return self.role == ActorRole.COORDINATOR


def session_cookie(actor: str, now: float | None = None) -> str:
    body = {"a": actor, "exp": int((now or time.time()) + SESSION_SECONDS), "csrf": secrets.token_urlsafe(24)}
    data = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()
    return f"{data}.{hmac.new(_session_key(), data.encode(), hashlib.sha256).hexdigest()}"


def read_cookie(value: str | None, now: float | None = None) -> dict[str, str] | None:
    """The session's actor and CSRF token, or None (no cookie, bad signature, expired)."""
    if not value or "." not in value:
        return None
    data, _, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, hmac.new(_session_key(), data.encode(), hashlib.sha256).hexdigest()):
        return None
    try:
        body = json.loads(base64.urlsafe_b64decode(data.encode()))
    except ValueError:
        return None
    if not isinstance(body, dict) or int(body.get("exp", 0)) < (now or time.time()):
        return None
    return {"actor": str(body["a"]), "csrf": str(body["csrf"])}


def csrf_ok(session: dict[str, str] | None, token: str | None) -> bool:
    return bool(session and token) and hmac.compare_digest(str(session and session["csrf"]), str(token))


def user_of(s: Session, session: dict[str, str]) -> User | None:
    """The user of a valid session: still an active person actor with a password."""
    row = s.get(Actor, session["actor"])
    if row is None or not row.active or row.role == ActorRole.SYSTEM or s.get(ConsoleUser, row.id) is None:
        return None
    return User(row.id, row.display, ActorRole(row.role), row.region_prefix, session["csrf"])


def person_actors() -> list[str]:
    return [a.id for a in load_actors() if a.role != ActorRole.SYSTEM]


def locked(s: Session, actor: str) -> bool:
    since = utcnow() - timedelta(minutes=LOCK_MINUTES)
    last_ok = s.execute(
        select(func.max(col(ConsoleLogin.at))).where(col(ConsoleLogin.actor_id) == actor, col(ConsoleLogin.ok))
    ).scalar()
    if last_ok is not None and last_ok.tzinfo is None:  # SQLite gives naive UTC back
        last_ok = last_ok.replace(tzinfo=since.tzinfo)
    start = since if last_ok is None else max(since, last_ok)
    failures = s.execute(
        select(func.count()).where(
            col(ConsoleLogin.actor_id) == actor, col(ConsoleLogin.at) >= start, col(ConsoleLogin.ok).is_(False)
        )
    ).scalar_one()
    return int(failures) >= MAX_FAILURES


def sign_in(s: Session, actor: str, password: str) -> str | None:
    """None when signed in, else the Chinese reason. Every attempt is recorded (the lock-out counts them)."""
    actor = actor.strip()[:60]
    if locked(s, actor):
        s.add(ConsoleLogin(actor_id=actor, ok=False))
        return f"登录失败次数过多，账号已锁定，请{LOCK_MINUTES}分钟后再试"
    row = s.get(Actor, actor)
    user = s.get(ConsoleUser, actor)
    good = (
        row is not None
        and row.active
        and row.role != ActorRole.SYSTEM
        and user is not None
        and password_ok(user.password_hash, password)
    )
    if user is None:
        _hasher.hash(password)  # an unknown user costs as long as a wrong password (no user oracle by timing)
    s.add(ConsoleLogin(actor_id=actor, ok=good))
    return None if good else "用户名或密码不正确"
