"""Stays for every registered patient and the loops of real care (issue 17), settled into the annual ledgers
(issue 18), on SQLite and PostgreSQL (DABING_TEST_BACKEND=postgresql)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from models.care import TreatmentEpisode
from models.clinical import CaseTransition
from models.enums import CareSetting, CaseState, ReferralDirection, TreatmentKind
from models.pathway import IllegalTransition
from models.settlement.amounts import BillAmounts
from models.settlement.policy import PayerLayer
from models.settlement.tables import Settlement
from models.timeline import DateOutOfOrder
from tasks.infra.db import session_scope
from tasks.pathway.stay_steps import admit_stay, discharge_stay, settle_stay
from tasks.pathway.stays import StayOpen
from tasks.pathway.steps import admit_case, discharge_case, refer_case, relapse_case
from tasks.settlement.settle import settle_case
from tests.reliability.builders import count, expected_by_engine
from tests.tasks.stay_world import ledger, patient_of, referred_case, settled_lines, stay_bill

ZERO = Decimal("0.00")


def test_femur_fracture_of_a_registered_patient_is_admitted_discharged_and_settled(tmp_path: Path, db_url: str) -> None:
    """贺遵贤 (特困, 76): S72.0 is no special disease, yet the stay settles to the fen like the seed's bill."""
    patient = patient_of(db_url, referred_case(tmp_path, db_url, "I10", poverty="destitute"))
    opened = admit_stay.fn(patient, "520527-PH", "s72.0", date(2017, 2, 1), "coordinator")
    assert (opened.state, opened.case_id, opened.changed) == ("open", None, True)
    again = admit_stay.fn(patient, "520527-PH", "S72.0", date(2017, 2, 1), "coordinator")
    assert (again.stay_id, again.changed) == (opened.stay_id, False), "the same admission twice is one stay"
    with pytest.raises(StayOpen, match=f"patient {patient} already has stay {opened.stay_id} open"):
        admit_stay.fn(patient, "520527-TCM", "S72.0", date(2017, 2, 2), "coordinator")

    out = discharge_stay.fn(opened.stay_id, date(2017, 2, 10), BillAmounts.parse("39467", "733"), "coordinator")
    assert (out.state, out.changed) == ("discharged", True)
    settled = settle_stay.fn(opened.stay_id, "coordinator")
    assert (settled.state, settled.changed) == ("settled", True)
    assert settle_stay.fn(opened.stay_id, "coordinator").settlement_id == settled.settlement_id
    assert settle_stay.fn(opened.stay_id, "coordinator").changed is False

    [(stay, paid)] = settled_lines(db_url, patient)
    assert stay == opened.stay_id
    assert paid[PayerLayer.BASIC_INSURANCE] == Decimal("38534.00")
    assert paid[PayerLayer.MEDICAL_ASSISTANCE] == Decimal("933.00")
    with session_scope(db_url) as s:
        row = s.execute(select(Settlement).where(col(Settlement.episode_id) == stay)).scalar_one()
        assert (row.case_id, row.patient_pays) == (None, ZERO)
        st = s.get(TreatmentEpisode, stay)
        assert st is not None
        assert (st.icd10, st.admitted_by, st.discharged_by) == ("S72.0", "coordinator", "coordinator")
    assert ledger(db_url, patient)[PayerLayer.BASIC_INSURANCE][0] == Decimal("38534.00")


