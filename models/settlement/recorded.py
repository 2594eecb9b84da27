"""Checking a recorded (printed) settlement: do its figures add up? Discrepancies are shown, never hidden.

A ``Discrepancy`` is a figure of one printed statement that does not add up; it is not the nightly run's
``models.findings.Discrepancy`` (a stored alarm about a case).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from models.common import RATIO_PLACES, ZERO
from models.settlement.bill import parse_money
from models.settlement.policy import PayerLayer


class DiscrepancyKind(StrEnum):
    LAYERS_DO_NOT_ADD_UP = "layers_do_not_add_up"  # total ≠ Σ layers + patient paid
    SCOPE_DOES_NOT_ADD_UP = "scope_does_not_add_up"  # total ≠ in scope + out of scope
    RATIO_MISPRINTED = "ratio_misprinted"  # printed self-pay ratio ≠ patient paid ÷ total


class Discrepancy(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: DiscrepancyKind
    difference: Decimal
    detail: str


def check_recorded(record: dict[str, Any]) -> list[Discrepancy]:
    """``record``: total, out_of_scope, optional in_scope, paid {layer: amount}, patient_paid,
    optional self_pay_ratio (e.g. "0.0811")."""
    total = parse_money(record["total"], "total")
    oos = parse_money(record.get("out_of_scope", "0"), "out_of_scope")
    paid = {PayerLayer(k): parse_money(v, f"paid.{k}") for k, v in record.get("paid", {}).items()}
    patient = parse_money(record["patient_paid"], "patient_paid")
    findings: list[Discrepancy] = []
    if "in_scope" in record:
        in_scope = parse_money(record["in_scope"], "in_scope")
        if in_scope + oos != total:
            diff = total - oos - in_scope
            findings.append(
                Discrepancy(
                    kind=DiscrepancyKind.SCOPE_DOES_NOT_ADD_UP,
                    difference=diff,
                    detail=f"total − out of scope = {total - oos}, recorded in scope {in_scope}",
                )
            )
    by_layers = sum(paid.values(), ZERO) + patient
    if by_layers != total and paid:
        last = max(paid, key=lambda k: list(PayerLayer).index(k))  # the layer that settles the remainder
        implied = total - patient - sum((v for k, v in paid.items() if k != last), ZERO)
        findings.append(
            Discrepancy(
                kind=DiscrepancyKind.LAYERS_DO_NOT_ADD_UP,
                difference=implied,
                detail=f"total − patient paid − earlier layers = {implied} for {last.value}, but {paid[last]} is "
                f"recorded: layers + patient = {by_layers} against total {total} (off by {by_layers - total})",
            )
        )
    if "self_pay_ratio" in record:
        printed = Decimal(str(record["self_pay_ratio"]))
        actual = (patient / total).quantize(RATIO_PLACES) if total else ZERO
        if printed != actual:
            findings.append(
                Discrepancy(
                    kind=DiscrepancyKind.RATIO_MISPRINTED,
                    difference=actual - printed,
                    detail=f"printed {printed}, patient paid ÷ total = {actual}",
                )
            )
    return findings


#: The names this module had before the rename (kept for code that imports them).
Finding = Discrepancy
FindingKind = DiscrepancyKind
