"""Identity is masked in every log sink of the process: structlog values (nested, by key), rendered
tracebacks, stdlib records (Prefect's loggers, handlers added before or after the set-up), and the
development-key warning is logged."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import date

import pytest
import structlog
from structlog.testing import capture_logs

from config.logging import IdentityFilter, ensure_configured
from models import national_id

NID = national_id.make("530427", date(1961, 5, 4), 17)
NAME = "李四光"


@pytest.fixture()
def structlog_output() -> Iterator[io.StringIO]:
    """A logger with the configured processor chain (renderer included), writing into a buffer."""
    ensure_configured()
    buf = io.StringIO()
    yield buf


def _logger(buf: io.StringIO) -> object:
    return structlog.wrap_logger(structlog.PrintLogger(buf), processors=structlog.get_config()["processors"])


def test_structlog_masks_values_by_key_nested_and_in_text(structlog_output: io.StringIO) -> None:
    log = _logger(structlog_output)
    log.info(  # type: ignore[attr-defined]
        "intake.row",
        name=NAME,
        patient={"patient_name": NAME, "ids": [NID]},
        note=f"re-screened {NID}",
        patient_id=7,
    )
    out = structlog_output.getvalue()
    assert NID not in out and NAME not in out
    assert "patient_id=7" in out and "[name]" in out and "[national-id]" in out


def test_structlog_masks_exceptions_and_their_tracebacks(structlog_output: io.StringIO) -> None:
    log = _logger(structlog_output)
    try:
        raise ValueError(f"person {NID} name={NAME} not found")
    except ValueError:
        log.exception("lookup.failed", case_id=3)  # type: ignore[attr-defined]
    out = structlog_output.getvalue()
    assert "Traceback" in out and "ValueError" in out and "case_id=3" in out
    assert NID not in out and NAME not in out


@pytest.mark.parametrize("when", ["handler added before set-up", "handler added after set-up (Prefect rebuilds)"])
def test_stdlib_records_are_masked_for_every_handler(when: str) -> None:
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("prefect.dabing.test-identity")  # like Prefect's own loggers
    logger.setLevel(logging.INFO)
    if when.startswith("handler added before"):
        logger.addHandler(handler)
        ensure_configured()
    else:
        ensure_configured()
        logger.addHandler(handler)
    try:
        logger.info("settling patient %s (%s)", NID, {"name": NAME})
        try:
            raise RuntimeError(f"bad row national_id={NID}")
        except RuntimeError:
            logger.exception("import failed")
    finally:
        logger.removeHandler(handler)
    out = buf.getvalue()
    assert "settling patient" in out and "RuntimeError" in out and "Traceback" in out
    assert NID not in out and NAME not in out


def test_identity_filter_masks_a_record_in_place() -> None:
    record = logging.LogRecord("prefect", logging.INFO, __file__, 1, "id %s name=%s", (NID, NAME), None)
    assert IdentityFilter().filter(record) is True  # masks, never drops
    assert record.getMessage() == "id [national-id] name=[name]"


def test_the_development_key_is_announced(monkeypatch: pytest.MonkeyPatch) -> None:
    from config import identity
    from config.settings import get_settings

    monkeypatch.delenv("DABING_IDENTITY_KEY", raising=False)
    get_settings.cache_clear()
    identity._keys_for.cache_clear()
    with capture_logs() as logs:
        dev = identity.identity_keys()
    assert [e["event"] for e in logs] == ["identity.dev_key_in_use"] and logs[0]["log_level"] == "warning"

    monkeypatch.setenv("DABING_IDENTITY_KEY", "a-real-secret-of-my-own-0123456789")
    get_settings.cache_clear()
    with capture_logs() as logs:
        own = identity.identity_keys()
    assert logs == [] and own.key_id != dev.key_id
    get_settings.cache_clear()
    identity._keys_for.cache_clear()
