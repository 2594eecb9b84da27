"""structlog, configured once, and the identity mask on every log sink of the process.

- structlog: a processor masks identity in every value — by key (``name``, ``patient_name``,
  ``national_id``, ... at any depth of nested dicts and lists), ID-shaped numbers anywhere in text, and
  the rendered exception (tracebacks are formatted to text *before* the mask runs).
- stdlib ``logging`` (Prefect's loggers, whose ``api`` handler ships records to the Prefect server):
  ``IdentityFilter`` masks the message, its arguments and the traceback. It is put on the handlers present
  at configuration time and, because Prefect (re)builds its handlers when a run starts, the same masking
  runs in the log-record factory, so a handler created later still receives masked records.
- Prefect run logs: inside a flow or task run, every structlog line also goes to Prefect's API log handler
  (``RunLogger``), so it shows in that run's logs in the UI; outside a run it is only printed — on stderr, so a
  command's result on stdout (JSON) pipes cleanly into ``jq`` or a file.
- Context: ``structlog.contextvars`` (``merge_contextvars``): flows bind the run, case and actor
  (``flows/context.py``), every line inside carries them.
- ``quiet_console``: a filter on the console handlers only (the CLI drops Prefect's failure tracebacks of a
  domain error there; the run log shipped to the server keeps them).

Masking is defence in depth: identity is never passed to a logger on purpose.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, MutableMapping
from typing import Any

import structlog

from models.identity import mask_text, mask_value

_configured = False
_factory_installed = False
_formatter = logging.Formatter()
_console_filters: list[logging.Filter] = []


def mask_identity(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: mask identity in every value (by key, nested, and in text)."""
    for key, value in list(event_dict.items()):
        event_dict[key] = mask_value(value, key)
    return event_dict


class IdentityFilter(logging.Filter):
    """Masks a stdlib log record in place (message with its arguments, traceback text); never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_identity_masked", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is logging's problem to report, not ours
        message = str(record.msg)
    masked = mask_text(message)
    if masked != message or record.args:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = _formatter.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    record._identity_masked = True
    return record


def install_stdlib_masking() -> None:
    """IdentityFilter on the root and ``prefect*`` handlers present now, and masking in the log-record
    factory, so records reach handlers created later (Prefect rebuilds its own) already masked."""
    global _factory_installed
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in list(logging.root.manager.loggerDict))]
    for lg in loggers:
        if lg.name == "root" or lg.name.startswith("prefect"):
            for handler in lg.handlers:
                if not any(isinstance(f, IdentityFilter) for f in handler.filters):
                    handler.addFilter(IdentityFilter())
    if _factory_installed:
        return
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        if _console_filters:
            _attach_console_filters()  # before any handler sees the record, also one Prefect created just now
        return mask_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(masked_record)
    _factory_installed = True


def quiet_console(console_filter: logging.Filter) -> None:
    """Put ``console_filter`` on the console (root stream) handlers, now and on any created later (Prefect
    creates its console handler when it is first imported). Other handlers — Prefect's API handler that ships
    run logs to the server, files — are untouched."""
    if console_filter not in _console_filters:
        _console_filters.append(console_filter)
    install_stdlib_masking()
    _attach_console_filters()


def _attach_console_filters() -> None:
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            for f in _console_filters:
                if f not in handler.filters:
                    handler.addFilter(f)


RUN_LOGGER = "dabing.run"  # stdlib logger holding only Prefect's API handler: structlog lines → the run's logs


def _in_prefect_run() -> bool:
    """Whether this thread runs a Prefect flow or task (never imports Prefect: none is loaded, no run)."""
    context = sys.modules.get("prefect.context")
    if context is None:
        return False
    return context.FlowRunContext.get() is not None or context.TaskRunContext.get() is not None


def _run_log() -> logging.Logger:
    logger = logging.getLogger(RUN_LOGGER)
    if not logger.handlers:
        from prefect.logging.handlers import APILogHandler

        logger.addHandler(APILogHandler())
        logger.propagate = False  # printed already by structlog: not twice on the console
        logger.setLevel(logging.DEBUG)
    return logger


class RunLogger(structlog.PrintLogger):
    """Prints the rendered line on stderr (stdout is a command's result) and, inside a Prefect run, sends it to
    the run's logs."""

    def _emit(self, level: int, message: str) -> None:
        with self._lock:  # PrintLogger's lock of stderr; the stream written is the one of the moment (a capture)
            sys.stderr.write(message + "\n")
            sys.stderr.flush()
        if _in_prefect_run():
            _run_log().log(level, message)

    def debug(self, message: str) -> None:
        self._emit(logging.DEBUG, message)

    def msg(self, message: str) -> None:
        self._emit(logging.INFO, message)

    def warning(self, message: str) -> None:
        self._emit(logging.WARNING, message)

    def error(self, message: str) -> None:
        self._emit(logging.ERROR, message)

    def critical(self, message: str) -> None:
        self._emit(logging.CRITICAL, message)

    info = log = msg
    warn = warning
    err = exception = error
    fatal = failure = critical


def configure_logging(level: str = "INFO", json: bool = False) -> None:
    global _configured
    if _configured:
        return
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,  # traceback → text, so the mask sees it
            mask_identity,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=lambda *_args: RunLogger(sys.stderr),  # the file is only its pickling name: _emit writes
        cache_logger_on_first_use=True,
    )
    install_stdlib_masking()
    _configured = True


def ensure_configured() -> None:
    """Configure from the settings unless already done (every entry point: CLI, served runs, tests)."""
    if not _configured:
        from config.settings import get_settings

        settings = get_settings()
        configure_logging(settings.log_level, settings.log_json)


def get_logger(name: str) -> Any:
    """The one way to get a logger (structlog). Configured at the entry points, not here: the CLI's callback,
    every flow's ``run_context`` (flows/context.py), a standby process, the tests' conftest."""
    return structlog.get_logger(name)
