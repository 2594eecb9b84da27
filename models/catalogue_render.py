"""The catalogue as a coordinator reads it (pure): the version in force on a day, and how the list grew."""

from __future__ import annotations

from datetime import date

from models.catalogue import Catalogue, Disease
from models.catalogue_history import CatalogueHistory
from models.enums import CATEGORY_LABELS


def _line(d: Disease) -> str:
    names = "、".join(d.listed_as) if d.listed_as else "慢病管理"
    since = d.effective_from.isoformat() if d.effective_from else "-"
    ages = f"，{d.min_age}-{d.max_age} 岁" if (d.min_age, d.max_age) != (0, 120) else ""
    return (
        f"- {d.name_zh}（{d.code}）ICD-10 {', '.join(d.icd)}：{CATEGORY_LABELS[d.category]}；{names}；自 {since}{ages}"
    )


def render_catalogue(history: CatalogueHistory, day: date) -> str:
    catalogue = history.on(day)
    if catalogue is None:
        return f"{day.isoformat()}：尚无生效的病种目录（最早版本 {history.versions[0].effective_from}）"
    listed = [d for d in catalogue.diseases if d.listed_as]
    managed = [d for d in catalogue.diseases if not d.listed_as]
    head = (
        f"大病专项救治病种目录 版本 {catalogue.version}（{catalogue.effective_from} 起施行；{day.isoformat()} 生效）："
        f"国家名单 {len(catalogue.listed_names)} 种，{len(listed)} 个病种条目；慢病管理 {len(managed)} 种"
    )
    return "\n".join([head, "国家名单病种:", *map(_line, listed), "慢病签约管理:", *map(_line, managed)])


def _added(before: Catalogue | None, after: Catalogue) -> list[str]:
    old = set(before.listed_names) if before else set()
    return [n for n in after.listed_names if n not in old]


def render_versions(history: CatalogueHistory) -> str:
    lines = ["版本 | 施行日期 | 国家名单病种数 | 新增 | 来源"]
    before: Catalogue | None = None
    for v in history.versions:
        added = "、".join(_added(before, v)) or "-"
        lines.append(f"{v.version} | {v.effective_from} | {len(v.listed_names)} | {added} | {v.source}")
        before = v
    return "\n".join(lines)
