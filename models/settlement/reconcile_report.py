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


#: Columns of the summary table artifact (a supervisor reads it in the Prefect UI).
TABLE_COLUMNS = ("项目", "说明", "记录金额", "政策应付", "差额", "条数")


def summary_table(summary: Summary, top: int = 10) -> list[dict[str, str]]:
    """The summary as rows with Chinese columns: one per payer layer (recorded / policy / difference), one per
    kind of discrepancy found, one per hospital among the ``top`` with the most records in discrepancy."""

    def row(item: str, what: str, rec: str = "", pol: str = "", diff: str = "", n: str = "") -> dict[str, str]:
        return dict(zip(TABLE_COLUMNS, (item, what, rec, pol, diff, n), strict=True))

    out = [row("记录", "结算记录条数（按政策结算的）", n=f"{summary.records} ({summary.settled})")]
    for layer in PayerLayer:
        rec, pol = summary.recorded[layer], summary.policy[layer]
        out.append(row(f"支付层 {layer.value}", LAYER_ZH[layer], f"{rec:,}", f"{pol:,}", f"{rec - pol:,}"))
    out += [row(f"问题 {k.value}", k.label_zh, n=str(summary.by_kind[k])) for k in Kind if summary.by_kind[k]]
    out += [
        row(f"医院 {h}", "不符记录 / 记录", diff=f"{amount:,}", n=f"{off} / {n}")
        for h, n, off, amount in summary.top_hospitals(top)
    ]
    return out
