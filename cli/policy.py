"""``dabing policy check FILE`` and ``dabing policy diff A B``: a proposed policy file validated and read in
Chinese, and what it changes rule by rule (registered in cli/app.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.errors import Typer
from cli.params import InputFile

if TYPE_CHECKING:
    from models.settlement.policy import Policy

policy_app = Typer(no_args_is_help=True, help="政策文件:校验、中文说明、逐条对比 (policy files).")


def _load(path: Path) -> Policy:
    from config.policies import PolicyFileError, load_policy_file
    from models.errors import BadInput

    try:
        return load_policy_file(path)
    except PolicyFileError as exc:
        raise BadInput("policy", str(exc)) from None


@policy_app.command("check")
def check(file: InputFile) -> None:
    """Validate FILE (one policy) and print its layers and rules in Chinese."""
    from models.enums import PatientGroup
    from models.settlement.policy_text import describe

    policy = _load(file)
    for line in describe(policy):
        typer.echo(line)
    unknown = sorted(policy.groups - {g.value for g in PatientGroup})
    if unknown:
        typer.echo(f"注意:未知人群 {', '.join(unknown)}(不是已登记的人群,规则永远不会匹配)", err=True)
    typer.echo(f"ok: {file.name} 有效")


@policy_app.command("diff")
def diff_cmd(a: InputFile, b: InputFile) -> None:
    """What policy B changes in policy A, rule by rule (ratios, deductibles, caps, groups, layers)."""
    from models.settlement.policy_text import diff

    changes = diff(_load(a), _load(b))
    for line in changes:
        typer.echo(line)
    typer.echo(f"{len(changes)} 处变化" if changes else "两份政策的规则相同")
