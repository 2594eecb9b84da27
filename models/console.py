"""The console's users (one per configured person actor, an argon2 password hash), its sign-in attempts (the
lock-out counts the recent failures) and its audit of identity shown on screen. Tables only (pure)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from models.common import utcnow


class ConsoleUser(SQLModel, table=True):
    """A person actor who may sign in to the console (``dabing users set-password ACTOR``)."""

    __tablename__ = "console_user"

    actor_id: str = Field(primary_key=True, foreign_key="actor.id", max_length=60)
    password_hash: str = Field(max_length=200, description="argon2id hash (argon2-cffi), never the password.")
    updated_at: datetime = Field(default_factory=utcnow)


class ConsoleLogin(SQLModel, table=True):
    """Every sign-in attempt (appended): the lock-out counts failures since the last success."""

    __tablename__ = "console_login"
    __table_args__ = (Index("ix_console_login_actor_at", "actor_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    actor_id: str = Field(max_length=60, description="What was typed as the user (an unknown one too).")
    ok: bool
    at: datetime = Field(default_factory=utcnow)


class ConsoleAudit(SQLModel, table=True):
    """Who was shown what identity, when (the clear ID number on a patient's page)."""

    __tablename__ = "console_audit"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: str = Field(max_length=60)
    action: str = Field(max_length=40)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    at: datetime = Field(default_factory=utcnow)