@pytest.mark.parametrize(
    ("icd10", "kind", "rest_state"),
    [
        pytest.param("N18.5", TreatmentKind.DIALYSIS, CaseState.UNDER_MAINTENANCE, id="dialysis: maintenance"),
        pytest.param("I10", TreatmentKind.GENERAL, CaseState.UNDER_MANAGEMENT, id="hypertension: long-term visits"),
    ],
)
def test_three_months_of_sessions_each_settled_ledgers_adding_up(
    tmp_path: Path, db_url: str, icd10: str, kind: TreatmentKind, rest_state: CaseState
) -> None:
    """The issue's dialysis patient: a month of sessions, settled, then the next month without a new referral
    (`refer` is not needed) — three times; the ledger is the engine's replay of the three bills."""
    case_id = referred_case(tmp_path, db_url, icd10)
    stays = []
    for month in (3, 4, 5):
        admitted = admit_case.fn(case_id, date(2017, month, 1), "coordinator", CareSetting.OUTPATIENT, kind)
        assert (admitted.state, admitted.changed) == (CaseState.IN_TREATMENT, True)
        bill = BillAmounts.parse("6000.00", "120.00", 12)
        discharge_case.fn(case_id, date(2017, month, 28), bill, "coordinator")
        settled = settle_case.fn(case_id, "coordinator")
        assert (settled.state, settled.changed) == (CaseState.SETTLED, True)
        stays.append(admitted.episode_id)
    assert len(set(stays)) == 3

    patient = patient_of(db_url, case_id)
    lines = settled_lines(db_url, patient)
    assert [s for s, _ in lines] == stays, "one settlement per stay, in order"
    per_bill, year = expected_by_engine([stay_bill(db_url, s) for s in stays])
    assert [paid for _, paid in lines] == per_bill
    assert ledger(db_url, patient) == year
    for layer, (paid, _) in year.items():
        assert paid == sum((p[layer] for _, p in lines), ZERO), f"{layer}: ledger = sum of its settlements"
    with session_scope(db_url) as s:
        kinds = set(s.execute(select(TreatmentEpisode.treatment_kind, TreatmentEpisode.sessions)).tuples())
        assert kinds == {(kind, 12)}
        moves = list(
            s.execute(
                select(CaseTransition.from_state, CaseTransition.to_state)
                .where(col(CaseTransition.case_id) == case_id)
                .order_by(col(CaseTransition.id))
            ).tuples()
        )
    loop = [("settled", rest_state.value), (rest_state.value, "in_treatment")]
    assert [m for m in moves if m in loop] == loop * 2, "each return audited: outcome, then admitted again"


def test_cured_case_relapses_and_is_referred_again(tmp_path: Path, db_url: str) -> None:
    case_id = referred_case(tmp_path, db_url, "H25.9")  # cataract: one-time cure
    admit_case.fn(case_id, date(2017, 3, 1), "coordinator")
    discharge_case.fn(case_id, date(2017, 3, 5), BillAmounts.parse("3000.00"), "coordinator")
    settle_case.fn(case_id, "coordinator")
    with pytest.raises(IllegalTransition, match="cured -> in_treatment"):
        admit_case.fn(case_id, date(2017, 6, 1), "coordinator")
    out = relapse_case.fn(case_id, date(2017, 6, 1), "coordinator")
    assert (out.state, out.changed, out.reason) == (CaseState.TRIAGED, True, "relapse")
    again = refer_case.fn(case_id, date(2017, 6, 2), False, ReferralDirection.INITIAL, "coordinator")
    assert again.state == CaseState.REFERRED
    assert count(db_url, CaseTransition, col(CaseTransition.reason) == "relapse") == 1


@pytest.mark.parametrize(
    ("step", "message"),
    [
        pytest.param(
            "admit_before_referral",
            "admitted_on: 2017-02-19 is before the referral on 2017-02-20",
            id="admission before referral",
        ),
        pytest.param(
            "discharge_before_admission",
            "discharged_on: 2017-02-28 is before the admission on 2017-03-01",
            id="discharge before admission",
        ),
        pytest.param("admit_in_future", "admitted_on: 2099-01-01 is in the future", id="admission in the future"),
        pytest.param(
            "stay_discharge_before_admission",
            "discharged_on: 2017-01-31 is before the admission",
            id="stay without case: discharge before admission",
        ),
    ],
)
def test_dates_out_of_order_are_refused_naming_case_and_field(
    tmp_path: Path, db_url: str, step: str, message: str
) -> None:
    case_id = referred_case(tmp_path, db_url, "N18.5")
    before = count(db_url, TreatmentEpisode)
    with pytest.raises(DateOutOfOrder) as err:
        if step == "admit_before_referral":
            admit_case.fn(case_id, date(2017, 2, 19), "coordinator")
        elif step == "admit_in_future":
            admit_case.fn(case_id, date(2099, 1, 1), "coordinator")
        elif step == "discharge_before_admission":
            admit_case.fn(case_id, date(2017, 3, 1), "coordinator")
            before = count(db_url, TreatmentEpisode)
            discharge_case.fn(case_id, date(2017, 2, 28), BillAmounts.parse("100"), "coordinator")
        else:
            patient = patient_of(db_url, case_id)
            stay = admit_stay.fn(patient, "520527-PH", "S72.0", date(2017, 2, 1), "coordinator").stay_id
            before = count(db_url, TreatmentEpisode, col(TreatmentEpisode.discharged_on).is_not(None))
            discharge_stay.fn(stay, date(2017, 1, 31), BillAmounts.parse("100"), "coordinator")
    assert message in str(err.value)
    subject = "stay" if step.startswith("stay") else f"case {case_id}"
    assert str(err.value).startswith(subject)
    if step.startswith("stay"):
        assert count(db_url, TreatmentEpisode, col(TreatmentEpisode.discharged_on).is_not(None)) == before
    else:
        assert count(db_url, TreatmentEpisode) == before, "nothing written"
