"""Set-based checks of the nightly run, one id range (chunk) at a time. SQL does the scanning; only
candidates that need a decision (re-triage, alarms) come back to Python, to the pure rules in
``models/nightly.py``. Every function returns how many findings it wrote."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Integer, String, and_, case, cast, func, literal, null, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from models.care import FamilyDoctorContract, FollowUp
from models.clinical import Case
from models.enums import CaseState, Category
from models.findings import Finding, FindingKind
from models.nightly import FOLLOWED_STATES, Cutoffs
from models.people import ExternalStatus, Patient

FINDING_COLUMNS = (
    "run_id",
    "night",
    "kind",
    "subject",
    "reason",
    "region_code",
    "patient_id",
    "household_id",
    "case_id",
    "amount",
    "created_at",
)


def insert_findings(session: Session, rows: Select[Any]) -> int:
    """INSERT … SELECT into ``finding``, ignoring a finding already recorded for (run, kind, subject)."""
    table: Any = Finding.__table__  # type: ignore[attr-defined]
    if session.connection().dialect.name == "postgresql":
        stmt: Any = postgresql.insert(table).from_select(FINDING_COLUMNS, rows).on_conflict_do_nothing()
    else:
        stmt = sqlite.insert(table).from_select(FINDING_COLUMNS, rows).on_conflict_do_nothing()
    result: Any = session.execute(stmt)
    return int(result.rowcount or 0)


class Scope:
    """Run, night, cut-offs and the optional region every chunk query is filtered by."""

    def __init__(self, run_id: int, cut: Cutoffs, region_code: str | None, now: datetime) -> None:
        self.run_id, self.cut, self.region_code, self.now = run_id, cut, region_code, now

    def head(self, kind: FindingKind) -> list[Any]:
        return [
            literal(self.run_id, Integer),
            literal(self.cut.night, Date),
            literal(kind.value, String),
        ]

    def tail(self) -> list[Any]:
        return [literal(self.now, DateTime)]

    def case_tail(self) -> list[Any]:
        """The columns after the reason of a finding about a case: region, patient, household (none), case,
        amount (none), then ``tail``."""
        return [col(Case.region_code), col(Case.patient_id), null(), col(Case.id), null(), *self.tail()]

    def cases(self, lo: int, hi: int) -> list[Any]:
        where: list[Any] = [col(Case.id).between(lo, hi)]
        if self.region_code:
            where.append(col(Case.region_code) == self.region_code)
        return where


def _subject(prefix: str, id_col: Any) -> Any:
    return literal(prefix, String) + cast(id_col, String)


def _on(d: date) -> Any:
    return literal(d, Date)


def overdue_follow_ups(session: Session, sc: Scope, lo: int, hi: int) -> int:
    """Maintenance / long-term cases whose last follow-up (or, if none, reaching that state) is older
    than the disease's follow-up interval."""
    due = sc.cut.follow_up_before
    if not due:
        return 0
    last = (
        select(col(FollowUp.case_id), func.max(col(FollowUp.followed_on)).label("last"))
        .where(col(FollowUp.case_id).between(lo, hi))
        .group_by(col(FollowUp.case_id))
        .subquery()
    )
    due_date = case(*[(col(Case.disease_code) == code, _on(d)) for code, d in due.items()])
    rows = (
        select(
            *sc.head(FindingKind.OVERDUE_FOLLOW_UP),
            _subject("case:", col(Case.id)),
            literal("follow-up interval exceeded", String),
            *sc.case_tail(),
        )
        .select_from(Case)
        .outerjoin(last, last.c.case_id == col(Case.id))
        .where(
            *sc.cases(lo, hi),
            col(Case.state).in_([s.value for s in FOLLOWED_STATES]),
            col(Case.disease_code).in_(list(due)),
            func.coalesce(last.c.last, col(Case.state_changed_at)) < due_date,
        )
    )
    return insert_findings(session, rows)


