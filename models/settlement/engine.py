"""The settlement engine (pure): a bill and the policy in force → statement and ledger deltas.

Rounding (ROUND_HALF_UP to the fen) happens at named points only:
  1. ``layer_payable`` — each layer's (base − deductible) × ratio, before caps;
  2. ``self_pay_ratio`` — patient pays ÷ total, to 4 places (0.0811 = 8.11%).
Inputs are already exact to the fen, so bases, deductibles and caps need no rounding.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple, cast

from models.common import FEN, RATIO_PLACES, ZERO
from models.enums import CareSetting, HospitalLocation
from models.settlement.bill import Basis, Bill, Flag, LayerLine, PriorUse, Statement, trusted
from models.settlement.policy import Base, LayerPolicy, Match, PayerLayer, Per, Policy, Rule

ONE = Decimal("1")
_set = object.__setattr__
_new = object.__new__
_LINE_FIELDS = {"layer", "base", "deductible", "ratio", "paid", "rule", "basis"}
SELF_PAY_LIMIT = Decimal("0.10")
_NO_PRIOR = PriorUse()


class LedgerDelta(NamedTuple):
    """What to add to the patient's annual ledger for one layer (a NamedTuple: built per layer and bill,
    ~4x cheaper than a frozen dataclass)."""

    layer: PayerLayer
    paid: Decimal
    deductible: Decimal


def _line(
    layer: PayerLayer, base: Decimal, deductible: Decimal, ratio: Decimal, paid: Decimal, rule: str, basis: Basis
) -> LayerLine:
    """A statement line without validation (``trusted``, inlined: four lines per bill)."""
    m = _new(LayerLine)
    fields = {"layer": layer, "base": base, "deductible": deductible, "ratio": ratio, "paid": paid, "rule": rule,
              "basis": basis}  # fmt: skip
    _set(m, "__dict__", fields)
    _set(m, "__pydantic_fields_set__", _LINE_FIELDS)  # shared: a frozen line never changes its fields
    _set(m, "__pydantic_extra__", None)
    _set(m, "__pydantic_private__", None)
    return m


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


@dataclass(frozen=True, slots=True)
class _Step:
    """One layer's plan for every bill of one signature (``_signature``): the rule that matched and the
    ratio, name and nominal deductible it gives, worked out once; only the amounts vary per bill."""

    layer: LayerPolicy
    payer: PayerLayer
    rule: Rule | None
    skip: LayerLine | None  # the line when the layer pays nothing (no rule, or waiting for a cap)
    waits_for: PayerLayer | None  # this layer pays only once that layer's cap is reached
    base: Base
    ratio: Decimal
    name: str
    deductible: Decimal
    per_year: bool
    per_session: Decimal
    lump_sum: Decimal
    cap: Decimal | None


def _nothing(layer: LayerPolicy, rule: Rule | None, bill: Bill) -> LayerLine:
    """The line of a layer that pays nothing for this signature: no rule matched, or it waits for a cap.
    Shared by every bill of the signature (its label reads only the layer, the rule and what it waits for;
    its basis keeps the first bill of the signature)."""
    payer = layer.layer
    why = "no_rule_matched" if rule is None else f"waits_for_cap_of_{layer.after_cap_of}"
    waits = None if rule is None else layer.after_cap_of
    return _line(payer, ZERO, ZERO, ZERO, ZERO, f"{payer.value}.{why}", Basis(layer, rule, bill, False, waits))


def _step(layer: LayerPolicy, bill: Bill) -> _Step:
    rule = next((r for r in layer.rules if matches(r.when, bill)), None)
    payer = layer.layer
    if rule is None:
        return _Step(layer, payer, None, _nothing(layer, None, bill), None, Base.IN_SCOPE, ZERO, "", ZERO,
                     False, ZERO, ZERO, None)  # fmt: skip
    ratio, name = _ratio(rule, layer, bill) if rule.has_ratio else (ZERO, rule.name)
    nominal = (rule.deductible_by_level or {}).get(bill.hospital_level, rule.deductible).quantize(FEN)
    return _Step(
        layer,
        payer,
        rule,
        _nothing(layer, rule, bill) if layer.after_cap_of is not None else None,
        layer.after_cap_of,
        rule.base,
        ratio,
        f"{payer.value}.{name}",
        nominal,
        rule.deductible_per == Per.YEAR,
        rule.per_session,
        rule.lump_sum,
        layer.annual_cap,
    )


Signature = tuple[object, ...]


class _Plans(NamedTuple):
    policy: Policy  # kept alive so its id is not reused
    ages: tuple[int, ...]  # the age thresholds its rules and bonuses name (80 and over …)
    steps: dict[Signature, tuple[_Step, ...]]


#: id(policy) → its plans by bill signature
_PLANS: dict[int, _Plans] = {}


def _ages(policy: Policy) -> tuple[int, ...]:
    whens = [r.when for lp in policy.layers for r in lp.rules] + [b.when for lp in policy.layers for b in lp.bonuses]
    return tuple(sorted({w.min_age for w in whens if w.min_age is not None}))


def _plan(bill: Bill, policy: Policy) -> tuple[_Step, ...]:
    """The steps of the bill's signature: everything a rule or bonus may look at (setting, level, location,
    status, groups, treatment kind and how many of the policy's age thresholds the patient reaches)."""
    plans = _PLANS.get(id(policy))
    if plans is None or plans.policy is not policy:
        plans = _PLANS[id(policy)] = _Plans(policy, _ages(policy), {})
    p = bill.patient
    key = (bill.setting, bill.hospital_level, bill.hospital_location, p.poverty_status, p.groups, bill.treatment_kind,
           bisect_right(plans.ages, p.age))  # fmt: skip
    found = plans.steps.get(key)
    if found is None:
        found = plans.steps[key] = tuple(_step(layer, bill) for layer in policy.layers)
    return found


