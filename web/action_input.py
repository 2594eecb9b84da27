"""A submitted action form read into a run's parameters, each field checked with one Chinese line naming it.
A typed note is not a parameter: it is returned apart (``Typed.notes``) for the page to store in
``console_note``, and the parameter becomes ``console-note:<id>`` (``with_notes``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flows.params import MAX_INT
from models.console import note_ref
from models.free_text import no_id_number
from models.settlement.bill import BillError, parse_money
from web.actions import Action, Field

MAX_NOTE = 500
TEXT_LIMIT = 40


class BadField(ValueError):
    def __init__(self, f: Field, why: str) -> None:
        super().__init__(f"{f.label}：{why}")


@dataclass(frozen=True, slots=True)
class Typed:
    params: dict[str, Any]
    notes: dict[str, str]  # parameter name → the note's text (stored apart, never a parameter)


def _date(f: Field, raw: str) -> str:
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise BadField(f, "日期格式应为 YYYY-MM-DD") from None


def _money(f: Field, raw: str) -> str:
    try:
        return str(parse_money(raw, f.name))
    except BillError:
        raise BadField(f, "金额应为元，最多两位小数，如 38734.00") from None


def _int(f: Field, raw: str) -> int:
    if not raw.isdigit() or int(raw) > MAX_INT:
        raise BadField(f, "应为不小于0的整数")
    return int(raw)


def _text(f: Field, raw: str) -> str:
    if len(raw) > TEXT_LIMIT:
        raise BadField(f, f"最多 {TEXT_LIMIT} 个字")
    try:
        no_id_number(raw)
    except ValueError:
        raise BadField(f, "不要填写身份证号") from None
    return raw.upper() if f.name == "icd10" else raw


def _groups(f: Field, form: dict[str, str]) -> list[str] | None:
    picked = [v for v, _ in f.choices if form.get(f"{f.name}:{v}") in ("true", "on", "1")]
    return picked or None


def _value(f: Field, form: dict[str, str]) -> Any:
    if f.kind == "groups":
        return _groups(f, form)
    raw = form.get(f.name, "").strip()
    if f.kind == "bool":
        return raw in ("true", "on", "1")
    if not raw:
        if f.required:
            raise BadField(f, "必填")
        if not f.default:
            return None if f.kind in ("date", "text") and f.name != "icd10" else ""
        raw = f.default
    if f.kind == "date":
        return _date(f, raw)
    if f.kind == "money":
        return _money(f, raw)
    if f.kind == "int":
        return _int(f, raw)
    if f.kind == "choice" and raw not in {v for v, _ in f.choices}:
        raise BadField(f, "请从列表中选择")
    if f.kind == "note":
        if len(raw) > MAX_NOTE:
            raise BadField(f, f"最多 {MAX_NOTE} 个字")
        return raw
    if f.kind == "hospital" and not (raw.replace("-", "").isalnum() and len(raw) <= TEXT_LIMIT):
        raise BadField(f, "请从列表中选择")
    return _text(f, raw) if f.kind == "text" else raw


def read_action(action: Action, subject_id: int, form: dict[str, str], actor: str) -> Typed:
    """The run's parameters (the subject, the fixed and typed fields, the signed-in user) and the typed notes."""
    values = {f.name: _value(f, form) for f in action.fields}
    notes = {f.name: values.pop(f.name) for f in action.fields if f.kind == "note" and values[f.name]}
    params = {action.subject.parameter: subject_id, **action.fixed, **values, "actor": actor}
    return Typed(params, notes)


def with_notes(typed: Typed, note_ids: dict[str, int]) -> dict[str, Any]:
    """The parameters with each stored note referred to by its id."""
    return {**typed.params, **{name: note_ref(i) for name, i in note_ids.items()}}
