"""What supervisors and county offices read: ledger, summaries, charts, exports (XLSX, CSV, FHIR), Prefect artifacts."""
