"""JSON in, JSON out: the ``settle-preview`` contract (nothing is written)."""

from __future__ import annotations

from typing import Any, Protocol

from models.settlement.bill import BillError, parse_bill
from models.settlement.engine import settle
from models.settlement.policy import Policy


class Policies(Protocol):
    def in_force(self, region: str, on: Any) -> Policy: ...

    def known_groups(self) -> frozenset[str]: ...


def preview(bill_json: dict[str, Any], policies: Policies) -> dict[str, Any]:
    bill = parse_bill(bill_json)
    unknown = sorted(bill.patient.groups - policies.known_groups())
    if unknown:
        known = ", ".join(sorted(policies.known_groups()))
        raise BillError("patient.groups", f"unknown group {unknown[0]!r} (known: {known})")
    policy = policies.in_force(bill.region, bill.service_date)
    statement, _ = settle(bill, policy)
    return {
        "policy_id": statement.policy_id,
        "total": str(statement.total),
        "in_scope": str(statement.in_scope),
        "layers": [
            {
                "layer": ln.layer.value,
                "paid": str(ln.paid),
                "rule": ln.rule,
                "label_zh": ln.label_zh,
                "base": str(ln.base),
                "deductible": str(ln.deductible),
                "ratio": str(ln.ratio),
            }
            for ln in statement.layers
        ],
        "patient_pays": str(statement.patient_pays),
        "self_pay_ratio": str(statement.self_pay_ratio),
        "flags": [f.value for f in statement.flags],
    }
