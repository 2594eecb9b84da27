"""Sync designated hospitals from config into the database (config is the source of truth)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session, col

from config.catalogue import load_hospitals
from models.care import Hospital, HospitalDisease


def sync_hospitals(session: Session) -> int:
    existing = {h.code: h for h in session.execute(select(Hospital)).scalars()}
    for cfg in load_hospitals():
        row = existing.get(cfg.code) or Hospital(
            code=cfg.code, name=cfg.name, level=cfg.level, region_code=cfg.region, capacity=cfg.capacity
        )
        row.name, row.level, row.region_code = cfg.name, cfg.level, cfg.region
        row.capacity, row.green_channel = cfg.capacity, cfg.green_channel
        session.add(row)
        session.flush()
        session.execute(delete(HospitalDisease).where(col(HospitalDisease.hospital_id) == row.id))
        session.add_all(HospitalDisease(hospital_id=row.id or 0, disease_code=d) for d in cfg.diseases)
    return len(load_hospitals())
