"""The settlement engine (pure): a bill and the policy in force → statement and ledger deltas.

Rounding (ROUND_HALF_UP to the fen) happens at named points only:
  1. ``layer_payable`` — each layer's (base − deductible) × ratio, before caps;
  2. ``self_pay_ratio`` — patient pays ÷ total, to 4 places (0.0811 = 8.11%).
Inputs are already exact to the fen, so bases, deductibles and caps need no rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from models.common import FEN, RATIO_PLACES, ZERO
from models.enums import CareSetting, HospitalLocation
from models.settlement.bill import Basis, Bill, Flag, LayerLine, PriorUse, Statement, trusted
from models.settlement.policy import Base, LayerPolicy, Match, PayerLayer, Per, Policy, Rule

ONE = Decimal("1")
SELF_PAY_LIMIT = Decimal("0.10")
_NO_PRIOR = PriorUse()


@dataclass(frozen=True, slots=True)
class LedgerDelta:
    """What to add to the patient's annual ledger for one layer."""

    layer: PayerLayer
    paid: Decimal
    deductible: Decimal


def matches(when: Match, bill: Bill) -> bool:
    p = bill.patient
    return (
        (when.setting is None or bill.setting in when.setting)
        and (when.level is None or bill.hospital_level in when.level)
        and (when.location is None or bill.hospital_location in when.location)
        and (when.poverty_status is None or p.poverty_status in when.poverty_status)
        and (when.groups_any is None or not p.groups.isdisjoint(when.groups_any))
        and (when.min_age is None or p.age >= when.min_age)
        and (when.treatment is None or bill.treatment_kind in when.treatment)
    )


def _ratio(rule: Rule, layer: LayerPolicy, bill: Bill) -> tuple[Decimal, str]:
    loc = bill.hospital_location
    name = rule.name
    if loc in rule.location_ratio:
        ratio, name = rule.location_ratio[loc], f"{name}.{loc.value}"
    elif rule.ratio_by_level is not None:
        ratio = rule.ratio_by_level.get(bill.hospital_level, ZERO) + rule.location_points.get(loc, ZERO)
        name = f"{name}.{bill.hospital_level.value}" + (f"+{loc.value}" if loc in rule.location_points else "")
    else:
        ratio = rule.ratio or ZERO
    if rule.bonuses_apply and ratio < ONE:
        for bonus in layer.bonuses:
            if matches(bonus.when, bill):
                ratio, name = ratio + bonus.points, f"{name}+{bonus.name}"
    return min(ratio, ONE), name


def _deductible(rule: Rule, bill: Bill, prior: PriorUse, base: Decimal) -> Decimal:
    amount = (rule.deductible_by_level or {}).get(bill.hospital_level, rule.deductible)
    if rule.deductible_per == Per.YEAR:
        amount = max(ZERO, amount - prior.deductible)
    return min(base, amount).quantize(FEN)


def settle(bill: Bill, policy: Policy) -> tuple[Statement, list[LedgerDelta]]:
    """Apply the layers in order. Raises nothing for a valid bill; the caller picks the policy."""
    total, in_scope = bill.total, bill.in_scope
    paid_so_far = ZERO
    lines: list[LayerLine] = []
    deltas: list[LedgerDelta] = []
    capped: set[PayerLayer] = set()
    for layer in policy.layers:
        prior = bill.prior_paid.get(layer.layer, _NO_PRIOR)
        rule = next((r for r in layer.rules if matches(r.when, bill)), None)
        if rule is None or (layer.after_cap_of is not None and layer.after_cap_of not in capped):
            why = "no_rule_matched" if rule is None else f"waits_for_cap_of_{layer.after_cap_of}"
            lines.append(
                trusted(
                    LayerLine,
                    {
                        "layer": layer.layer,
                        "base": ZERO,
                        "deductible": ZERO,
                        "ratio": ZERO,
                        "paid": ZERO,
                        "rule": f"{layer.layer.value}.{why}",
                        "basis": Basis(layer, rule, bill, waits_for=None if rule is None else layer.after_cap_of),
                    },
                )
            )
            continue
        if rule.base == Base.IN_SCOPE:
            base = in_scope
        elif rule.base == Base.REMAINING_IN_SCOPE:
            base = max(ZERO, in_scope - paid_so_far)
        else:
            base = total - paid_so_far
        deductible = _deductible(rule, bill, prior, base)
        ratio, name = _ratio(rule, layer, bill) if rule.has_ratio else (ZERO, rule.name)
        payable = ((base - deductible) * ratio).quantize(FEN, rounding=ROUND_HALF_UP)  # rounding point 1
        payable += rule.per_session * bill.sessions + rule.lump_sum
        paid = min(payable, total - paid_so_far)
        at_cap = False
        if layer.annual_cap is not None:
            room = max(ZERO, layer.annual_cap - prior.paid)
            if paid >= room:
                paid, at_cap = room, True
                capped.add(layer.layer)
        paid_so_far += paid
        lines.append(
            trusted(
                LayerLine,
                {
                    "layer": layer.layer,
                    "base": base,
                    "deductible": deductible,
                    "ratio": ratio,
                    "paid": paid,
                    "rule": f"{layer.layer.value}.{name}",
                    "basis": Basis(layer, rule, bill, at_cap),
                },
            )
        )
        deltas.append(LedgerDelta(layer.layer, paid, deductible if rule.deductible_per == Per.YEAR else ZERO))
    patient_pays = total - paid_so_far
    ratio = (patient_pays / total).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP) if total else ZERO  # point 2
    flags = []
    if (
        bill.setting == CareSetting.INPATIENT
        and bill.hospital_location == HospitalLocation.IN_COUNTY
        and ratio > SELF_PAY_LIMIT
    ):
        flags.append(Flag.SELF_PAY_OVER_10PCT)
    statement = trusted(
        Statement,
        {
            "policy_id": policy.id,
            "total": total,
            "in_scope": in_scope,
            "layers": lines,
            "patient_pays": patient_pays,
            "self_pay_ratio": ratio,
            "flags": flags,
        },
    )
    return statement, deltas
