"""A recorded one-stop settlement in the layout of national interface 2207 (医保结算, output ``setlinfo`` and
``setldetail``), read into a bill to settle (pure). ``nhsa2207_render.py`` writes our statement in this layout.

Field names, checked with the reference search (docs/code corpora, query "2207 setlinfo hifp_pay hifmi_pay maf_pay
fund_pay_type"): public 2207/2304 client code (C# ``SetlInfo``/``SetlDetail`` classes of a hospital's interface
and a SQL column list commented "111 医保认可费用总额 … 113 基本医疗保险统筹基金支出 … 117 居民大病保险资金支出 …
120 医疗救助基金支出 … 121 其他基金支出 … 122 基金支付总额") spell ``medfee_sumamt``, ``fulamt_ownpay_amt``,
``inscp_scp_amt`` (符合政策范围金额), ``act_pay_dedc`` (实际支付起付线), ``hifp_pay`` (基本医疗保险统筹基金支出),
``hifmi_pay`` (居民大病保险资金支出), ``maf_pay`` (医疗救助基金支出), ``oth_pay`` (其他支出), ``fund_pay_sumamt``
(基金支付总额), ``psn_cash_pay`` (个人现金支出), ``acct_pay`` (个人账户支出) and ``setldetail`` rows of
``fund_pay_type`` (基金支付类型, 字符型 6) + ``fund_payamt`` (基金支付金额, 数值型 16,2).

ASSUMPTION (not confirmed by any source found): the ``fund_pay_type`` codes in ``FUND_PAY_TYPE`` (390100 城乡居民
基本医疗保险统筹基金, 390200 城乡居民大病医疗保险资金, 610100 医疗救助基金, 999999 其他); a detail row of another
code is ignored. ASSUMPTION: ``medfee_sumamt`` = ``inscp_scp_amt`` + ``fulamt_ownpay_amt`` (the record carries no
``overlmt_selfpay``/``preselfpay_amt``); ``fulamt_ownpay_amt`` is the bill's out-of-scope cost, and the patient's
share is ``psn_cash_pay`` + ``acct_pay``. Only ``act_pay_dedc`` of basic insurance is compared.

2207 lacks what our policy needs; these extra columns carry it, under our names (see ``EXTRA_FIELDS``):
``region`` (6-digit 参保地), ``service_date``, ``setting``, ``hospital_level``, ``hospital_location``,
``poverty_status``, ``age``, ``groups`` (JSON list, or "a;b" in CSV), ``sessions``, ``treatment``, and optional
``prior_<layer>_paid`` / ``prior_<layer>_deductible`` (this year's use before the bill; 0 if absent). ``setl_id``
names the bill and ``fixmedins_code`` the hospital. Identity (``psn_no``, ``psn_name``, ``certno`` …) is never read.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from models.common import iso_date_text
from models.enums import CareSetting, HospitalLevel, HospitalLocation, PovertyStatus, TreatmentKind
from models.errors import BadInput
from models.settlement.bill import Bill, BillError, PatientFacts, PriorUse, parse_money, trusted
from models.settlement.policy import PayerLayer

ZERO = Decimal("0.00")
_FEN = Decimal("0.01")
#: Our payer layer ↔ its 2207 setlinfo field.
LAYER_FIELD: dict[PayerLayer, str] = {
    PayerLayer.BASIC_INSURANCE: "hifp_pay",
    PayerLayer.CRITICAL_ILLNESS: "hifmi_pay",
    PayerLayer.MEDICAL_ASSISTANCE: "maf_pay",
    PayerLayer.SUPPLEMENTARY: "oth_pay",
}
#: Our payer layer ↔ its setldetail fund_pay_type (ASSUMPTION, see the module text).
FUND_PAY_TYPE: dict[PayerLayer, str] = {
    PayerLayer.BASIC_INSURANCE: "390100",
    PayerLayer.CRITICAL_ILLNESS: "390200",
    PayerLayer.MEDICAL_ASSISTANCE: "610100",
    PayerLayer.SUPPLEMENTARY: "999999",
}
_LAYER_OF_TYPE = {code: layer for layer, code in FUND_PAY_TYPE.items()}
MONEY_FIELDS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    *LAYER_FIELD.values(),
    "fund_pay_sumamt",
    "psn_cash_pay",
)
EXTRA_FIELDS = (
    "region",
    "service_date",
    "setting",
    "hospital_level",
    "hospital_location",
    "poverty_status",
    "age",
    "groups",
    "sessions",
    "treatment",
)
PRIOR_FIELDS = tuple(f"prior_{layer.value}_{part}" for layer in PayerLayer for part in ("paid", "deductible"))
#: A CSV file's columns, in order (``setldetail`` as "390100:123.45;610100:6.00").
CSV_COLUMNS = ("setl_id", "fixmedins_code", *MONEY_FIELDS, "acct_pay", "setldetail", *EXTRA_FIELDS)
_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")
_PLAIN_MONEY = re.compile(r"[0-9]{1,8}(\.[0-9]{1,2})?")
#: field → {text: member}: a dict lookup instead of an enum call per record
_ENUMS: dict[str, dict[str, Any]] = {
    field: {m.value: m for m in enum}
    for field, enum in (
        ("setting", CareSetting),
        ("hospital_level", HospitalLevel),
        ("hospital_location", HospitalLocation),
    )
}
_STATUSES = {m.value: m for m in PovertyStatus}
_TREATMENTS = {m.value: m for m in TreatmentKind}
_PRIOR_KEYS = frozenset(PRIOR_FIELDS)


class Recorded(NamedTuple):
    """One parsed record: its line, keys, recorded amounts and the bill to settle under the policy."""

    line: int
    setl_id: str
    hospital: str
    money: dict[str, Decimal]
    #: The recorded amount of each layer (its ``LAYER_FIELD``).
    paid: dict[PayerLayer, Decimal]
    detail: dict[PayerLayer, Decimal] | None
    bill: Bill

    @property
    def patient_pays(self) -> Decimal:
        return self.money["psn_cash_pay"] + self.money["acct_pay"]


def _bad(line: int, field: str, reason: str) -> BadInput:
    # the reason never quotes the value: a record may carry a name where a number belongs
    return BadInput(f"line {line}: {field}", reason.split(": ")[0])


def _money(raw: dict[str, Any], field: str, line: int, required: bool = True) -> Decimal:
    value = raw.get(field)
    if type(value) is str and _PLAIN_MONEY.fullmatch(value):
        # the common case ("123.45" is exact as it stands), ~5x cheaper than parse_money
        return Decimal(value) if value[-3:-2] == "." else Decimal(value).quantize(_FEN)
    if value is None or value == "":
        if required:
            raise _bad(line, field, "missing")
        return ZERO
    try:
        return parse_money(value, field)
    except BillError as exc:
        raise _bad(line, field, exc.reason) from None


def _text(raw: dict[str, Any], field: str, line: int) -> str:
    value = raw.get(field)
    if value is None or value == "":
        raise _bad(line, field, "missing")
    return str(value).strip()


def _count(raw: dict[str, Any], field: str, line: int, default: int | None) -> int:
    value = raw.get(field)
    if value is None or value == "":
        if default is None:
            raise _bad(line, field, "missing")
        return default
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise _bad(line, field, "must be a whole number")
    return int(value)


def _key(raw: dict[str, Any], field: str, line: int) -> str:
    """A settlement or hospital code: letters, digits, "-" and "_" only (it goes into CSV and XLSX cells)."""
    value = raw.get(field)
    if value is None or value == "":
        return f"line-{line}" if field == "setl_id" else "?"
    if not isinstance(value, str) or not _KEY.fullmatch(value):
        raise _bad(line, field, "must be 1-40 letters, digits, '-' or '_'")
    return value


def _groups(value: Any, line: int) -> frozenset[str]:
    if value is None or value == "":
        return frozenset()
    if isinstance(value, str):
        return frozenset(g.strip() for g in value.split(";") if g.strip())
    if isinstance(value, list) and all(isinstance(g, str) for g in value):
        return frozenset(value)
    raise _bad(line, "groups", "must be a list of group names")


def _detail(value: Any, line: int) -> dict[PayerLayer, Decimal] | None:
    """setldetail: a JSON list of {fund_pay_type, fund_payamt}, or CSV text "390100:12.00;610100:3.00"."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = [dict(zip(("fund_pay_type", "fund_payamt"), p.split(":", 1), strict=False)) for p in value.split(";")]
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise _bad(line, "setldetail", "must be a list of fund_pay_type + fund_payamt rows")
    sums: dict[PayerLayer, Decimal] = {}
    for row in value:
        layer = _LAYER_OF_TYPE.get(str(row.get("fund_pay_type", "")).strip())
        amount = _money(row, "fund_payamt", line)
        if layer is not None:
            sums[layer] = sums.get(layer, ZERO) + amount
    return sums