def expiring_contracts(session: Session, sc: Scope, lo: int, hi: int) -> int:
    """Patients under long-term management without a family-doctor contract, or whose latest contract
    expires within the warning window (签约 target 100%)."""
    managed = (
        select(col(Case.patient_id), col(Case.region_code))
        .where(
            *sc.cases(lo, hi),
            col(Case.category) == Category.LONG_TERM.value,
            col(Case.state) == CaseState.UNDER_MANAGEMENT.value,
        )
        .distinct()
        .subquery()
    )
    latest = (
        select(col(FamilyDoctorContract.patient_id), func.max(col(FamilyDoctorContract.expires_on)).label("exp"))
        .where(col(FamilyDoctorContract.patient_id).in_(select(managed.c.patient_id)))
        .group_by(col(FamilyDoctorContract.patient_id))
        .subquery()
    )
    rows = (
        select(
            *sc.head(FindingKind.EXPIRING_CONTRACT),
            _subject("patient:", managed.c.patient_id),
            case(
                (latest.c.exp.is_(None), literal("no family-doctor contract", String)),
                (latest.c.exp < _on(sc.cut.night), literal("family-doctor contract expired", String)),
                else_=literal("family-doctor contract expires soon", String),
            ),
            managed.c.region_code,
            managed.c.patient_id,
            null(),
            null(),
            null(),
            *sc.tail(),
        )
        .select_from(managed)
        .outerjoin(latest, latest.c.patient_id == managed.c.patient_id)
        .where(or_(latest.c.exp.is_(None), latest.c.exp <= _on(sc.cut.contract_expires_before)))
    )
    return insert_findings(session, rows)


def untreated_and_stuck(session: Session, sc: Scope, lo: int, hi: int) -> int:
    """Special-disease cases not treated N days after triage (the ledger's "not yet treated"), and cases
    in any other state longer than that state's limit."""
    untreated = select(
        *sc.head(FindingKind.UNTREATED),
        _subject("case:", col(Case.id)),
        literal("not treated after triage; waiting in ", String)
        + cast(col(Case.state), String)
        + literal(" ", String)
        + func.coalesce(col(Case.state_reason), literal("", String)),
        *sc.case_tail(),
    ).where(
        *sc.cases(lo, hi),
        col(Case.state).in_([CaseState.TRIAGED.value, CaseState.REFERRED.value]),
        col(Case.category).is_not(None),
        col(Case.triaged_at) < _on(sc.cut.untreated_before),
    )
    n = insert_findings(session, untreated)
    limits = sc.cut.stuck_before
    if not limits:
        return n
    limit = case(*[(col(Case.state) == s.value, _on(d)) for s, d in limits.items()])
    stuck = select(
        *sc.head(FindingKind.STUCK),
        _subject("case:", col(Case.id)),
        literal("too long in state ", String) + cast(col(Case.state), String),
        *sc.case_tail(),
    ).where(
        *sc.cases(lo, hi),
        col(Case.state).in_([s.value for s in limits]),
        col(Case.state_changed_at) < limit,
    )
    return n + insert_findings(session, stuck)


def status_mismatches(session: Session, sc: Scope, lo: int, hi: int) -> int:
    """四个一致: the patient's poverty status disagrees with the latest imported external list."""
    latest = (
        select(col(ExternalStatus.patient_id), func.max(col(ExternalStatus.list_date)).label("d"))
        .where(col(ExternalStatus.patient_id).between(lo, hi), col(ExternalStatus.poverty_status).is_not(None))
        .group_by(col(ExternalStatus.patient_id))
        .subquery()
    )
    where = [col(Patient.id).between(lo, hi), col(Patient.poverty_status) != col(ExternalStatus.poverty_status)]
    if sc.region_code:
        where.append(col(Patient.region_code) == sc.region_code)
    rows = (
        select(
            *sc.head(FindingKind.STATUS_MISMATCH),
            _subject("patient:", col(Patient.id)),
            literal("system says ", String)
            + cast(col(Patient.poverty_status), String)
            + literal(", external list says ", String)
            + cast(col(ExternalStatus.poverty_status), String),
            col(Patient.region_code),
            col(Patient.id),
            col(Patient.household_id),
            null(),
            null(),
            *sc.tail(),
        )
        .select_from(Patient)
        .join(latest, latest.c.patient_id == col(Patient.id))
        .join(
            ExternalStatus,
            and_(col(ExternalStatus.patient_id) == col(Patient.id), col(ExternalStatus.list_date) == latest.c.d),
        )
        .where(*where)
    )
    return insert_findings(session, rows)
