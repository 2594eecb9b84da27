"""Alarm commands (预警处置), mounted on the main CLI: ``dabing alarms list|ack|assign|handle|dismiss``."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.errors import Typer
from models.alarms import AlarmAction, AlarmStep
from models.findings import FindingKind

alarms_app = Typer(no_args_is_help=True, help="Alarms: list, acknowledge, assign, handle, dismiss (audited).")
ActorOpt = Annotated[str, typer.Option(help="Coordinator or supervisor id (their region scope applies).")]
AlarmId = Annotated[int, typer.Argument(help="The alarm's id (from `alarms list`).")]
NoteOpt = Annotated[str, typer.Option(help="Note (核实情况) or reason (排除理由).")]


@alarms_app.command("list")
def list_cmd(
    actor: ActorOpt = "coordinator",
    region_code: Annotated[str | None, typer.Option(help="One region within the actor's scope.")] = None,
    kind: Annotated[FindingKind | None, typer.Option(help="Only this kind.")] = None,
    all_statuses: Annotated[bool, typer.Option("--all", help="Also handled / dismissed (condition holds).")] = False,
    escalated: Annotated[
        bool | None, typer.Option("--escalated/--not-escalated", help="Default: escalated only above a county.")
    ] = None,
    limit: int = 50,
) -> None:
    """Open alarms of the actor's scope, newest first (a prefecture supervisor sees the escalated ones)."""
    from tasks.alarms.actions import list_alarms
    from tasks.infra.db import session_scope
    from web.finding_text import finding_reason  # the console's Chinese reading of the stored reason

    with session_scope() as s:
        rows = list_alarms(s, actor, region_code, not all_statuses, escalated, kind, limit)
    for r in rows:
        up = f" ↑{r.escalated_on.isoformat()}" if r.escalated_on else ""
        who = f" → {r.assignee}" if r.assignee else ""
        shown = f"{r.kind.label}（{r.kind.value}）"  # the code beside the label: what --kind takes
        typer.echo(f"{r.id}\t{r.opened_on.isoformat()}\t{r.region_code}\t{shown}\t{r.status.label}{up}{who}"
                   f"\t{r.subject}\t{finding_reason(r.reason)}")  # fmt: skip
    typer.echo(f"{len(rows)} alarm(s)", err=True)


def _step(finding_id: int, step: AlarmStep, actor: str, note: str = "", action: AlarmAction | None = None,
          assignee: str | None = None) -> None:  # fmt: skip
    from flows.alarms import alarm_step_flow

    status = alarm_step_flow(finding_id=finding_id, step=step, actor=actor, note=note, action=action, assignee=assignee)
    typer.echo(f"alarm {finding_id}: {status.value} ({status.label})")


@alarms_app.command("ack")
def ack(finding_id: AlarmId, note: NoteOpt, actor: ActorOpt = "coordinator") -> None:
    """核实: acknowledge with a note."""
    _step(finding_id, AlarmStep.ACKNOWLEDGE, actor, note)


@alarms_app.command("assign")
def assign(
    finding_id: AlarmId,
    assignee: Annotated[str, typer.Option(help="Who handles it (internal id).")],
    note: NoteOpt = "",
    actor: ActorOpt = "coordinator",
) -> None:
    """分派: assign to someone."""
    _step(finding_id, AlarmStep.ASSIGN, actor, note, assignee=assignee)


@alarms_app.command("handle")
def handle(
    finding_id: AlarmId,
    action: Annotated[AlarmAction, typer.Option(help="处置措施 (fixed list).")],
    note: NoteOpt = "",
    actor: ActorOpt = "coordinator",
) -> None:
    """处置: mark handled with the action taken."""
    _step(finding_id, AlarmStep.HANDLE, actor, note, action=action)


@alarms_app.command("dismiss")
def dismiss(finding_id: AlarmId, note: NoteOpt, actor: ActorOpt = "coordinator") -> None:
    """排除: dismiss with a reason."""
    _step(finding_id, AlarmStep.DISMISS, actor, note)
