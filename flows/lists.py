"""External list import (orchestration only): the poverty office's, civil affairs' or the insurance fund's
list, for the 四个一致 check. The file stays on the server; its path, the source and the list date are the
only parameters (no identity)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from prefect import flow
from pydantic import Field

from flows.context import run_context
from flows.params import Actor, NoIdText, form
from models.external_lists import ListSource
from tasks.infra.access import check_person
from tasks.lists.importer import ListImportReport, import_external_list

ListPath = Annotated[
    NoIdText,
    Field(min_length=1, max_length=500),
    form(
        "名单文件路径 List file",
        "服务器上名单文件（CSV：UTF-8 或 GBK；或 XLSX）的路径，列为 身份证号 或 户编号，以及 状态。"
        "List file on the server: CSV (UTF-8 or GBK) or XLSX.",
    ),
]
Source = Annotated[
    ListSource,
    form(
        "名单来源 Source",
        "poverty_office=扶贫办（建档立卡、边缘户、监测户），civil_affairs=民政（低保、特困），"
        "insurance=医保（参保状态）。Who published the list.",
    ),
]
ListDate = Annotated[
    date, form("名单日期 (YYYY-MM-DD)", "名单的截止日期；同一来源同一日期重复导入不会重复写入。List date.")
]


@flow(name="import-external-list", flow_run_name="import-list-{source}-{list_date}")
def import_list(path: ListPath, source: Source, list_date: ListDate, actor: Actor = "coordinator") -> ListImportReport:
    """导入外部名单（扶贫办 / 民政 / 医保），用于“四个一致”比对：先校验每一行，有错则整个文件不导入；
    未匹配到的行只报行号。Import an external list: every row validated first; unmatched rows reported by line."""
    with run_context(actor=actor):
        check_person(actor)
        return import_external_list(path, source, list_date, actor)
