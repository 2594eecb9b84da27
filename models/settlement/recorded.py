"""Checking a recorded (printed) settlement: do its figures add up? Discrepancies are shown, never hidden."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from models.settlement.bill import parse_money
from models.settlement.policy import PayerLayer


class FindingKind(StrEnum):
    LAYERS_DO_NOT_ADD_UP = "layers_do_not_add_up"  # total ≠ Σ layers + patient paid
    SCOPE_DOES_NOT_ADD_UP = "scope_does_not_add_up"  # total ≠ in scope + out of scope
    RATIO_MISPRINTED = "ratio_misprinted"  # printed self-pay ratio ≠ patient paid ÷ total


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: FindingKind
    difference: Decimal
    detail: str


def check_recorded(record: dict[str, Any]) -> list[Finding]:
    """``record``: total, out_of_scope, optional in_scope, paid {layer: amount}, patient_paid,
    optional self_pay_ratio (e.g. "0.0811")."""
    total = parse_money(record["total"], "total")
    oos = parse_money(record.get("out_of_scope", "0"), "out_of_scope")
    paid = {PayerLayer(k): parse_money(v, f"paid.{k}") for k, v in record.get("paid", {}).items()}
    patient = parse_money(record["patient_paid"], "patient_paid")
    findings: list[Finding] = []
    if "in_scope" in record:
        in_scope = parse_money(record["in_scope"], "in_scope")
        if in_scope + oos != total:
            diff = total - oos - in_scope
            findings.append(
                Finding(
                    kind=FindingKind.SCOPE_DOES_NOT_ADD_UP,
                    difference=diff,
                    detail=f"total − out of scope = {total - oos}, recorded in scope {in_scope}",
                )
            )
    by_layers = sum(paid.values(), Decimal("0.00")) + patient
    if by_layers != total and paid:
        last = max(paid, key=lambda k: list(PayerLayer).index(k))  # the layer that settles the remainder
        implied = total - patient - sum((v for k, v in paid.items() if k != last), Decimal("0.00"))
        findings.append(
            Finding(
                kind=FindingKind.LAYERS_DO_NOT_ADD_UP,
                difference=implied,
                detail=f"total − patient paid − earlier layers = {implied} for {last.value}, but {paid[last]} is "
                f"recorded: layers + patient = {by_layers} against total {total} (off by {by_layers - total})",
            )
        )
    if "self_pay_ratio" in record:
        printed = Decimal(str(record["self_pay_ratio"]))
        actual = (patient / total).quantize(Decimal("0.0001")) if total else Decimal("0")
        if printed != actual:
            findings.append(
                Finding(
                    kind=FindingKind.RATIO_MISPRINTED,
                    difference=actual - printed,
                    detail=f"printed {printed}, patient paid ÷ total = {actual}",
                )
            )
    return findings
