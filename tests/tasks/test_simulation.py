"""政策测算 on stored settlements: the policy in force reproduces every stored settlement exactly (a rule applied
differently anywhere would show), a proposal without a layer moves its cost to the patients who used it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

from config.policies import load_policies
from models.simulation.core import Tally
from tasks.infra.db import session_scope
from tasks.settlement.settle import settle_many
from tasks.simulation.run import SimulationRequest, simulate_policies
from tasks.simulation.work import Scenarios, simulate_stays
from tests.reliability.builders import BILLS, discharged_cases

IN_FORCE = Path(__file__).resolve().parents[2] / "config" / "data" / "policies" / "hezhang-2016b.yaml"


def _settled(tmp_path: Path, url: str) -> list[int]:
    ids = discharged_cases(tmp_path, url, BILLS[:5], poverty="minimum_living", seq=77)
    ids += discharged_cases(tmp_path, url, BILLS[5:], poverty="registered_poor", seq=78)
    with session_scope(url) as s:
        moved, held = settle_many(s, ids, "coordinator")
    assert sorted(moved) == ids and not held
    return ids


def _tallies(url: str, proposal: Path) -> dict[str, Tally]:
    from config.policies import load_policy_file

    scenarios = Scenarios(load_policies(), {"p": load_policy_file(proposal)}, date(2017, 1, 1))
    return simulate_stays(scenarios, url, "520527", date(2017, 1, 1), date(2017, 12, 31), 1, width=2)["p"]


def _without_critical_illness(tmp_path: Path) -> Path:
    data = yaml.safe_load(IN_FORCE.read_text(encoding="utf-8"))
    data["id"] = "hezhang-no-critical"
    data["layers"] = [lp for lp in data["layers"] if lp["layer"] != "critical_illness"]
    out = tmp_path / "no-critical.yaml"
    out.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return out


def test_the_policy_in_force_reproduces_the_stored_settlements(tmp_path: Path, db_url: str) -> None:
    _settled(tmp_path, db_url)
    tally = _tallies(db_url, IN_FORCE)["520527"]
    assert tally.stays == len(BILLS)
    assert tally.today == tally.proposed  # every layer, place, bin and patient's self-pay identical
    assert tally.changes() == (0, 0, [])


def test_removing_the_critical_illness_layer_costs_its_patients_what_it_paid(tmp_path: Path, db_url: str) -> None:
    _settled(tmp_path, db_url)
    tally = _tallies(db_url, _without_critical_illness(tmp_path))["520527"]
    paid = tally.today.layers["critical_illness"]
    assert paid > 0 and "critical_illness" not in tally.proposed.layers
    more, less, _ = tally.changes()
    assert more >= 1 and less == 0
    # medical assistance pays a share of what is left: patients pay more, but less than the layer paid
    extra = tally.proposed.patient_pays - tally.today.patient_pays
    assert Decimal(0) < extra <= paid


def test_report_and_workbook_are_written_and_reproducible(tmp_path: Path, db_url: str) -> None:
    _settled(tmp_path, db_url)
    req = SimulationRequest(
        proposals=[IN_FORCE, _without_critical_illness(tmp_path)],
        region="520527",
        start=date(2017, 1, 1),
        end=date(2017, 12, 31),
        out=tmp_path / "sim",
    )
    first = simulate_policies.fn(req)
    again = simulate_policies.fn(req)
    assert first.fingerprint == again.fingerprint and first.stays == len(BILLS)
    text = first.report.read_text(encoding="utf-8")
    assert "## 方案 hezhang-2016b" in text and "## 方案 no-critical" in text and "| 大病保险 |" in text
    assert first.workbook.exists()
    assert (first.report.parent / "cost-per-layer.png").stat().st_size > 0 and "![self-pay](self-pay.png)" in text
    same = first.overall["hezhang-2016b"]
    assert all(v.split(" → ")[0] == v.split(" → ")[1] for v in same.values())
    removed = first.overall["no-critical"]["critical_illness"]  # the removed layer is shown, not left out
    assert removed == f"{same['critical_illness'].split(' → ')[0]} → 0.00" and not removed.startswith("0.00")


def test_two_worker_processes_reading_their_own_windows_tally_the_same(tmp_path: Path, db_url: str) -> None:
    from config.policies import load_policy_file

    _settled(tmp_path, db_url)
    scenarios = Scenarios(load_policies(), {"p": load_policy_file(IN_FORCE)}, date(2017, 1, 1))
    period = ("520527", date(2017, 1, 1), date(2017, 12, 31))
    alone = simulate_stays(scenarios, db_url, *period, 1, width=1)["p"]
    shared = simulate_stays(scenarios, db_url, *period, 2, width=1)["p"]
    assert alone["520527"].stays == len(BILLS)
    assert shared == alone  # every region's sides, patients and households, whichever worker took a window
