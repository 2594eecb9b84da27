"""The waiting list moves when capacity frees: refer the waiting (green channel first, then the longest wait)
into the room there is now — set-based, one unit of work for the whole list, under the capacity lock."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session

from config.catalogue import load_hospitals
from models.schemas import StepResult
from tasks.infra.db import session_scope
from tasks.infra.retry import RETRY_ON_CONFLICT
from tasks.pathway.capacity import could_place, lock_capacity, pool_load, waiting_list
from tasks.pathway.referral import refer_many


def refer_waiting(
    session: Session, on: date, actor: str, region_code: str | None = None, hospital_code: str | None = None
) -> tuple[list[int], dict[str, int]]:
    """Refer every waiting case (of ``region_code``) some hospital (``hospital_code``, the one that freed a
    bed) has room for now, in waiting-list order; the others keep waiting. Returns (referred ids, held)."""
    lock_capacity(session)  # before the list and the load are read: two refills cannot fill one bed twice
    hospitals = [h for h in load_hospitals() if hospital_code in (None, h.code)]
    waiting = waiting_list(session, region_code, lock=True)
    ids = could_place(waiting, hospitals, pool_load(session, on))
    if not ids:
        return [], {}
    urgent = {w.case_id for w in waiting if w.green_channel}
    return refer_many(session, ids, on, actor, urgent=urgent)


@task(task_run_name="refer-waiting-{on}", cache_policy=NO_CACHE, **RETRY_ON_CONFLICT)
def refer_waiting_list(on: date, actor: str, region_code: str | None = None) -> StepResult:
    """The nightly (and demo) refill: every waiting case capacity allows now."""
    with session_scope() as s:
        waiting = len(waiting_list(s, region_code))
        moved, held = refer_waiting(s, on, actor, region_code)
    return StepResult(step="refer-waiting", considered=waiting, moved=len(moved), held=held)
