"""Our statement rendered in the layout of national interface 2207 (the reverse of reading a record, see
``nhsa2207.py``), as a JSON-lines record or a CSV row (pure)."""

from __future__ import annotations

import json
from typing import Any

from models.settlement.bill import Bill, Statement
from models.settlement.nhsa2207 import CSV_COLUMNS, FUND_PAY_TYPE, LAYER_FIELD, PRIOR_FIELDS, ZERO
from models.settlement.policy import PayerLayer


def render_2207(statement: Statement, bill: Bill, setl_id: str, hospital: str) -> dict[str, Any]:
    """Our statement in the 2207 layout plus the extra columns: what a record of it would say (stored
    settlements: ``dabing settlement export``, tasks/settlement/export.py)."""
    paid = {ln.layer: ln.paid for ln in statement.layers}
    basic = next((ln for ln in statement.layers if ln.layer == PayerLayer.BASIC_INSURANCE), None)
    fund = sum(paid.values(), ZERO)
    record: dict[str, Any] = {
        "setl_id": setl_id,
        "fixmedins_code": hospital,
        "medfee_sumamt": str(statement.total),
        "fulamt_ownpay_amt": str(bill.out_of_scope),
        "inscp_scp_amt": str(statement.in_scope),
        "act_pay_dedc": str(basic.deductible if basic else ZERO),
        **{field: str(paid.get(layer, ZERO)) for layer, field in LAYER_FIELD.items()},
        "fund_pay_sumamt": str(fund),
        "psn_cash_pay": str(statement.patient_pays),
        "acct_pay": "0.00",
        "setldetail": [
            {"fund_pay_type": FUND_PAY_TYPE[layer], "fund_payamt": str(amount)}
            for layer, amount in paid.items()
            if amount
        ],
        "region": bill.region,
        "service_date": bill.service_date.isoformat(),
        "setting": bill.setting.value,
        "hospital_level": bill.hospital_level.value,
        "hospital_location": bill.hospital_location.value,
        "poverty_status": bill.patient.poverty_status.value,
        "age": bill.patient.age,
        "groups": sorted(bill.patient.groups),
        "sessions": bill.sessions,
        "treatment": bill.treatment_kind.value,
    }
    for layer, use in bill.prior_paid.items():
        record[f"prior_{layer.value}_paid"] = str(use.paid)
        record[f"prior_{layer.value}_deductible"] = str(use.deductible)
    return record


def to_csv_row(record: dict[str, Any]) -> dict[str, str]:
    """A rendered record as one CSV row (``setldetail`` and ``groups`` as ";"-joined text)."""
    row = {k: ("" if v is None else str(v)) for k, v in record.items() if k not in ("setldetail", "groups")}
    row["setldetail"] = ";".join(f"{d['fund_pay_type']}:{d['fund_payamt']}" for d in record.get("setldetail", []))
    row["groups"] = ";".join(record.get("groups", []))
    return row


def csv_columns() -> list[str]:
    return [*CSV_COLUMNS, *PRIOR_FIELDS]


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))
