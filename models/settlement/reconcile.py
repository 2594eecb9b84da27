"""Reconciliation of recorded settlements (2207 layout, ``nhsa2207.py``) against the policy in force (pure).

Each record is checked two ways: do its own figures add up (``recorded.check_recorded``, plus the fund sum and
the setldetail rows), and does each layer pay what our engine says the policy pays. Records stream through:
the caller hands lines in and gets discrepancies out one record at a time; ``Summary`` keeps only totals.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from models.errors import BadInput
from models.settlement.bill import BillError
from models.settlement.engine import settle
from models.settlement.nhsa2207 import LAYER_FIELD, ZERO, Parser, Recorded
from models.settlement.policy import PayerLayer, Policy
from models.settlement.recorded import DiscrepancyKind, check_recorded


class Policies(Protocol):
    def in_force(self, region: str, on: date) -> Policy: ...

    def known_groups(self) -> frozenset[str]: ...


class Kind(StrEnum):
    """What is wrong with a record; the value is stable, the label Chinese."""

    NO_POLICY = "no_policy"  # 无适用政策 (region or date without a policy)
    LAYER_DIFFERS = "layer_differs"  # 分层支付与政策不符
    DEDUCTIBLE_DIFFERS = "deductible_differs"  # 起付线与政策不符
    LAYERS_DO_NOT_ADD_UP = DiscrepancyKind.LAYERS_DO_NOT_ADD_UP.value  # 各层+个人≠总额
    SCOPE_DOES_NOT_ADD_UP = DiscrepancyKind.SCOPE_DOES_NOT_ADD_UP.value  # 范围内+全自费≠总额
    FUND_SUM_DOES_NOT_ADD_UP = "fund_sum_does_not_add_up"  # 基金支付总额≠各基金之和
    DETAIL_DIFFERS = "detail_differs"  # setldetail 与 setlinfo 不符

    @property
    def label_zh(self) -> str:
        return _LABELS[self]


_LABELS = {
    Kind.NO_POLICY: "无适用政策",
    Kind.LAYER_DIFFERS: "分层支付与政策不符",
    Kind.DEDUCTIBLE_DIFFERS: "起付线与政策不符",
    Kind.LAYERS_DO_NOT_ADD_UP: "各层支付与个人负担之和不等于总额",
    Kind.SCOPE_DOES_NOT_ADD_UP: "范围内与全自费之和不等于总额",
    Kind.FUND_SUM_DOES_NOT_ADD_UP: "基金支付总额不等于各基金之和",
    Kind.DETAIL_DIFFERS: "基金支付明细与结算信息不符",
}


class Discrepancy(NamedTuple):
    line: int
    setl_id: str
    hospital: str
    kind: Kind
    layer: str  # a PayerLayer value, or "" where the finding is about the whole record
    recorded: Decimal | None
    expected: Decimal | None
    detail: str

    @property
    def difference(self) -> Decimal | None:
        return None if self.recorded is None or self.expected is None else self.recorded - self.expected


class Summary:
    """Totals of a reconciliation run: records, discrepancies by kind, per layer and per hospital."""

    def __init__(self) -> None:
        self.records = 0
        self.settled = 0
        self.by_kind: Counter[Kind] = Counter()
        self.recorded: dict[PayerLayer, Decimal] = dict.fromkeys(PayerLayer, ZERO)
        self.policy: dict[PayerLayer, Decimal] = dict.fromkeys(PayerLayer, ZERO)
        self.hospital_records: Counter[str] = Counter()
        self.hospital_off: Counter[str] = Counter()  # records with at least one discrepancy
        self.hospital_amount: dict[str, Decimal] = {}  # Σ |recorded − policy| over layer differences

    def add(self, rec: Recorded, found: list[Discrepancy], policy_paid: dict[PayerLayer, Decimal] | None) -> None:
        self.records += 1
        self.hospital_records[rec.hospital] += 1
        if policy_paid is not None:
            self.settled += 1
            for layer, amount in rec.paid.items():
                self.recorded[layer] += amount
                self.policy[layer] += policy_paid.get(layer, ZERO)
        if found:
            self.hospital_off[rec.hospital] += 1
        for d in found:
            self.by_kind[d.kind] += 1
            if d.kind == Kind.LAYER_DIFFERS and d.difference is not None:
                self.hospital_amount[d.hospital] = self.hospital_amount.get(d.hospital, ZERO) + abs(d.difference)

    def merge(self, other: Summary) -> None:
        """Add another part's totals (a worker's chunk)."""
        self.records += other.records
        self.settled += other.settled
        self.by_kind.update(other.by_kind)
        for layer in PayerLayer:
            self.recorded[layer] += other.recorded[layer]
            self.policy[layer] += other.policy[layer]
        self.hospital_records.update(other.hospital_records)
        self.hospital_off.update(other.hospital_off)
        for hospital, amount in other.hospital_amount.items():
            self.hospital_amount[hospital] = self.hospital_amount.get(hospital, ZERO) + amount

    @property
    def discrepancies(self) -> int:
        return sum(self.by_kind.values())

    def top_hospitals(self, n: int = 10) -> list[tuple[str, int, int, Decimal]]:
        """(hospital, records, records with discrepancies, Σ |layer difference|), most discrepancies first."""
        top = self.hospital_off.most_common(n)
        return [(h, self.hospital_records[h], k, self.hospital_amount.get(h, ZERO)) for h, k in top]


def _add_up(rec: Recorded) -> list[Discrepancy]:
    m, found = rec.money, []
    layers_sum = sum(rec.paid.values(), ZERO)
    total = m["medfee_sumamt"]
    if m["inscp_scp_amt"] + m["fulamt_ownpay_amt"] != total or layers_sum + rec.patient_pays != total:
        found = _findings(rec)  # the add-up rules of a printed settlement, with their wording
    if m["fund_pay_sumamt"] != layers_sum:
        found.append(
            _d(rec, Kind.FUND_SUM_DOES_NOT_ADD_UP, "", m["fund_pay_sumamt"], layers_sum, "fund_pay_sumamt vs Σ funds")
        )
    if rec.detail is not None:
        for layer, field in LAYER_FIELD.items():
            rows = rec.detail.get(layer, ZERO)
            if rows != m[field]:
                found.append(_d(rec, Kind.DETAIL_DIFFERS, layer.value, rows, m[field], f"setldetail vs {field}"))
    return found


def _findings(rec: Recorded) -> list[Discrepancy]:
    m, found = rec.money, []
    paid = {layer.value: str(amount) for layer, amount in rec.paid.items() if amount}
    findings = check_recorded(
        {
            "total": m["medfee_sumamt"],
            "out_of_scope": m["fulamt_ownpay_amt"],
            "in_scope": m["inscp_scp_amt"],
            "paid": paid or {PayerLayer.BASIC_INSURANCE.value: "0"},
            "patient_paid": rec.patient_pays,
        }
    )
    for f in findings:
        if f.kind == DiscrepancyKind.SCOPE_DOES_NOT_ADD_UP:  # recorded in scope vs total − out of scope
            recorded, expected = m["inscp_scp_amt"], m["medfee_sumamt"] - m["fulamt_ownpay_amt"]
        else:  # layers + patient vs total
            recorded, expected = sum(rec.paid.values(), ZERO) + rec.patient_pays, m["medfee_sumamt"]
        found.append(_d(rec, Kind(f.kind.value), "", recorded, expected, f.detail))
    return found


def _d(
    rec: Recorded, kind: Kind, layer: str, recorded: Decimal | None, expected: Decimal | None, detail: str
) -> Discrepancy:
    return Discrepancy(rec.line, rec.setl_id, rec.hospital, kind, layer, recorded, expected, detail)


class Reconciler:
    """Checks records one at a time against the policies; the policy in force is cached per (region, day)."""

    def __init__(self, policies: Policies) -> None:
        self.policies = policies
        self.parser = Parser(policies.known_groups())
        self.summary = Summary()
        self._in_force: dict[tuple[str, date], Policy | BillError] = {}

    def _policy(self, region: str, on: date) -> Policy | BillError:
        key = (region, on)
        found = self._in_force.get(key)
        if found is None:
            try:
                found = self.policies.in_force(region, on)
            except BillError as exc:
                found = exc
            self._in_force[key] = found
        return found

    def check(self, raw: dict[str, Any], line: int) -> list[Discrepancy]:
        rec = self.parser.parse(raw, line)
        found = _add_up(rec)
        policy = self._policy(rec.bill.region, rec.bill.service_date)
        if isinstance(policy, BillError):
            found.append(_d(rec, Kind.NO_POLICY, "", None, None, f"{policy.field}: {policy.reason}"))
            self.summary.add(rec, found, None)
            return found
        statement, _ = settle(rec.bill, policy)
        policy_paid = {ln.layer: ln.paid for ln in statement.layers}
        for layer, amount in rec.paid.items():
            expected = policy_paid.get(layer, ZERO)
            if amount != expected:
                rule = next((ln.rule for ln in statement.layers if ln.layer == layer), "no layer in policy")
                found.append(_d(rec, Kind.LAYER_DIFFERS, layer.value, amount, expected, f"{policy.id}: {rule}"))
        basic = next((ln for ln in statement.layers if ln.layer == PayerLayer.BASIC_INSURANCE), None)
        deductible = basic.deductible if basic is not None else ZERO
        if rec.money["act_pay_dedc"] != deductible:
            found.append(
                _d(rec, Kind.DEDUCTIBLE_DIFFERS, "basic_insurance", rec.money["act_pay_dedc"], deductible, policy.id)
            )
        self.summary.add(rec, found, policy_paid)
        return found

    def run(self, records: Iterable[tuple[int, dict[str, Any]]]) -> Iterator[Discrepancy]:
        for line, raw in records:
            yield from self.check(raw, line)


def jsonl_records(lines: Iterable[str], start: int = 1) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, record) of a JSON-lines text (its first line numbered ``start``); blank lines skipped."""
    for n, text in enumerate(lines, start=start):
        if not text.strip():
            continue
        try:
            raw = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            raise BadInput(f"line {n}: record", "not a JSON object") from None
        if not isinstance(raw, dict):
            raise BadInput(f"line {n}: record", "not a JSON object")
        yield n, raw


def csv_records(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) of a CSV text with a header row."""
    reader = csv.DictReader(lines)
    try:
        for row in reader:
            if None in row:
                raise BadInput(f"line {reader.line_num}: record", "more fields than the header names")
            yield reader.line_num, row
    except csv.Error as exc:
        raise BadInput(f"line {reader.line_num}: record", f"not CSV ({exc})") from None
