"""Set-based checks of the nightly run, one id range (chunk) at a time, judged at BUSINESS dates as of the
night asked (screened / confirmed / referred / admitted / discharged on, follow-ups, contracts, list dates),
never at record time, so a replayed or back-dated night gives the answer living through it gave. A case whose
current state began after the night is judged by the state in force on the night (``tasks/nightly/rewind.py``).

Each check adds the chunk's condition rows to ``nightly_found`` (``tasks/nightly/found.py``); the diff with
the open alarms is ``tasks/nightly/diff.py``. Every function returns how many condition rows it found."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, String, and_, case, cast, func, literal, null, or_, select, union_all
from sqlalchemy.sql import Select
from sqlmodel import Session, col

from models.care import FamilyDoctorContract, FollowUp, Referral, TreatmentEpisode
from models.clinical import Case, Condition, Screening
from models.contracts import ended_by
from models.enums import CaseState, Category
from models.findings import FindingKind
from models.nightly import FOLLOWED_STATES, Cutoffs
from models.people import ExternalStatus, Patient
from tasks.nightly.found import fill_dates, fill_touch, insert_found
from tasks.nightly.rewind import moved_since, rewind_dates, state_on, state_start


class Scope:
    """Run, night, cut-offs and the optional region every chunk query is filtered by; ``replay``: a night
    before one already run (``tasks/nightly/replay.py``)."""

    def __init__(
        self, run_id: int, cut: Cutoffs, region_code: str | None, actor: str = "nightly", replay: bool = False
    ) -> None:
        self.run_id, self.cut, self.region_code, self.actor, self.replay = run_id, cut, region_code, actor, replay

    @staticmethod
    def head(kind: FindingKind) -> list[Any]:
        return [literal(kind.value, String)]

    @staticmethod
    def case_tail() -> list[Any]:
        """The columns after the reason of a finding about a case: region, patient, household (none), case,
        amount (none), subject id (the case), rule (none)."""
        case_id = col(Case.id)
        return [col(Case.region_code), col(Case.patient_id), null(), case_id, null(), case_id, literal("", String)]

    def cases(self, lo: int, hi: int) -> list[Any]:
        where: list[Any] = [col(Case.id).between(lo, hi)]
        if self.region_code:
            where.append(col(Case.region_code) == self.region_code)
        return where


def _subject(prefix: str, id_col: Any) -> Any:
    return literal(prefix, String) + cast(id_col, String)


def _on(d: date) -> Any:
    return literal(d, Date)


def case_dates(session: Session, sc: Scope, where: list[Any], case_range: tuple[int, int] | None = None) -> Any:
    """Per case matching ``where`` (within ``case_range`` when given), kept in the temporary table
    ``nightly_dates`` for the chunk's checks: the business dates its state is judged by. ``since`` is the date
    the current state began (None when unknown); ``contact`` the last follow-up, admission or discharge (a stay
    or an outpatient session counts as a contact) on or before the night."""
    night = _on(sc.cut.night)
    ids: Any = select(col(Case.id)).where(*where)

    def of_chunk(case_id: Any) -> Any:
        return case_id.between(*case_range) if case_range else case_id.in_(ids)

    no_date = cast(null(), Date)
    te, fu, rf = TreatmentEpisode, FollowUp, Referral
    adm, dis = col(te.admitted_on), col(te.discharged_on)
    parts = union_all(  # per row: (case, admitted, discharged, referred, contact on or before the night)
        select(
            col(fu.case_id).label("cid"),
            no_date.label("admitted"),
            no_date.label("discharged"),
            no_date.label("referred"),
            col(fu.followed_on).label("contact"),
        ).where(of_chunk(col(fu.case_id)), col(fu.followed_on) <= night),
        select(  # a stay's latest contact: the later of its admission and discharge on or before the night
            col(te.case_id),
            col(te.admitted_on),
            col(te.discharged_on),
            no_date,
            case(
                (and_(dis <= night, or_(adm > night, dis >= adm)), dis),
                (adm <= night, adm),
                else_=no_date,
            ),
        ).where(of_chunk(col(te.case_id))),
        select(col(rf.case_id), no_date, no_date, col(rf.referred_on), no_date).where(of_chunk(col(rf.case_id))),
    ).subquery()
    t = fill_touch(
        session,
        select(parts.c.cid, func.max(parts.c.admitted), func.max(parts.c.discharged), func.max(parts.c.referred),
               func.max(parts.c.contact))
        .group_by(parts.c.cid),
    )  # fmt: skip
    state = col(Case.state)
    confirmed = col(Condition.confirmed_on)
    since = state_start(state, col(Screening.screened_on), confirmed, t.c.referred, t.c.admitted, t.c.discharged)
    rows = (
        select(col(Case.id).label("case_id"), confirmed.label("confirmed"), since.label("since"),
               t.c.contact.label("contact"), state.label("state"), col(Case.category).label("category"),
               col(Case.disease_code).label("disease_code"))
        .select_from(Case)
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .outerjoin(Screening, col(Screening.id) == col(Condition.screening_id))
        .outerjoin(t, t.c.case_id == col(Case.id))
        .where(*where)
    )  # fmt: skip
    filled = fill_dates(session, rows)
    rewind_dates(session, sc.cut.night)
    return filled


def _about_cases(sc: Scope, dates: Any, kind: FindingKind, reason: Any, lo: int, hi: int) -> Select[Any]:
    return (
        select(*sc.head(kind), _subject("case:", col(Case.id)), reason, *sc.case_tail())
        .select_from(Case)
        .join(dates, dates.c.case_id == col(Case.id))
        .where(*sc.cases(lo, hi))
    )


def overdue_follow_ups(session: Session, sc: Scope, lo: int, hi: int, dates: Any) -> int:
    """Maintenance / long-term cases whose last contact (follow-up, stay or session; if none, entering the
    state) is older than the disease's follow-up interval on the night."""
    due = sc.cut.follow_up_before
    if not due:
        return 0
    due_date = case(*[(dates.c.disease_code == code, _on(d)) for code, d in due.items()])
    reason = literal("follow-up interval exceeded", String)
    rows = _about_cases(sc, dates, FindingKind.OVERDUE_FOLLOW_UP, reason, lo, hi).where(
        dates.c.state.in_([s.value for s in FOLLOWED_STATES]),
        dates.c.disease_code.in_(list(due)),
        dates.c.since <= _on(sc.cut.night),
        func.coalesce(dates.c.contact, dates.c.since) < due_date,
    )
    return insert_found(session, rows)


