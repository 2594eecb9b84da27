"""External lists for the 四个一致 check (pure): which source says what, the columns a list may have
(English or Chinese headers), and each row validated into a ``ListRow`` — a national ID number or a
household number, and the status the source gives (a poverty status, or insured yes/no)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from models import national_id
from models.enums import PovertyStatus
from models.intake import ImportRejected, RowError


class ListSource(StrEnum):
    """Who publishes the list (``external_status.source``)."""

    POVERTY_OFFICE = "poverty_office"  # 扶贫办 / 乡村振兴局: 建档立卡、边缘户、监测户
    CIVIL_AFFAIRS = "civil_affairs"  # 民政: 低保、特困
    INSURANCE = "insurance"  # 医保: 参保或未参保


SOURCE_LABELS: dict[ListSource, str] = {
    ListSource.POVERTY_OFFICE: "扶贫办",
    ListSource.CIVIL_AFFAIRS: "民政",
    ListSource.INSURANCE: "医保",
}

#: Header aliases → field (lower-cased, spaces dropped).
COLUMNS: dict[str, str] = {
    **dict.fromkeys(("national_id", "id_number", "身份证号", "身份证号码", "公民身份号码", "证件号码"), "national_id"),
    **dict.fromkeys(("household_ref", "household", "户编号", "户号", "家庭编号"), "household_ref"),
    **dict.fromkeys(("status", "poverty_status", "状态", "贫困属性", "人员类别", "救助类别", "户类型"), "status"),
    **dict.fromkeys(("insured", "参保状态", "是否参保", "参保"), "status"),
}

_POVERTY: dict[str, PovertyStatus] = {
    **{s.value: s for s in PovertyStatus},
    **dict.fromkeys(("建档立卡", "建档立卡户", "贫困户", "脱贫户", "脱贫人口"), PovertyStatus.REGISTERED_POOR),
    **dict.fromkeys(("低保", "低保户", "低保对象", "城乡低保"), PovertyStatus.MINIMUM_LIVING),
    **dict.fromkeys(("特困", "特困供养", "特困人员", "五保", "五保户"), PovertyStatus.DESTITUTE),
    **dict.fromkeys(("边缘户", "边缘易致贫户", "低保边缘"), PovertyStatus.EDGE),
    **dict.fromkeys(("监测户", "监测对象", "突发严重困难户"), PovertyStatus.MONITORED),
    **dict.fromkeys(("一般户", "普通", "普通居民", "非贫困户"), PovertyStatus.GENERAL),
}
_INSURED: dict[str, bool] = {
    **dict.fromkeys(("已参保", "参保", "是", "yes", "y", "true", "1", "insured"), True),
    **dict.fromkeys(("未参保", "否", "no", "n", "false", "0", "uninsured"), False),
}
#: Statuses each source may give (the poverty office does not decide 低保, civil affairs not 建档立卡).
ALLOWED: dict[ListSource, frozenset[PovertyStatus]] = {
    ListSource.POVERTY_OFFICE: frozenset(PovertyStatus),
    ListSource.CIVIL_AFFAIRS: frozenset(
        {PovertyStatus.MINIMUM_LIVING, PovertyStatus.DESTITUTE, PovertyStatus.EDGE, PovertyStatus.GENERAL}
    ),
    ListSource.INSURANCE: frozenset(),
}


@dataclass(frozen=True, slots=True)
class ListRow:
    """One list line: who (a normalised ID number, or a household number) and what the source says."""

    line: int
    national_id: str | None
    household_ref: str | None
    poverty_status: PovertyStatus | None
    insured: bool | None


def header_fields(header: Iterable[str]) -> dict[str, str]:
    """Column name as written → field; unknown columns are ignored."""
    out: dict[str, str] = {}
    for name in header:
        key = "".join(str(name or "").split()).lower()
        if key in COLUMNS:
            out[str(name)] = COLUMNS[key]
    return out


def parse_status(source: ListSource, text: str) -> PovertyStatus | bool:
    key = "".join(text.split()).lower()
    if source == ListSource.INSURANCE:
        if key not in _INSURED:
            raise ValueError("not 已参保/未参保 (insured yes/no)")
        return _INSURED[key]
    status = _POVERTY.get(key)
    if status is None or status not in ALLOWED[source]:
        allowed = "、".join(sorted(s.value for s in ALLOWED[source]))
        raise ValueError(f"not a status this list gives ({allowed})")
    return status


def parse_list(source: ListSource, header: list[str], records: Iterable[tuple[int, list[str]]]) -> list[ListRow]:
    """Every row validated; any bad row rejects the file (``ImportRejected``: line and field, never a value)."""
    fields = header_fields(header)
    have = set(fields.values())
    if "status" not in have or not have & {"national_id", "household_ref"}:
        missing = "status" if "status" not in have else "national_id or household_ref"
        raise ImportRejected([RowError(1, missing, "column missing from header (身份证号/户编号 and 状态)")])
    rows: list[ListRow] = []
    errors: list[RowError] = []
    for line, values in records:
        data: Mapping[str, str] = {
            fields[h]: str(v if v is not None else "").strip() for h, v in zip(header, values, strict=False)
            if h in fields
        }  # fmt: skip
        if not any(data.values()):
            continue
        person, household = data.get("national_id") or None, data.get("household_ref") or None
        try:
            person = national_id.normalise(person) if person else None
        except ValueError:
            errors.append(RowError(line, "national_id", "not a valid ID number (check digit or length)"))
            continue
        if person is None and household is None:
            errors.append(RowError(line, "national_id", "missing (or give household_ref)"))
            continue
        try:
            status = parse_status(source, data.get("status", ""))
        except ValueError as exc:
            errors.append(RowError(line, "status", str(exc)))
            continue
        insured = status if isinstance(status, bool) else None
        poverty = None if isinstance(status, bool) else status
        rows.append(ListRow(line, person, household if person is None else None, poverty, insured))
    if errors:
        raise ImportRejected(errors)
    return rows
