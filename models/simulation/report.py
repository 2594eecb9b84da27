"""The simulation report in Chinese (pure): per region and overall, today beside each proposal."""

from __future__ import annotations

from decimal import Decimal

from models.common import ZERO
from models.enums import HospitalLevel, HospitalLocation
from models.settlement.label import LAYER_ZH, LEVEL_ZH, LOCATION_ZH
from models.settlement.policy import LAYER_ORDER
from models.simulation.core import Side, Tally
from models.summary import BINS


def money(v: Decimal) -> str:
    return f"{v:,.2f}"


def change(was: Decimal, now: Decimal) -> tuple[str, str]:
    """(difference, percent change) as shown: +1,234.00 and +5.1% (— when today is zero)."""
    d = now - was
    pct = "—" if not was else f"{(d * 100 / was).quantize(Decimal('0.1')):+}%"
    return f"{d:+,.2f}", pct


def _place_zh(key: str) -> str:
    level, location = key.split("/")
    return f"{LEVEL_ZH[HospitalLevel(level)]} {LOCATION_ZH[HospitalLocation(location)]}"


def _share(side: Side) -> str:
    if not side.in_county_inpatient:
        return "—"
    return f"{Decimal(side.over_target * 100) / side.in_county_inpatient:.1f}%"


def bins_text(side: Side) -> str:
    width = 100 // BINS
    return " ".join(f"{i * width}-{(i + 1) * width}%:{n}" for i, n in enumerate(side.bins) if n)


def _row(label: str, was: Decimal, now: Decimal) -> str:
    """A table row: today, proposed, difference and percent change."""
    return f"| {label} | {money(was)} | {money(now)} | " + " | ".join(change(was, now)) + " |"


def tally_lines(title: str, t: Tally, alarms: tuple[int, int]) -> list[str]:
    """One region's (or the overall) section: payer layers, places, self-pay, who is affected, alarms."""
    lines = [
        f"### {title}",
        "",
        f"住院/门诊结算 {t.stays} 笔" + (f"(另有 {t.held} 笔无适用政策,未测算)" if t.held else "") + "。",
        "",
        "| 支付方 | 现行(元) | 测算(元) | 差额(元) | 变化 |",
        "|---|---:|---:|---:|---:|",
    ]
    for layer in LAYER_ORDER:
        was, now = t.today.layers.get(layer.value), t.proposed.layers.get(layer.value)
        if was is None and now is None:
            continue
        lines.append(_row(LAYER_ZH[layer], was or ZERO, now or ZERO))
    lines.append(_row("个人自付", t.today.patient_pays, t.proposed.patient_pays))
    lines += ["", "| 医院级别与位置 | 现行基金支付(元) | 测算(元) | 差额(元) | 变化 |", "|---|---:|---:|---:|---:|"]
    for key in sorted({*t.today.by_place, *t.proposed.by_place}):
        was, now = t.today.by_place.get(key, ZERO), t.proposed.by_place.get(key, ZERO)
        lines.append(_row(_place_zh(key), was, now))
    more, less, top = t.changes()
    lines += [
        "",
        f"县内住院自付比例超过10%的结算:现行 {_share(t.today)} → 测算 {_share(t.proposed)}",
        f"自付比例分布 现行:{bins_text(t.today)}",
        f"自付比例分布 测算:{bins_text(t.proposed)}",
        f"多付的患者 {more} 人,少付的患者 {less} 人。",
    ]
    if top:
        lines.append("多付最多的患者(内部编号):" + ",".join(f"患者 {pid} +{money(d)}元" for pid, d in top))
    lines.append(f"防返贫预警:将新增 {alarms[0]} 户,将解除 {alarms[1]} 户。")
    return [*lines, ""]