#: One layer's outcome in ``amounts``: the step, then (base, deductible, paid, reached its cap) — base None when
#: the layer pays nothing for the bill's signature (``_Step.skip``), paid then ZERO.
Paid = tuple[_Step, Decimal | None, Decimal, Decimal, bool]


def amounts(
    bill: Bill, policy: Policy, prior_paid: Mapping[PayerLayer, PriorUse]
) -> tuple[list[Paid], list[LedgerDelta], Decimal, Decimal]:
    """The engine's arithmetic, nothing built around it: each layer's outcome, the ledger deltas, what the patient
    pays and its ratio to the total. ``settle`` makes them a statement; the policy simulation reads them as they
    are (one computation, so the two can never price a bill differently). ``prior_paid`` is the year's ledger
    (the bill's own ``prior_paid`` for ``settle``)."""
    total = bill.total
    in_scope = total - bill.out_of_scope
    paid_so_far = ZERO
    rows: list[Paid] = []
    deltas: list[LedgerDelta] = []
    capped: set[PayerLayer] = set()
    for st in _plan(bill, policy):
        if st.skip is not None and (st.rule is None or st.waits_for not in capped):
            rows.append((st, None, ZERO, ZERO, False))
            continue
        prior = prior_paid.get(st.payer, _NO_PRIOR) if prior_paid else _NO_PRIOR
        if st.base is Base.IN_SCOPE:
            base = in_scope
        elif st.base is Base.REMAINING_IN_SCOPE:
            base = in_scope - paid_so_far if in_scope > paid_so_far else ZERO
        else:
            base = total - paid_so_far
        deductible = st.deductible
        if st.per_year and prior.deductible:
            deductible = deductible - prior.deductible if deductible > prior.deductible else ZERO
        if deductible > base:
            deductible = base
        payable = ((base - deductible) * st.ratio).quantize(FEN, rounding=ROUND_HALF_UP)  # rounding point 1
        if st.per_session or st.lump_sum:
            payable += st.per_session * bill.sessions + st.lump_sum
        left = total - paid_so_far
        paid = payable if payable < left else left
        at_cap = False
        if st.cap is not None:
            room = st.cap - prior.paid if st.cap > prior.paid else ZERO
            if paid >= room:
                paid, at_cap = room, True
                capped.add(st.payer)
        paid_so_far += paid
        rows.append((st, base, deductible, paid, at_cap))
        deltas.append(LedgerDelta(st.payer, paid, deductible if st.per_year else ZERO))
    patient_pays = total - paid_so_far
    ratio = (patient_pays / total).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP) if total else ZERO  # point 2
    return rows, deltas, patient_pays, ratio


def settle(bill: Bill, policy: Policy) -> tuple[Statement, list[LedgerDelta]]:
    """Apply the layers in order. Raises nothing for a valid bill; the caller picks the policy."""
    rows, deltas, patient_pays, ratio = amounts(bill, policy, bill.prior_paid)
    lines: list[LayerLine] = []
    for st, base, deductible, paid, at_cap in rows:
        if base is None:  # the signature's shared line of a layer paying nothing
            lines.append(cast(LayerLine, st.skip))
        else:
            lines.append(
                _line(st.payer, base, deductible, st.ratio, paid, st.name, Basis(st.layer, st.rule, bill, at_cap))
            )
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
            "total": bill.total,
            "in_scope": bill.total - bill.out_of_scope,
            "layers": lines,
            "patient_pays": patient_pays,
            "self_pay_ratio": ratio,
            "flags": flags,
        },
    )
    return statement, deltas