class Parser:
    """Parses records into ``Recorded``; caches the patient facts (few distinct ones in a large file)."""

    def __init__(self, known_groups: frozenset[str]) -> None:
        self.known_groups = known_groups
        self._facts: dict[tuple[str, int, frozenset[str]], PatientFacts] = {}
        self._dates: dict[str, date] = {}

    def patient(self, raw: dict[str, Any], line: int) -> PatientFacts:
        status = _text(raw, "poverty_status", line)
        age = _count(raw, "age", line, None)
        groups = _groups(raw.get("groups"), line)
        key = (status, age, groups)
        facts = self._facts.get(key)
        if facts is None:
            if status not in _STATUSES:
                raise _bad(line, "poverty_status", "unknown poverty status")
            if age > 130:
                raise _bad(line, "age", "must be at most 130")
            unknown = sorted(groups - self.known_groups)
            if unknown:
                raise _bad(line, "groups", f"unknown group {unknown[0]!r}")
            facts = self._facts[key] = PatientFacts.model_construct(
                poverty_status=_STATUSES[status], age=age, groups=groups
            )
        return facts

    def day(self, raw: dict[str, Any], line: int) -> date:
        text = _text(raw, "service_date", line)
        day = self._dates.get(text)
        if day is None:
            try:
                day = self._dates[text] = date.fromisoformat(iso_date_text(text))
            except ValueError:
                raise _bad(line, "service_date", "must be a date written YYYY-MM-DD") from None
        return day

    def parse(self, raw: dict[str, Any], line: int) -> Recorded:
        if not isinstance(raw, dict):
            raise _bad(line, "record", "must be an object")
        money = {f: _money(raw, f, line) for f in MONEY_FIELDS}
        money["acct_pay"] = _money(raw, "acct_pay", line, required=False)
        enums = {}
        for field, members in _ENUMS.items():
            member = members.get(_text(raw, field, line))
            if member is None:
                raise _bad(line, field, f"unknown {field.replace('_', ' ')}")
            enums[field] = member
        region = _text(raw, "region", line)
        if len(region) != 6 or not region.isdigit():
            raise _bad(line, "region", "must be 6 digits")
        service_date = self.day(raw, line)
        treatment = raw.get("treatment") or None
        if treatment is not None and treatment not in _TREATMENTS:
            raise _bad(line, "treatment", "unknown treatment kind")
        prior = {}
        for layer in PayerLayer if not _PRIOR_KEYS.isdisjoint(raw) else ():
            paid = _money(raw, f"prior_{layer.value}_paid", line, required=False)
            ded = _money(raw, f"prior_{layer.value}_deductible", line, required=False)
            if paid or ded:
                prior[layer] = PriorUse.model_construct(paid=paid, deductible=ded)
        if money["fulamt_ownpay_amt"] > money["medfee_sumamt"]:
            raise _bad(line, "fulamt_ownpay_amt", "greater than total")
        bill = trusted(  # every field checked above: what Bill.from_record checks, without its model_construct
            Bill,
            {
                "region": region,
                "service_date": service_date,
                "patient": self.patient(raw, line),
                "total": money["medfee_sumamt"],
                "out_of_scope": money["fulamt_ownpay_amt"],
                "sessions": _count(raw, "sessions", line, 0),
                "treatment_kind": _TREATMENTS[treatment] if treatment else TreatmentKind.GENERAL,
                "prior_paid": prior,
                **enums,
            },
        )
        detail = _detail(raw.get("setldetail"), line)
        layers = {layer: money[field] for layer, field in LAYER_FIELD.items()}
        setl_id, hospital = _key(raw, "setl_id", line), _key(raw, "fixmedins_code", line)
        return Recorded(line, setl_id, hospital, money, layers, detail, bill)
