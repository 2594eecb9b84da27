"""Screening intake flows. Identity travels in files or the CLI, never in flow parameters."""

from __future__ import annotations

from datetime import date

from prefect import flow

from tasks.intake import ImportReport, import_screenings_file, screen_patient_task


@flow(name="import-screenings")
async def import_screenings(csv_path: str, actor: str = "coordinator") -> ImportReport:
    """Bulk screening import from a CSV on the server: every row is validated first; a bad row
    rejects the whole file and the error names each bad line and field."""
    return import_screenings_file(csv_path, actor)


@flow(name="screen-patient")
async def screen_patient(
    patient_id: int, icd10: str, screened_on: date, method: str = "health_check", actor: str = "coordinator"
) -> ImportReport:
    """Record a suspected condition found at a screening of a registered patient."""
    return screen_patient_task(patient_id, icd10, screened_on, method, actor)
