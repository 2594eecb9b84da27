"""`dabing users`: console passwords. Every person actor of config/data/actors.yaml may get one (argon2id hash
in table ``console_user``); system actors cannot sign in. The password is typed at the prompt (twice, hidden)
or read from standard input with --password-stdin (scripts, the demo); never an argument."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from cli.errors import Typer

users_app = Typer(help="Console users: set a password (argon2), list who can sign in.", no_args_is_help=True)
MIN_LENGTH = 8


def _refuse(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@users_app.command("set-password")
def set_password(
    actor: Annotated[str, typer.Argument(help="A coordinator or supervisor id from config/data/actors.yaml.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Set (or replace) ACTOR's console password; a lock-out is not lifted by it (it expires by itself)."""
    from models.access import Actor
    from models.common import utcnow
    from models.console import ConsoleUser
    from models.enums import ActorRole
    from tasks.infra.db import session_scope
    from tasks.infra.setup import init_db
    from web.security import hash_password

    init_db()
    with session_scope() as s:
        row = s.get(Actor, actor)
        if row is None or not row.active:
            _refuse(f"no active actor {actor} (config/data/actors.yaml)")
        elif row.role == ActorRole.SYSTEM:
            _refuse(f"{actor} is a system actor: system actors cannot sign in to the console")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_LENGTH:
        _refuse(f"password: at least {MIN_LENGTH} characters")
    with session_scope() as s:
        user = s.get(ConsoleUser, actor) or ConsoleUser(actor_id=actor, password_hash="")
        user.password_hash, user.updated_at = hash_password(password), utcnow()
        s.add(user)
    typer.echo(f"password set for {actor}")


@users_app.command("list")
def list_users() -> None:
    """Every person actor and whether they can sign in."""
    from sqlalchemy import select
    from sqlmodel import col

    from models.access import Actor
    from models.console import ConsoleUser
    from models.enums import ActorRole
    from tasks.infra.db import session_scope

    with session_scope() as s:
        have = set(s.execute(select(col(ConsoleUser.actor_id))).scalars())
        for a in s.execute(select(Actor).where(col(Actor.role) != ActorRole.SYSTEM).order_by(col(Actor.id))).scalars():
            typer.echo(f"{a.id}\t{a.role}\t{a.region_prefix}\t{'password set' if a.id in have else 'no password'}")
