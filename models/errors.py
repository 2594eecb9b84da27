"""Domain errors that are not a rule of their own module (pure). Each message names the internal id and
the field, never identity; the CLI prints it as one line (``cli/errors.py``)."""

from __future__ import annotations


class NotFound(LookupError):
    """An internal id that names nothing (a mistyped case or patient id); nothing was written."""

    def __init__(self, kind: str, ident: int) -> None:
        super().__init__(f"{kind} {ident} does not exist")
        self.kind, self.ident = kind, ident


class CaseNotFound(NotFound):
    def __init__(self, case_id: int) -> None:
        super().__init__("case", case_id)
        self.case_id = case_id


class PatientNotFound(NotFound):
    def __init__(self, patient_id: int) -> None:
        super().__init__("patient", patient_id)
        self.patient_id = patient_id


class BadInput(ValueError):
    """A value a step cannot use (an unknown code), named by its field; nothing was written."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason
