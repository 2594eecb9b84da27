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
from models.identity import mask_text

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


#: (text, what the mask must leave of it): words after an identity key are a message, not a value
WORDS_STAY = [
    ("national_id: check digit does not match (GB 11643)", "national_id: check digit does not match (GB 11643)"),
    (
        "national_id: must be 17 digits followed by a digit or X",
        "national_id: must be 17 digits followed by a digit or X",
    ),
    ("line 3: national_id: must be 17 digits", "line 3: national_id: must be 17 digits"),
    ("name: must be 1 to 60 characters", "name: must be 1 to 60 characters"),
    ("id_number: is missing; nid: not given", "id_number: is missing; nid: not given"),
    ("patient_name: contains control characters", "patient_name: contains control characters"),
    ("sfzh: 17 digits then a check character", "sfzh: 17 digits then a check character"),
]
#: ... but a number after an ID key, and any value written key=value, quoted, capitalised or in Chinese after a
#: name key, is still masked
VALUES_GO = [
    (f"national_id: {NID} rejected", "national_id: [national-id] rejected"),
    (f"national_id={NID[:12]}", "national_id=[national-id]"),
    (f"'national_id': '{NID[:6]} {NID[6:14]} {NID[14:]}'", "'national_id': [national-id]"),
    (f"name={NAME} region=520527", "name=[name] region=520527"),
    (f"name: {NAME} registered", "name: [name] registered"),
    ("name: Zhang San", "name: [name] San"),
    ("{'name': 'zhang san'}", "{'name': [name]}"),
    ("name=check", "name=[name]"),
]


@pytest.mark.parametrize(("text", "expected"), WORDS_STAY + VALUES_GO)
def test_masking_keeps_words_and_masks_values(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(("text", "expected"), WORDS_STAY[:2] + VALUES_GO[:1])
def test_log_sinks_keep_the_words_of_a_message(text: str, expected: str, structlog_output: io.StringIO) -> None:
    _logger(structlog_output).warning("intake.rejected", error=text)  # type: ignore[attr-defined]
    assert f"error='{expected}'" in structlog_output.getvalue() or f"error={expected}" in structlog_output.getvalue()
    record = logging.LogRecord("prefect.task_runs", logging.ERROR, __file__, 1, "rejected: %s", (text,), None)
    IdentityFilter().filter(record)
    assert record.getMessage() == f"rejected: {expected}"
