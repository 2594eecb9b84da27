"""A referral's status after it was made: accepted, declined (and re-referred), completed on admission,
cancelled when superseded. Each change appends a ``referral_event`` row (who, when, why) in the same unit of
work as the status column it moves; the status column is only the latest row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.care import Referral
from models.common import utcnow
from models.enums import ReferralStatus
from models.referral_history import OPEN_REFERRAL
from tasks.infra.bulkwrite import append_rows, id_in

#: (referral id, status it is leaving)
Moving = Sequence[tuple[int, ReferralStatus]]


def open_referrals(session: Session, case_ids: Sequence[int]) -> list[tuple[int, ReferralStatus]]:
    """The cases' referrals still pending or accepted."""
    out: list[tuple[int, ReferralStatus]] = []
    for start in range(0, len(case_ids), 30_000):
        part = case_ids[start : start + 30_000]
        stmt = select(col(Referral.id), col(Referral.status)).where(
            id_in(session, col(Referral.case_id), part), col(Referral.status).in_(OPEN_REFERRAL)
        )
        out.extend((rid, ReferralStatus(status)) for rid, status in session.execute(stmt).tuples())
    return out


def change_status(
    session: Session, moving: Moving, to: ReferralStatus, actor: str, on: date | None, reason: str | None = None
) -> list[int]:
    """Move each listed referral still in the status it is leaving to ``to``; one history row per move."""
    moved: list[int] = []
    for status in {s for _, s in moving}:
        ids = [rid for rid, s in moving if s == status]
        for start in range(0, len(ids), 30_000):
            stmt = (
                update(Referral)
                .where(id_in(session, col(Referral.id), ids[start : start + 30_000]), col(Referral.status) == status)
                .values(status=to)
                .returning(col(Referral.id))
            )
            done = list(session.execute(stmt).scalars())
            now = utcnow()
            append_rows(
                session,
                "referral_event",
                ("referral_id", "from_status", "to_status", "reason", "actor", "occurred_on", "at"),
                ((rid, status, to, reason, actor, on, now) for rid in done),
            )
            moved.extend(done)
    return moved


def complete_on_admission(session: Session, case_ids: Sequence[int], admitted_on: date, actor: str) -> dict[int, int]:
    """Admission completes the cases' open referrals (pending or accepted → admitted, reason ``admitted``);
    returns case id → the referral it completed (the newest open one) for the stay to link."""
    rows: list[tuple[int, int, str]] = []
    for start in range(0, len(case_ids), 30_000):
        part = case_ids[start : start + 30_000]
        stmt = select(col(Referral.case_id), col(Referral.id), col(Referral.status)).where(
            id_in(session, col(Referral.case_id), part), col(Referral.status).in_(OPEN_REFERRAL)
        )
        rows.extend(session.execute(stmt).tuples())
    change_status(
        session,
        [(rid, ReferralStatus(s)) for _, rid, s in rows],
        ReferralStatus.ADMITTED,
        actor,
        admitted_on,
        "admitted",
    )
    latest: dict[int, int] = {}
    for cid, rid, _ in rows:
        latest[cid] = max(rid, latest.get(cid, 0))
    return latest


def case_referrals(session: Session, case_id: int) -> list[dict[str, object]]:
    """A case's referrals, oldest first, each with its history (internal ids and codes only)."""
    from models.care import Hospital
    from models.referral_history import ReferralEvent

    codes = dict(session.execute(select(col(Hospital.id), col(Hospital.code))).tuples().all())
    out: list[dict[str, object]] = []
    stmt = select(Referral).where(col(Referral.case_id) == case_id).order_by(col(Referral.id))
    for r in session.execute(stmt).scalars():
        events = select(ReferralEvent).where(col(ReferralEvent.referral_id) == r.id).order_by(col(ReferralEvent.id))
        out.append(
            {
                "referral_id": r.id,
                "hospital": codes.get(r.hospital_id),
                "status": r.status,
                "direction": r.direction,
                "green_channel": r.green_channel,
                "referred_on": r.referred_on.isoformat(),
                "actor": r.actor,
                "history": [
                    {"from": e.from_status, "to": e.to_status, "reason": e.reason, "actor": e.actor,
                     "on": e.occurred_on.isoformat() if e.occurred_on else None}
                    for e in session.execute(events).scalars()
                ],
            }
        )  # fmt: skip
    return out
