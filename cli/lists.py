"""External list commands (typer), mounted on the main CLI: ``dabing lists import FILE --source … --date …``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from cli.errors import Typer
from cli.params import Actor, _date
from models.external_lists import ListSource

lists_app = Typer(no_args_is_help=True, help="External lists (扶贫办 / 民政 / 医保) for the 四个一致 check.")


@lists_app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK) or XLSX: 身份证号 or 户编号, and 状态.")],
    source: Annotated[ListSource, typer.Option(help="poverty_office | civil_affairs | insurance.")],
    list_date: Annotated[str, typer.Option("--date", callback=_date, help="The list's date, YYYY-MM-DD.")],
    actor: Actor = "coordinator",
) -> None:
    """Import a list: every row checked first (a bad row rejects the file, naming line and field); people matched
    by the keyed hash of their ID number or by household; a re-import of the same source and date writes nothing
    new; unmatched rows are listed by line."""
    from flows.lists import import_list

    report = import_list(path=str(file), source=source, list_date=date.fromisoformat(list_date), actor=actor)
    typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
