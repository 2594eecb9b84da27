"""Builders for the reliability tests: patients driven through the real pathway steps to discharge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from config.policies import load_policies
from models import national_id
from models.care import Hospital, TreatmentEpisode
from models.clinical import Case
from models.common import age_on
from models.people import Patient
from models.referral import location_of
from models.settlement.amounts import BillAmounts
from models.settlement.bill import parse_bill
from models.settlement.engine import settle
from models.settlement.policy import PayerLayer
from models.settlement.tables import PayerLedger, Settlement, SettlementLine
from tasks.infra.db import session_scope
from tasks.pathway.diagnosis import confirm_many
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.intake import import_screenings_file
from tasks.pathway.referral import refer_many
from tasks.pathway.treatment import Discharge, admit_many, discharge_many
from tasks.pathway.triage import triage_many

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
#: Ten in-county special diseases (distinct catalogue entries, so one patient may have a case of each).
ICD10 = ("I63.9", "A15.0", "I10", "E11.9", "J44.9", "B18.1", "B20.9", "N18.5", "F20.9", "H25.9")
ON = date(2017, 3, 1)
CAP = Decimal("300000.00")  # 赫章 critical-illness annual cap (policy file)
#: 8 bills of one minimum-living patient; together they exceed the critical-illness cap.
BILLS = [
    ("400000.00", "1500.00"),
    ("380000.50", "0.50"),
    ("250000.00", "12000.00"),
    ("500000.00", "0"),
    ("900000.00", "733.00"),
    ("420000.00", "20000.00"),
    ("310000.00", "0"),
    ("10000.00", "100.00"),
]


def discharged_cases(
    tmp_path: Path, url: str, bills: Sequence[tuple[str, str]], *, poverty: str = "minimum_living", seq: int = 77
) -> list[int]:
    """One patient of 赫章 (520527) with one case per bill, each confirmed, triaged, referred, admitted and
    discharged through the real set-based steps. Returns the case ids (discharge dates 2017-03-10 onwards)."""
    assert len(bills) <= len(ICD10)
    nid = national_id.make("520527", date(1941, 1, 5), seq)
    body = "".join(f"H{seq},{nid},贺某,520527,{poverty},2017-02-01,{c}\n" for c in ICD10[: len(bills)])
    csv = tmp_path / f"bills-{seq}.csv"
    csv.write_text(HEADER + body, encoding="utf-8")
    first = import_screenings_file.fn(str(csv), "coordinator").first_case_id
    ids = list(range(first, first + len(bills)))
    with session_scope(url) as s:
        sync_hospitals(s)
        assert confirm_many(s, ids, ON, "coordinator") == ids
        moved, held = triage_many(s, ids, ON, "coordinator")
        assert (sorted(moved), held) == (ids, {}), held
        moved, held = refer_many(s, ids, ON, "coordinator")
        assert (sorted(moved), held) == (ids, {}), held
        assert sorted(admit_many(s, ids, ON, "coordinator")) == ids
        discharges = [
            Discharge(cid, date(2017, 3, 10 + i), BillAmounts.parse(total, oos))
            for i, (cid, (total, oos)) in enumerate(zip(ids, bills, strict=True))
        ]
        assert sorted(discharge_many(s, discharges, "coordinator")) == ids
    return ids


def bill_json(url: str, case_id: int) -> dict[str, Any]:
    """The bill of a discharged case as the settle-preview JSON (independent of the persisted path)."""
    return episode_bill_json(url, col(TreatmentEpisode.case_id) == case_id)


def episode_bill_json(url: str, which: Any) -> dict[str, Any]:
    """The one discharged stay ``which`` selects, as the settle-preview JSON."""
    with session_scope(url) as s:
        ep, p_region, born, poverty, level, h_region = s.execute(
            select(
                TreatmentEpisode,
                Patient.region_code,
                Patient.birth_date,
                Patient.poverty_status,
                Hospital.level,
                Hospital.region_code,
            )
            .join(Patient, col(Patient.id) == col(TreatmentEpisode.patient_id))
            .join(Hospital, col(Hospital.id) == col(TreatmentEpisode.hospital_id))
            .where(which)
        ).one()
        return {
            "region": p_region,
            "service_date": ep.discharged_on.isoformat(),
            "setting": str(ep.setting),
            "hospital_level": str(level),
            "hospital_location": str(location_of(p_region, h_region)),
            "patient": {"poverty_status": str(poverty), "age": age_on(born, ep.discharged_on), "groups": []},
            "total": str(ep.total_cost),
            "out_of_scope": str(ep.out_of_scope),
            "sessions": ep.sessions,
            "treatment_kind": str(ep.treatment_kind),
        }


def expected_by_engine(
    bills: Sequence[dict[str, Any]],
) -> tuple[list[dict[PayerLayer, Decimal]], dict[PayerLayer, tuple[Decimal, Decimal]]]:
    """Settle ``bills`` one after the other with the pure engine, carrying the annual ledger by hand.
    Returns each bill's paid-per-layer and the final (paid, deductible used) per layer."""
    policies = load_policies()
    ledger: dict[PayerLayer, tuple[Decimal, Decimal]] = {}
    per_bill = []
    for data in bills:
        prior = {layer: {"paid": str(p), "deductible": str(d)} for layer, (p, d) in ledger.items()}
        bill = parse_bill({**data, "prior_paid": prior})
        statement, deltas = settle(bill, policies.in_force(bill.region, bill.service_date))
        per_bill.append({ln.layer: ln.paid for ln in statement.layers})
        for d in deltas:
            paid, ded = ledger.get(d.layer, (Decimal("0.00"), Decimal("0.00")))
            ledger[d.layer] = (paid + d.paid, ded + d.deductible)
    return per_bill, ledger


def count(url: str, table: Any, *where: Any) -> int:
    with session_scope(url) as s:
        return int(s.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def ledger_of(url: str, case_id: int) -> dict[PayerLayer, tuple[Decimal, Decimal]]:
    """The annual ledger of the case's patient."""
    with session_scope(url) as s:
        patient = select(Case.patient_id).where(col(Case.id) == case_id).scalar_subquery()
        rows = s.execute(select(PayerLedger).where(col(PayerLedger.patient_id) == patient)).scalars()
        return {PayerLayer(lg.layer): (lg.paid, lg.deductible_used) for lg in rows}


def check_against_engine(url: str, case_ids: list[int]) -> None:
    """Settlements in commit order (ids are taken under the patient lock) replayed through the engine."""
    with session_scope(url) as s:
        order = list(s.execute(select(Settlement.case_id, Settlement.id).order_by(col(Settlement.id))).tuples())
        lines = {
            (sid, PayerLayer(layer)): paid
            for sid, layer, paid in s.execute(
                select(SettlementLine.settlement_id, SettlementLine.layer, SettlementLine.paid)
            ).tuples()
        }
    assert sorted(c for c, _ in order) == sorted(case_ids), "every case settled exactly once"
    per_bill, ledger = expected_by_engine([bill_json(url, c) for c, _ in order])
    for (_, sid), expected in zip(order, per_bill, strict=True):
        assert {layer: lines[(sid, layer)] for layer in expected} == expected, f"settlement {sid}"
    assert ledger_of(url, case_ids[0]) == ledger
    assert ledger[PayerLayer.CRITICAL_ILLNESS][0] == CAP, "the bills must reach the annual cap"
    assert ledger[PayerLayer.CRITICAL_ILLNESS][1] == Decimal("3000.00"), "annual deductible used once"
