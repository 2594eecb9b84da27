"""structlog, configured once. Key-value events; national ID numbers are masked in every value."""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

import structlog

_ID_PATTERN = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_configured = False


def mask_identity(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace anything shaped like a national ID number with a mask (defence in depth)."""
    for key, value in event_dict.items():
        if isinstance(value, str) and _ID_PATTERN.search(value):
            event_dict[key] = _ID_PATTERN.sub("[national-id]", value)
    return event_dict


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
            mask_identity,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    _configured = True


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
