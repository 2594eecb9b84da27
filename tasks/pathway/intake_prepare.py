"""Preparing checked screening rows for the stage (``tasks.pathway.stage``), a chunk at a time: each row as its
stage tuple, identity replaced by its lookup hash, and the sealed identity of the first line of each person a
chunk names. No database here: what is stored already is asked through a callable, so the same preparation runs
in the import's process or in its helper process (``tasks.pathway.intake_helper``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from models.identity import IdentityKeys, Purpose, lookup_hash, nonces, seal
from models.intake import Checked


def chunks(rows: Iterable[Checked], size: int) -> Iterator[list[Checked]]:
    batch: list[Checked] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


#: one chunk ready for the stage: rows (``stage.COLUMNS``) and sealed identities (``stage.IDENTITY_COLUMNS``)
Staged = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def staged(keys: IdentityKeys, rows: Sequence[Checked], stored: Callable[[list[str]], set[str]]) -> Staged:
    """Stage tuples (``stage.COLUMNS``) with identity as its lookup hash, and the sealed identity
    (``stage.IDENTITY_COLUMNS``) of the first line of each person a chunk names who is not ``stored`` yet
    (sealing is the costly part; a re-import seals nothing). The first line of a person in the file is the first
    of their first chunk: the patient insert reads the sealed identity there."""
    hashes = {nid: lookup_hash(keys, nid) for nid in {r.national_id for r in rows}}
    known = stored(list(hashes.values()))
    draw = nonces(2 * sum(1 for digest in hashes.values() if digest not in known))
    seen: set[str] = set()
    out: list[tuple[Any, ...]] = []
    identities: list[tuple[Any, ...]] = []
    for r in rows:
        nid, digest = r.national_id, hashes[r.national_id]
        if nid not in seen:
            seen.add(nid)
            if digest not in known:
                identities.append((r.line, *sealed_identity(keys, nid, r.name, digest, draw)))
        out.append((r.line, r.household_ref, digest, r.region_code, r.poverty_status.value, r.sex,
                    r.born.isoformat(), r.screened_on.isoformat(), r.icd10, r.method))  # fmt: skip
    return out, identities


def sealed_identity(keys: IdentityKeys, nid: str, name: str, digest: str, draw: Iterator[bytes]) -> tuple[str, str]:
    """The sealed number and name, their nonces the next two of ``draw``."""
    return seal(keys, Purpose.NATIONAL_ID, nid, digest, next(draw)), seal(keys, Purpose.NAME, name, digest, next(draw))
