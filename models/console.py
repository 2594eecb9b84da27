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


#: How a note is referred to in a flow's parameters and in the audit rows the flow writes: its id only.
NOTE_REF = "console-note:"


class ConsoleNote(SQLModel, table=True):
    """Free text a user typed on a page (a reason, an alarm's note): kept here, appended, never updated. The run
    it goes with carries only ``console-note:<id>`` (``NOTE_REF``), so no typed text reaches Prefect."""

    __tablename__ = "console_note"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: str = Field(max_length=60)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    text: str = Field(max_length=500)
    at: datetime = Field(default_factory=utcnow)


def note_ref(note_id: int) -> str:
    return f"{NOTE_REF}{note_id}"


def note_id_of(text: str) -> int | None:
    """The note id a stored reason refers to, or None for a reason typed elsewhere (the CLI)."""
    rest = text.removeprefix(NOTE_REF)
    return int(rest) if rest != text and rest.isdigit() and len(rest) < 10 else None
