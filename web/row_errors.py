"""The importer's row errors as a coordinator reads them on the upload page. The importer words them in English
(``models.intake``, ``models.national_id``, ``tasks.pathway``: the CLI prints them too); a message not listed
here is shown as it is."""

from __future__ import annotations

import re

_ZH: tuple[tuple[str, str], ...] = (
    (r"missing", "必填，不能为空"),
    (r"column missing from header", "表头缺少这一列"),
    (r"must be a date written YYYY-MM-DD", "日期格式应为 YYYY-MM-DD"),
    (r"not a real date", "不是真实存在的日期"),
    (r"in the future \(after today, (.+)\)", r"晚于今天（\1）"),
    (r"before the birth date in the ID number", "早于身份证号中的出生日期"),
    (r"must be 17 digits followed by a digit or X", "身份证号应为 17 位数字加 1 位数字或 X"),
    (r"birth date part is not a real date", "身份证号中的出生日期不存在"),
    (r"check digit does not match \(GB 11643\)", "身份证号校验位不符（GB 11643）"),
    (r"must be 6 digits", "应为 6 位数字"),
    (r"unknown region (\S+)", r"未知的地区编码 \1"),
    (r"region (\S+) has no settlement policy.*", r"地区 \1 没有报销政策，不能导入"),
    (r"must be one of (.+)", r"应为以下之一：\1"),
    (r"longer than (\d+) characters", r"超过 \1 个字符"),
    (r"contains control characters", "含有控制字符"),
    (r"unknown ICD-10 code (.+?): (.+)", r"无法识别的 ICD-10 编码 \1（\2）"),
    (r"same person as line (\d+) with another region/household", r"与第 \1 行是同一人，但地区或户编号不同"),
    (r"same person as line (\d+) with another poverty status", r"与第 \1 行是同一人，但贫困属性不同"),
    (r"same household as line (\d+) with another region", r"与第 \1 行是同一户，但地区不同"),
    (r"no screening rows \(only a header\)", "没有筛查记录（只有表头）"),
    (r"neither UTF-8 nor GB18030/GBK text.*", "文件编码既不是 UTF-8 也不是 GBK/GB18030（请另存为 UTF-8 的 CSV）"),
    (r"not a readable XLSX workbook", "不是可以读取的 XLSX 工作簿"),
    (r"malformed CSV.*", "CSV 格式有误"),
)
_PATTERNS = tuple((re.compile(pattern), zh) for pattern, zh in _ZH)


def row_error(message: str) -> str:
    """The Chinese wording of one of the importer's row errors (unknown ones unchanged)."""
    for pattern, zh in _PATTERNS:
        if found := pattern.fullmatch(message):
            return found.expand(zh)
    return message
