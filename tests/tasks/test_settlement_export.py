"""Stored settlements exported in the 2207 layout and reconciled again: zero discrepancies (JSON lines, CSV),
a re-settled stay exported once with its corrected amounts, a tampered record found, bad file names refused."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from config.policies import load_policies
from models.errors import BadInput
from models.settlement.amounts import BillAmounts
from models.settlement.reconcile import Discrepancy, Kind, Reconciler, csv_records, jsonl_records
from models.settlement.tables import Settlement
from tasks.infra.db import session_scope
from tasks.settlement.export import write_export
from tasks.settlement.reversal import resettle
from tasks.settlement.settle import settle_many
from tests.tasks.test_settlement_tasks import discharged_case


def _stored(tmp_path: Path, url: str) -> int:
    """Three bills of one minimum-living patient (the yearly deductible used by the first), the second
    re-settled with a corrected amount: returns the re-settlement's id."""
    ids = discharged_case(tmp_path, url, "minimum_living", [("20000.00", "0"), ("18000.00", "500.00"), ("9000", "0")])
    with session_scope(url) as s:
        settle_many(s, ids, "coordinator")
    with session_scope(url) as s:
        episode = s.execute(select(Settlement.episode_id).where(Settlement.case_id == ids[1])).scalar_one()
        out = resettle(s, episode, BillAmounts.parse("16000.00", "500.00"), "coordinator", "金额更正")
    assert out.settlement_id is not None
    return out.settlement_id


def _reconcile(path: Path) -> list[Discrepancy]:
    reconciler = Reconciler(load_policies())
    with path.open(encoding="utf-8", newline="") as fh:
        records = csv_records(fh) if path.suffix == ".csv" else jsonl_records(fh)
        return list(reconciler.run(records))


def _round_trip(tmp_path: Path, url: str) -> None:
    resettled = _stored(tmp_path, url)
    for name in ("s.jsonl", "s.csv"):
        with session_scope(url) as s:
            assert write_export(s, 2017, "520527", tmp_path / name) == 3, "the reversed settlement is not exported"
        assert _reconcile(tmp_path / name) == [], name
    records = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text(encoding="utf-8").splitlines()]
    again = next(r for r in records if r["setl_id"] == f"S{resettled}")
    assert again["medfee_sumamt"] == "16000.00"
    assert again["prior_critical_illness_deductible"] == "3000.00", "the first bill's yearly deductible came before"
    # a hospital that recorded 100.00 more basic insurance than the policy pays is found, and nothing else
    again["hifp_pay"] = str(Decimal(again["hifp_pay"]) + 100)
    tampered = tmp_path / "t.jsonl"
    tampered.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    found = _reconcile(tampered)
    assert {d.setl_id for d in found} == {f"S{resettled}"}
    assert [(d.kind, d.layer, d.difference) for d in found if d.kind == Kind.LAYER_DIFFERS] == [
        (Kind.LAYER_DIFFERS, "basic_insurance", Decimal("100.00"))
    ]
    with pytest.raises(BadInput, match="must end in"), session_scope(url) as s:
        write_export(s, 2017, None, tmp_path / "s.txt")


def test_export_round_trip_sqlite(tmp_path: Path, db_url: str) -> None:
    _round_trip(tmp_path, db_url)


@pytest.mark.postgres
def test_export_round_trip_postgres(tmp_path: Path, pg_url: str) -> None:
    _round_trip(tmp_path, pg_url)
