"""`dabing import`: a screening file (CSV in UTF-8/GBK/GB18030 or XLSX, English or Chinese headers)."""

from __future__ import annotations

import asyncio
import json

import typer

from cli.params import Actor, InputFile


def import_file(csv_path: InputFile, actor: Actor = "coordinator") -> None:
    """Import a screening file: CSV (UTF-8, UTF-8 with BOM, GBK, GB18030) or XLSX, headers in English or Chinese
    (户编号, 身份证号, 姓名, 行政区划代码, 贫困属性, 筛查日期, 诊断编码). Every row is checked; a bad row rejects the
    file. Importing a file again writes only findings not imported before (person, code, date)."""
    from flows.intake import import_screenings

    report = asyncio.run(import_screenings(str(csv_path.resolve()), actor))
    typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2))
    if report.already_known:
        typer.echo(f"{report.already_known} finding(s) were already imported: skipped", err=True)
    if report.duplicates_in_file:
        lines = ", ".join(map(str, report.duplicate_lines))
        typer.echo(f"{report.duplicates_in_file} row(s) repeat an earlier row of the file (lines {lines}): "
                   "imported once", err=True)  # fmt: skip
    if report.hint:
        lines = ", ".join(map(str, report.status_differs_lines))
        typer.echo(f"warning: lines {lines}: {report.hint}", err=True)
