"""The screening file's columns and values as counties write them (pure): English or Chinese headers, poverty
status as the stored value or its Chinese label, text encodings that Excel in China saves."""

from __future__ import annotations

import codecs
from collections.abc import Iterable

from models.enums import PovertyStatus

REQUIRED_COLUMNS = ("household_ref", "national_id", "name", "region_code", "poverty_status", "screened_on", "icd10")
OPTIONAL_COLUMNS = ("method",)

#: Chinese headers (and common variants) → column
CHINESE_HEADERS: dict[str, str] = {
    "户编号": "household_ref",
    "身份证号": "national_id",
    "身份证号码": "national_id",
    "姓名": "name",
    "行政区划代码": "region_code",
    "贫困属性": "poverty_status",
    "筛查日期": "screened_on",
    "诊断编码": "icd10",
    "筛查方式": "method",
}

#: Chinese labels of the poverty status, as 扶贫 and 民政 lists write them
POVERTY_LABELS: dict[str, PovertyStatus] = {
    "建档立卡": PovertyStatus.REGISTERED_POOR,
    "建档立卡贫困户": PovertyStatus.REGISTERED_POOR,
    "低保": PovertyStatus.MINIMUM_LIVING,
    "低保户": PovertyStatus.MINIMUM_LIVING,
    "特困": PovertyStatus.DESTITUTE,
    "特困供养": PovertyStatus.DESTITUTE,
    "边缘户": PovertyStatus.EDGE,
    "监测户": PovertyStatus.MONITORED,
    "普通": PovertyStatus.GENERAL,
    "普通居民": PovertyStatus.GENERAL,
}
POVERTY_VALUES: dict[str, PovertyStatus] = {s.value: s for s in PovertyStatus} | POVERTY_LABELS
POVERTY_CHOICES = ", ".join(f"{s.value}/{next(k for k, v in POVERTY_LABELS.items() if v is s)}" for s in PovertyStatus)


def column_of(header: str) -> str:
    """The column a header cell names (English as is, Chinese by its label); unknown headers pass unchanged."""
    h = header.strip().lstrip("\ufeff").strip()
    return CHINESE_HEADERS.get(h, h)


def columns_of(header: Iterable[object]) -> list[str]:
    return [column_of("" if h is None else str(h)) for h in header]


def missing_columns(columns: Iterable[str]) -> list[str]:
    present = set(columns)
    return [c for c in REQUIRED_COLUMNS if c not in present]


def csv_encoding(chunks: Iterable[bytes]) -> str:
    """``utf-8-sig`` when the whole file is strict UTF-8 (with or without a BOM), else ``gb18030`` (a superset of
    GBK and GB2312: what Excel in China saves). Reads the chunks once, holding one at a time."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        for chunk in chunks:
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"
