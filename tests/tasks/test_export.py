"""Exports against a small county driven through the real pathway tasks (two regions, settled and unsettled
cases, findings on two nights): ledger rows and totals equal the database, filters, no identity in the files,
the FHIR bundle from the database, charts and the summary text."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select
from sqlmodel import col
from typer.testing import CliRunner

from bench.county import build_discharged
from cli.reports import reports_app
from config.identity import identity_keys
from models.care import TreatmentEpisode
from models.clinical import Case, Condition, Screening
from models.enums import CaseState
from models.findings import Finding, FindingKind, NightlyRun, RunStatus
from models.identity import Purpose, unseal
from models.people import Patient
from models.settlement.tables import Settlement, SettlementLine
from tasks.infra.db import session_scope
from tasks.pathway.treatment import finish_many
from tasks.reports.charts import _treatment_rate, draw_charts, summary_markdown
from tasks.reports.export import LedgerFilter, export_files
from tasks.reports.fhir_export import export_fhir
from tasks.reports.summary import collect_summary
from tasks.settlement.settle import settle_many

D = Decimal
LAYERS = ["basic_insurance", "critical_illness", "medical_assistance", "supplementary"]


def _build_county(url: str) -> str:
    build_discharged(30, seed=3, region="520527")
    build_discharged(20, seed=4, region="530427")
    with session_scope() as s:
        ids = list(s.execute(select(col(Case.id)).where(col(Case.state) == CaseState.DISCHARGED)).scalars())
        moved, _ = settle_many(s, ids[:-3], "t")  # three discharged cases stay unsettled
    with session_scope() as s:
        finish_many(s, moved[::2], "t")
        nights = [(5, "520527", "untreated"), (6, "520527", "poverty_alarm"), (6, "530427", "stuck")]
        for month, region, kind in nights:
            night = date(2017, month, 1)
            run = NightlyRun(night=night, scope=region, status=RunStatus.FINISHED)
            s.add(run)
            s.flush()
            s.add(Finding(run_id=run.id or 0, night=night, kind=FindingKind(kind), subject=f"case:{ids[0]}", reason="r",
                          region_code=region, case_id=ids[0], amount=D("7000.00")))  # fmt: skip
    return url


@pytest.fixture()
def county(db_url: str) -> str:
    return _build_county(db_url)


def _db(stmt: Any) -> Any:
    with session_scope() as s:
        return s.execute(stmt).all()


def _identity() -> set[str]:
    keys = identity_keys()
    rows = _db(select(col(Patient.national_id_hash), col(Patient.national_id_sealed), col(Patient.name_sealed)))
    return {
        v
        for h, nid, name in rows
        for v in (unseal(keys, Purpose.NATIONAL_ID, nid, h), unseal(keys, Purpose.NAME, name, h))
    }


def test_xlsx_and_csv_rows_and_totals_equal_the_database(county: str, tmp_path: Path) -> None:
    result = export_files(LedgerFilter(), tmp_path, ["xlsx", "csv"], "zh", page=7)  # many keyset pages
    special = _db(select(col(Case.id)).where(col(Case.disease_code).is_not(None)).order_by(col(Case.id)))
    by_layer = dict(_db(select(col(SettlementLine.layer), func.count()).group_by(col(SettlementLine.layer))))
    paid = {layer: D("0.00") for layer in LAYERS}
    for layer, amount in _db(select(col(SettlementLine.layer), col(SettlementLine.paid))):
        paid[str(layer)] += amount
    total, pays = (
        sum((r[i] for r in _db(select(col(Settlement.total), col(Settlement.patient_pays)))), D("0.00")) for i in (0, 1)
    )
    assert by_layer and result.ledger_rows == len(special) and result.alarm_rows == 2
    assert result.totals == {**{k: str(v) for k, v in paid.items()}, "total": str(total), "patient_pays": str(pays),
                             "self_pay_ratio": str((pays / total).quantize(D("0.0001")))}  # fmt: skip

    book = openpyxl.load_workbook(tmp_path / "ledger-all.xlsx")
    assert book.sheetnames == ["台账", "预警"]
    rows = list(book["台账"].iter_rows(values_only=True))
    head, body, footer = rows[0], rows[1:-1], rows[-1]
    assert head[0] == "病例编号" and [r[0] for r in body] == [c for (c,) in special], "each case once, in id order"
    money = {
        h: head.index(h) for h in ("基本医保支付", "大病保险支付", "医疗救助支付", "补充保险及兜底支付", "医疗总费用")
    }
    assert footer[:2] == ("合计", len(special))
    for (name, i), layer in zip(money.items(), [*LAYERS, "total"], strict=True):
        column = sum(D(str(r[i])) for r in body if r[i] is not None)
        expected = paid.get(layer, total)
        assert column == expected == D(str(footer[i])).quantize(D("0.01")), name
    assert [r[2] for r in book["预警"].iter_rows(values_only=True)][1:] == ["poverty_alarm", "stuck"], "latest night"

    with (tmp_path / "ledger-all.csv").open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert len(lines) == len(special) + 1
    csv_total = sum((D(r[head.index("医疗总费用")]) for r in lines[1:] if r[head.index("医疗总费用")]), D("0.00"))
    assert csv_total == total
    cells = {str(c) for r in rows for c in r} | {c for r in lines for c in r}
    cells |= {str(c) for r in book["预警"].iter_rows(values_only=True) for c in r}
    assert not cells & _identity(), "no national ID and no name in any export"


@pytest.mark.postgres
def test_exports_on_postgres(pg_url: str, tmp_path: Path) -> None:
    """The PostgreSQL branches: array-bound id lists per keyset page, timezone-aware timestamps."""
    _build_county(pg_url)
    result = export_files(LedgerFilter(region_code="520527"), tmp_path, ["xlsx", "csv"], "en", page=5)
    (n,) = _db(select(func.count()).where(col(Case.disease_code).is_not(None), col(Case.region_code) == "520527"))[0]
    (total,) = _db(
        select(func.sum(col(Settlement.total)))
        .join(Case, col(Case.id) == col(Settlement.case_id))
        .where(col(Case.region_code) == "520527")
    )[0]
    assert (result.ledger_rows, result.totals["total"], result.alarm_rows) == (n, str(total), 1)
    (pid,), *_ = _db(select(col(Settlement.patient_id)))
    assert Bundle.model_validate_json(export_fhir(pid, tmp_path / "p.json", "system").read_text(encoding="utf-8")).entry


def test_one_case_row_matches_its_settlement(county: str, tmp_path: Path) -> None:
    (case_id, pid, hid, pays, tot), *_ = _db(
        select(
            col(Case.id),
            col(Case.patient_id),
            col(Patient.household_id),
            col(Settlement.patient_pays),
            col(Settlement.total),
        )
        .join(Settlement, col(Settlement.case_id) == col(Case.id))
        .join(Patient, col(Patient.id) == col(Case.patient_id))
    )
    export_files(LedgerFilter(), tmp_path, ["csv"], "en")
    with (tmp_path / "ledger-all.csv").open(encoding="utf-8-sig") as fh:
        row = next(r for r in csv.DictReader(fh) if r["case_id"] == str(case_id))
    assert (row["patient_id"], row["household_id"]) == (str(pid), str(hid))
    assert (row["patient_pays"], row["total_cost"]) == (str(pays), str(tot))
    assert row["self_pay_ratio"] == str((pays / tot).quantize(D("0.0001"))) and row["disease_name_zh"]


@pytest.mark.parametrize(
    ("flt", "reason"),
    [
        (LedgerFilter(region_code="530427"), "one county only"),
        (LedgerFilter(date_from=date(2017, 3, 10), date_to=date(2017, 3, 20)), "screened in the period"),
        (LedgerFilter(date_to=date(2017, 3, 12), period_on="discharged"), "discharged by the 12th"),
    ],
)
def test_filters(county: str, tmp_path: Path, flt: LedgerFilter, reason: str) -> None:
    export_files(flt, tmp_path, ["csv"], "en")
    with (tmp_path / f"ledger-{flt.slug()}.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    stmt = select(func.count(func.distinct(col(Case.id)))).where(col(Case.disease_code).is_not(None))
    if flt.region_code:
        assert {r["region_code"] for r in rows} == {"530427"}, reason
        stmt = stmt.where(col(Case.region_code) == "530427")
    elif flt.period_on == "screened":
        assert all("2017-03-10" <= r["screened_on"] <= "2017-03-20" for r in rows), reason
        stmt = (
            stmt.join(Condition, col(Condition.id) == col(Case.condition_id))
            .join(Screening, col(Screening.id) == col(Condition.screening_id))
            .where(col(Screening.screened_on).between(date(2017, 3, 10), date(2017, 3, 20)))
        )
    else:
        assert all(r["last_discharged_on"] and r["last_discharged_on"] <= "2017-03-12" for r in rows), reason
        stmt = stmt.join(TreatmentEpisode, col(TreatmentEpisode.case_id) == col(Case.id)).where(
            col(TreatmentEpisode.discharged_on) <= date(2017, 3, 12)
        )
    assert 0 < len(rows) == _db(stmt)[0][0], reason


def test_fhir_export_from_the_database(county: str, tmp_path: Path) -> None:
    (pid, row_hash, sealed), *_ = _db(
        select(col(Patient.id), col(Patient.national_id_hash), col(Patient.national_id_sealed)).join(
            Settlement, col(Settlement.patient_id) == col(Patient.id)
        )
    )
    nid = unseal(identity_keys(), Purpose.NATIONAL_ID, sealed, row_hash)
    out = tmp_path / "p.json"
    done = CliRunner().invoke(reports_app, ["fhir-export", str(pid), "--out", str(out), "--actor", "system"])
    assert done.exit_code == 0 and json.loads(done.output.splitlines()[-1]) == {"patient_id": pid, "file": str(out)}
    assert nid not in done.output
    bundle = Bundle.model_validate_json(out.read_text(encoding="utf-8"))
    kinds = [e.resource.get_resource_type() for e in bundle.entry or []]  # type: ignore[union-attr]
    (n_settled,) = _db(select(func.count()).where(col(Settlement.patient_id) == pid))[0]
    assert kinds.count("ExplanationOfBenefit") == kinds.count("Claim") == n_settled and "Coverage" in kinds
    assert nid in out.read_text(encoding="utf-8")
    missing = CliRunner().invoke(reports_app, ["fhir-export", "999999", "--out", str(out), "--actor", "system"])
    assert missing.exit_code == 1


def test_fhir_export_refuses_a_sealed_number_copied_from_another_row(county: str, tmp_path: Path) -> None:
    """Issue 22 #7: one patient's national_id_sealed (and name_sealed) pasted into another patient's row must
    not export the wrong person's number beside this patient's birth date: a one-line error naming the row."""
    from sqlalchemy import update

    (_, a_hash, a_sealed, a_name), (b, *_) = _db(
        select(
            col(Patient.id), col(Patient.national_id_hash), col(Patient.national_id_sealed), col(Patient.name_sealed)
        )
        .order_by(col(Patient.id))
        .limit(2)
    )
    with session_scope() as s:
        s.execute(update(Patient).where(col(Patient.id) == b).values(national_id_sealed=a_sealed, name_sealed=a_name))
    nid = unseal(identity_keys(), Purpose.NATIONAL_ID, a_sealed, a_hash)
    out = tmp_path / "b.json"
    done = CliRunner().invoke(reports_app, ["fhir-export", str(b), "--out", str(out), "--actor", "system"])
    assert done.exit_code == 1 and not out.exists()
    assert done.output.strip().splitlines() == [f"refused: patient {b}: national_id: cannot be opened with this"
                                               f" DABING_IDENTITY_KEY (key id {identity_keys().key_id}) for this row;"
                                               " was the database written under another key, or the value copied"
                                               " from another row?"]  # fmt: skip
    assert nid not in done.output and a_hash not in done.output


@pytest.mark.parametrize(
    ("args", "named", "reason"),
    [
        (["export-ledger", "--from", "2017-13-01"], "--from", "month 13 is no date"),
        (["export-ledger", "--to", "20170431"], "--to", "not YYYY-MM-DD"),
        (["export-ledger", "--region-code", "5205"], "--region-code", "a prefecture prefix is no region code"),
        (["summary", "monthly", "--on", "2017-02-30"], "--on", "February has no 30th"),
        (["summary", "weekly", "--region-code", "abc"], "--region-code", "not a region code"),
    ],
)
def test_bad_report_options_are_refused_before_anything_runs(
    tmp_path: Path, args: list[str], named: str, reason: str
) -> None:
    done = CliRunner().invoke(reports_app, [*args, "--out-dir", str(tmp_path)])
    assert done.exit_code == 2 and named in done.output, reason
    assert not any(tmp_path.iterdir()), "nothing written"


def test_summary_figures_charts_and_text(county: str, tmp_path: Path) -> None:
    with session_scope() as s:
        data = collect_summary(s, "monthly", date(2017, 3, 15))
    march = (date(2017, 3, 1), date(2017, 3, 31))
    (discharged,) = _db(select(func.count()).where(col(TreatmentEpisode.discharged_on).between(*march)))[0]
    (settled,) = _db(select(func.count()).where(col(Settlement.service_date).between(*march)))[0]
    assert (data.start, data.end, data.activity["discharged"], data.settlements) == (*march, discharged, settled)
    assert sum(data.self_pay_bins) == settled and len(data.rate_ends) == 12
    assert all(r is None or 0 <= r <= 100 for rates in data.rates.values() for r in rates)
    charts = draw_charts(data, tmp_path / "charts")
    assert "**Alarms and findings in period:** none." in summary_markdown(data, charts), "no findings in March"
    assert [Path(p).name for p in charts] == ["treatment-rate.png", "self-pay.png", "alarms-by-region.png"]
    for p in charts:
        raw = Path(p).read_bytes()
        assert raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) > 10_000
    with session_scope() as s:
        february = collect_summary(s, "monthly", date(2017, 2, 10))
    assert february.rates and all(r is None for rates in february.rates.values() for r in rates)
    empty = _treatment_rate(february, "all").axes[0]
    assert empty.get_legend() is None, "no legend of lines that have no point"
    assert [t.get_text() for t in empty.texts] == ["no special-disease case confirmed by 2017-02-28"]
    assert "one-time cure –, maintenance –, long-term management –" in summary_markdown(february, [])
    with session_scope() as s:
        june = collect_summary(s, "weekly", date(2017, 6, 1))
    assert june.alarms == {"520527": {"poverty_alarm": 1}, "530427": {"stuck": 1}}
    md = summary_markdown(june, charts)
    assert "周调度" in md and "| 520527 | 1 | 0 |" in md
    assert not any(v in md for v in _identity())


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_harness")
def test_report_flows_write_files_and_publish_the_artifact(county: str, tmp_path: Path) -> None:
    from prefect.artifacts import Artifact

    from flows.reports import export_ledger, summary_report

    result = export_ledger(region_code="520527", headers="en", formats=["xlsx"], out_dir=str(tmp_path))
    assert result.files == [str(tmp_path / "ledger-520527.xlsx")] and result.ledger_rows > 0
    data = summary_report(period="monthly", on=date(2017, 3, 31), out_dir=str(tmp_path), actor="system")
    assert len(data.charts) == 3 and all(Path(p).exists() for p in data.charts)
    before = summary_report(period="weekly", on=date(2017, 6, 7), out_dir=str(tmp_path), previous=True, actor="system")
    assert (before.start, before.end) == (date(2017, 5, 29), date(2017, 6, 4)), "the week before the 7th's"
    artifact = Artifact.get("summary-monthly-all")
    assert artifact is not None and "月总结" in str(artifact.data)
    assert not any(v in str(artifact.data) for v in _identity())
