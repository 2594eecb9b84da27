"""A helper process for a large screening import: it reads the file, checks every row, hashes and seals identity
(``tasks.pathway.intake_prepare``) and hands the chunks over, while the importing process stages the chunk before
(the SQL half): the Python half of a row's cost runs on a second core.

The helper is ``python -m tasks.pathway.intake_helper FD``: a plain interpreter importing only the checks, not the
importing program's own main module (the CLI, Prefect). It reads its request (file, day, chunk size, the key's
id, the database) pickled on its standard input and writes pickled messages to the pipe ``FD``: ``chunk`` (a
``Staged``), then ``done`` (rows seen), ``rejected`` (bad rows: line, field, message) or ``failed`` (masked
text). Once a row is bad the file is rejected, so no more chunks are sent; the rest is still checked, to list every
bad row. The pipe holds little: a helper a chunk ahead waits for the importer (memory stays flat). The importer ends
the helper however the import ends (``IntakeHelper.__exit__``); a helper whose importer is gone fails writing and
ends too. People stored already are looked up by the helper in the importer's database (a connection of its own,
reading only), so a re-import seals nothing, as in one process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NamedTuple

from models.identity import mask_text
from models.intake import ImportRejected, RowError
from tasks.pathway.intake_prepare import Staged

#: files from this size on are prepared by a helper process (a smaller one is a chunk or two: starting the helper
#: costs more than it saves)
HELPER_MIN_BYTES = 4 << 20
_ROOT = Path(__file__).resolve().parents[2]


class Request(NamedTuple):
    path: str
    today: date
    chunk: int
    key_id: str
    database: str  # the importer's database (URL): which people are stored already


class IntakeHelper:
    """The helper process of one import: ``chunks()`` yields its prepared chunks, then ``seen`` is the number of
    rows read; bad rows raise ImportRejected, as the import in one process does."""

    def __init__(self, path: Path, today: date, chunk: int, key_id: str, database: str) -> None:
        self._request = Request(str(path), today, chunk, key_id, database)
        self._proc: subprocess.Popen[bytes] | None = None
        self._pipe: IO[bytes] | None = None
        self.seen = 0

    def __enter__(self) -> IntakeHelper:
        read_fd, write_fd = os.pipe()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")]))}
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", __name__, str(write_fd)], stdin=subprocess.PIPE, pass_fds=(write_fd,), env=env
            )
        finally:
            os.close(write_fd)
        self._pipe = os.fdopen(read_fd, "rb")
        assert self._proc.stdin is not None
        with self._proc.stdin as stdin:
            pickle.dump(self._request, stdin)
        return self

    def chunks(self) -> Iterator[Staged]:
        assert self._pipe is not None
        while True:
            try:
                kind, payload = pickle.load(self._pipe)  # our own child's pipe
            except EOFError:
                raise RuntimeError("the import's helper process ended before the end of the file") from None
            if kind == "chunk":
                yield payload
            elif kind == "done":
                self.seen = payload
                return
            elif kind == "rejected":
                errors, total = payload
                raise ImportRejected([RowError(*e) for e in errors], total)
            else:
                raise RuntimeError(f"the import's helper process failed: {payload}")

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._pipe is not None:
            self._pipe.close()  # a helper still writing fails (broken pipe) and ends
        if self._proc is not None:
            if kind is not None and self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid


def _serve(request: Request, send: Any) -> None:
    """The helper's side: check, prepare and send the file's chunks, then how it ended. People stored already are
    looked up in the importer's database (its own connection, reading only): their identity is not sealed."""
    from sqlmodel import Session

    from config.catalogue import load_regions
    from config.policies import settlement_refusal
    from config.settings import get_settings
    from models.identity import derive_keys
    from models.intake import RowChecker, Rows
    from tasks.infra.db import get_engine
    from tasks.pathway.intake_prepare import chunks, staged
    from tasks.pathway.intake_read import records
    from tasks.pathway.stage import stored_hashes

    keys = derive_keys(get_settings().identity_key.get_secret_value())  # the importer checked it (guarded_keys)
    if keys.key_id != request.key_id:
        send(("failed", "the identity key differs from the importing process's"))
        return
    rows = Rows(RowChecker(load_regions().is_known, request.today, settlement_refusal))
    try:
        with Session(get_engine(request.database)) as session:
            for batch in chunks(rows.good(records(Path(request.path), rows)), request.chunk):
                if not rows.bad:  # once a row is bad nothing will be written: only check the rest
                    send(("chunk", staged(keys, batch, lambda hashes: stored_hashes(session, hashes))))
        rows.raise_if_bad(1)
    except ImportRejected as exc:
        send(("rejected", ([(e.line, e.field, e.message) for e in exc.errors], exc.total)))
        return
    send(("done", rows.seen))


def main(fd: int) -> int:
    request = pickle.load(sys.stdin.buffer)  # from the importing process
    out = os.fdopen(fd, "wb")

    def send(message: tuple[str, Any]) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        _serve(request, send)
    except BrokenPipeError:  # the importer is gone (it failed, or was stopped)
        return 1
    except Exception as exc:  # told to the importer in one masked line, no traceback (values may be identity)
        with contextlib.suppress(BrokenPipeError):
            send(("failed", mask_text(f"{type(exc).__name__}: {exc}")))
        return 1
    finally:
        with contextlib.suppress(BrokenPipeError):
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
