"""Builders for the stay tests: patients imported and driven to ``referred`` through the real set-based steps,
and a stored stay read back as the settle-preview JSON (independent of the persisted path)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from models import national_id
from models.care import TreatmentEpisode
from models.settlement.policy import PayerLayer
from models.settlement.tables import PayerLedger, Settlement, SettlementLine
from tasks.infra.db import session_scope
from tasks.pathway.diagnosis import confirm_many
from tasks.pathway.hospitals import sync_hospitals
from tasks.pathway.intake import import_screenings_file
from tasks.pathway.referral import refer_many
from tasks.pathway.triage import triage_many
from tests.reliability.builders import episode_bill_json

HEADER = "household_ref,national_id,name,region_code,poverty_status,screened_on,icd10\n"
SCREENED = date(2017, 2, 1)


def referred_case(tmp_path: Path, url: str, icd10: str, *, poverty: str = "minimum_living", seq: int = 31) -> int:
    """One 赫章 patient (born 1940-06-01) with one case of ``icd10`` screened 2017-02-01, confirmed, triaged and
    referred on 2017-02-20. Returns the case id (its patient id is the case's)."""
    nid = national_id.make("520527", date(1940, 6, 1), seq)
    csv = tmp_path / f"screen-{seq}.csv"
    csv.write_text(HEADER + f"H{seq},{nid},贺某,520527,{poverty},{SCREENED},{icd10}\n", encoding="utf-8")
    case_id = import_screenings_file.fn(str(csv), "coordinator").first_case_id
    on = date(2017, 2, 20)
    with session_scope(url) as s:
        sync_hospitals(s)
        assert confirm_many(s, [case_id], on, "coordinator") == [case_id]
        assert triage_many(s, [case_id], on, "coordinator")[0] == [case_id]
        assert refer_many(s, [case_id], on, "coordinator")[0] == [case_id]
    return case_id


def patient_of(url: str, case_id: int) -> int:
    from models.clinical import Case

    with session_scope(url) as s:
        return int(s.execute(select(col(Case.patient_id)).where(col(Case.id) == case_id)).scalar_one())


def stay_bill(url: str, stay_id: int) -> dict[str, Any]:
    """The discharged stay as the settle-preview JSON."""
    return episode_bill_json(url, col(TreatmentEpisode.id) == stay_id)


def settled_lines(url: str, patient_id: int) -> list[tuple[int, dict[PayerLayer, Decimal]]]:
    """(stay id, paid per layer) of the patient's settlements, in settlement order."""
    with session_scope(url) as s:
        rows = s.execute(
            select(Settlement.episode_id, SettlementLine.layer, SettlementLine.paid)
            .join(SettlementLine, col(SettlementLine.settlement_id) == col(Settlement.id))
            .where(col(Settlement.patient_id) == patient_id)
            .order_by(col(Settlement.id))
        ).tuples()
        out: dict[int, dict[PayerLayer, Decimal]] = {}
        for stay, layer, paid in rows:
            out.setdefault(stay, {})[PayerLayer(layer)] = paid
        return list(out.items())


def ledger(url: str, patient_id: int) -> dict[PayerLayer, tuple[Decimal, Decimal]]:
    with session_scope(url) as s:
        rows = s.execute(select(PayerLedger).where(col(PayerLedger.patient_id) == patient_id)).scalars()
        return {PayerLayer(lg.layer): (lg.paid, lg.deductible_used) for lg in rows}
