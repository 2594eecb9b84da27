"""Catalogue commands (typer): ``dabing catalogue show [--on D]`` and ``dabing catalogue retriage --on D``."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from cli.errors import Typer
from cli.params import OptDay, OptRegion, _date

catalogue_app = Typer(no_args_is_help=True, help="The special-disease catalogue (大病专项救治病种) and its versions.")


def _day(value: str | None) -> date:
    from config.settings import get_settings
    from models.common import local_today

    return date.fromisoformat(value) if value else local_today(get_settings().timezone)


@catalogue_app.command()
def show(on: OptDay = None, versions: Annotated[bool, typer.Option(help="List every version.")] = False) -> None:
    """The version in force on a day (default today): its diseases in Chinese, ICD-10 codes, category."""
    from config.catalogue import load_catalogue_history
    from models.catalogue_render import render_catalogue, render_versions

    history = load_catalogue_history()
    typer.echo(render_versions(history) if versions else render_catalogue(history, _day(on)))


@catalogue_app.command()
def retriage(
    on: Annotated[str, typer.Option(callback=_date, help="The night, YYYY-MM-DD: the version in force then.")],
    region_code: OptRegion = None,
    actor: Annotated[str, typer.Option(help="A system actor, or a person for a region in their scope.")] = "nightly",
) -> None:
    """Triage the cases a catalogue version in force on --on changes (held confirmed cases; diseases whose
    category changed), set-based and audited (reason catalogue_<version>). Idempotent; never backwards."""
    from models.nightly import check_day
    from tasks.infra.access import authorize_nightly
    from tasks.infra.db import session_scope
    from tasks.pathway.retriage import retriage_cases

    night = check_day("on", date.fromisoformat(on), _day(None))  # never stamp cases with a future version
    authorize_nightly(actor, region_code)
    with session_scope() as s:
        result = retriage_cases(s, night, region_code, actor)
    typer.echo(json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2))
