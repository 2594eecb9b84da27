"""What ``dabing check-recorded`` prints and writes (pure): the summary lines and the discrepancy rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from models.ledger_rows import Cell
from models.settlement.label import LAYER_ZH
from models.settlement.policy import PayerLayer
from models.settlement.reconcile import Discrepancy, Kind, Summary

#: Columns of the discrepancy file (CSV and XLSX): Chinese header / English key.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("行号", "line"),
    ("结算ID", "setl_id"),
    ("定点医疗机构", "fixmedins_code"),
    ("问题", "kind"),
    ("问题说明", "kind_zh"),
    ("支付层", "layer"),
    ("记录金额", "recorded"),
    ("应为", "expected"),
    ("差额", "difference"),
    ("说明", "detail"),
)
HEADER = [f"{zh} {en}" for zh, en in COLUMNS]
MONEY_COLUMNS = (6, 7, 8)


def rows(found: Iterable[Discrepancy]) -> Iterator[list[Cell]]:
    for d in found:
        yield [
            d.line,
            d.setl_id,
            d.hospital,
            d.kind.value,
            d.kind.label_zh,
            d.layer,
            d.recorded,
            d.expected,
            d.difference,
            d.detail,
        ]


def summary_lines(summary: Summary, top: int = 10) -> list[str]:
    lines = [
        f"records: {summary.records} (settled under a policy: {summary.settled})",
        f"discrepancies: {summary.discrepancies} in {sum(summary.hospital_off.values())} records",
    ]
    lines += [f"  {kind.value} {kind.label_zh}: {summary.by_kind[kind]}" for kind in Kind if summary.by_kind[kind]]
    lines.append("per layer, records settled under a policy (recorded / policy / difference):")
    for layer in PayerLayer:
        rec, pol = summary.recorded[layer], summary.policy[layer]
        lines.append(f"  {layer.value} {LAYER_ZH[layer]}: {rec:,} / {pol:,} / {rec - pol:,}")
    worst = summary.top_hospitals(top)
    if worst:
        lines.append("hospitals with the most records in discrepancy (records off / records, Σ|layer difference|):")
        lines += [f"  {h}: {off} / {n}, {amount:,}" for h, n, off, amount in worst]
    return lines
