"""Screening intake flows. Identity travels in files or the CLI, never in flow parameters."""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from flows.context import run_context
from flows.params import Actor, CsvPath, Icd10, Method, PatientId, ScreenedOn
from tasks.infra.access import check_person
from tasks.pathway.intake import ImportReport, import_screenings_file, rescreen_patient


def _import_run_name() -> str:
    return f"import-{Path(str(flow_run.parameters.get('csv_path', ''))).name or 'screenings'}"


@flow(name="import-screenings", flow_run_name=_import_run_name)
async def import_screenings(csv_path: CsvPath, actor: Actor = "coordinator") -> ImportReport:
    """导入筛查名单：服务器上的 CSV（UTF-8/GBK/GB18030）或 XLSX 文件，表头中英文均可；先校验每一行，有一行出错则整个
    文件不导入，错误指明行号和字段；重复导入只写入新的筛查记录（同一人、同一诊断编码、同一日期只记一次）。
    Bulk screening import of a CSV or XLSX file on the server: every row is validated first; a bad row rejects the
    whole file and the error names each bad line and field. Re-importing writes only findings not imported yet."""
    with run_context(actor=actor):
        check_person(actor)
        return import_screenings_file(csv_path, actor)


@flow(name="screen-patient", flow_run_name="screen-patient-{patient_id}")
async def screen_patient(
    patient_id: PatientId,
    icd10: Icd10,
    screened_on: ScreenedOn,
    method: Method = "health_check",
    actor: Actor = "coordinator",
) -> ImportReport:
    """登记筛查：已登记患者在筛查中发现的疑似病情（开立病例）。
    Record a suspected condition found at a screening of a registered patient."""
    with run_context(patient_id=patient_id, actor=actor):
        check_person(actor)
        return rescreen_patient(patient_id, icd10, screened_on, method, actor)