def expiring_contracts(session: Session, sc: Scope, lo: int, hi: int) -> int:
    """Patients [lo, hi] under long-term management without a family-doctor contract signed by the night, or whose
    latest such contract expires within the warning window (签约 target 100%)."""
    by_patient: list[Any] = [  # coalesce: keeps SQLite on the patient index, not the state index
        col(Case.patient_id).between(lo, hi),
        func.coalesce(col(Case.category), "") == Category.LONG_TERM.value,
    ]
    if sc.region_code:
        by_patient.append(col(Case.region_code) == sc.region_code)
    # The state began at the case's last discharge, or at confirmation if never admitted: ``case_dates``'s
    # ``since`` of an outcome state, computed here for these few cases alone, not the whole set of dates.
    last_discharge = (
        select(func.max(col(TreatmentEpisode.discharged_on)))
        .where(col(TreatmentEpisode.case_id) == col(Case.id))
        .scalar_subquery()
    )
    managed_now = and_(
        func.coalesce(col(Case.state), "") == CaseState.UNDER_MANAGEMENT.value,
        func.coalesce(last_discharge, col(Condition.confirmed_on)) <= _on(sc.cut.night),
    )
    managed_then = and_(  # moved on since the night: the state it had then (``tasks/nightly/rewind.py``)
        col(Case.state_changed_at) >= moved_since(sc.cut.night),
        state_on(col(Case.id), sc.cut.night) == CaseState.UNDER_MANAGEMENT.value,
    )
    managed = (
        select(col(Case.patient_id), col(Case.region_code))
        .join(Condition, col(Condition.id) == col(Case.condition_id))
        .where(*by_patient, or_(managed_now, managed_then))
        .distinct()
        .subquery()
    )
    latest = (
        select(col(FamilyDoctorContract.patient_id), func.max(col(FamilyDoctorContract.expires_on)).label("exp"))
        .where(
            col(FamilyDoctorContract.patient_id).between(lo, hi),
            col(FamilyDoctorContract.signed_on) <= _on(sc.cut.night),
            ~ended_by(_on(sc.cut.night)),
        )
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
            managed.c.region_code, managed.c.patient_id, null(), null(), null(), managed.c.patient_id,
            literal("", String),
        )
        .select_from(managed)
        .outerjoin(latest, latest.c.patient_id == managed.c.patient_id)
        .where(or_(latest.c.exp.is_(None), latest.c.exp <= _on(sc.cut.contract_expires_before)))
    )  # fmt: skip
    return insert_found(session, rows)


def untreated_and_stuck(session: Session, sc: Scope, lo: int, hi: int, dates: Any) -> int:
    """Special-disease cases not treated N days after confirmation (the ledger's "not yet treated"), and
    cases in any other state longer than that state's limit, counted from the state's business date."""
    reason = (  # the state on the night; its reason (no_capacity, …) is known only while it is the state now
        literal("not treated after triage; waiting in ", String)
        + dates.c.state
        + literal(" ", String)
        + case((dates.c.state == col(Case.state), func.coalesce(col(Case.state_reason), "")), else_=literal(""))
    )
    untreated = _about_cases(sc, dates, FindingKind.UNTREATED, reason, lo, hi).where(
        dates.c.state.in_([CaseState.TRIAGED.value, CaseState.REFERRED.value]),
        dates.c.category.is_not(None),
        dates.c.since <= _on(sc.cut.night),
        dates.c.confirmed < _on(sc.cut.untreated_before),
    )
    n = insert_found(session, untreated)
    limits = sc.cut.stuck_before
    if not limits:
        return n
    limit = case(*[(dates.c.state == s.value, _on(d)) for s, d in limits.items()])
    reason = literal("too long in state ", String) + dates.c.state
    stuck = _about_cases(sc, dates, FindingKind.STUCK, reason, lo, hi).where(
        dates.c.state.in_([s.value for s in limits]), dates.c.since < limit
    )
    return n + insert_found(session, stuck)


def status_mismatches(session: Session, sc: Scope, lo: int, hi: int) -> int:
    """四个一致: the patient's poverty status disagrees with the latest external list dated by the night."""
    latest = (
        select(col(ExternalStatus.patient_id), func.max(col(ExternalStatus.list_date)).label("d"))
        .where(
            col(ExternalStatus.patient_id).between(lo, hi),
            col(ExternalStatus.list_date) <= _on(sc.cut.night),
            col(ExternalStatus.poverty_status).is_not(None),
        )
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
            col(Patient.region_code), col(Patient.id), col(Patient.household_id), null(), null(), col(Patient.id),
            literal("", String),
        )
        .select_from(Patient)
        .join(latest, latest.c.patient_id == col(Patient.id))
        .join(
            ExternalStatus,
            and_(col(ExternalStatus.patient_id) == col(Patient.id), col(ExternalStatus.list_date) == latest.c.d),
        )
        .where(*where)
    )  # fmt: skip
    return insert_found(session, rows)
