"""Thresholds of the nightly dynamic adjustment, validated from ``config/data/nightly.yaml``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from config.catalogue import data_directory, load_config_file
from models.alarm_rules import AlarmRuleBook
from models.nightly import NightlyRules


@lru_cache(maxsize=4)
def load_nightly_rules(data_dir: Path | None = None) -> NightlyRules:
    rules: NightlyRules = load_config_file(data_directory(data_dir) / "nightly.yaml", NightlyRules)
    return rules


@lru_cache(maxsize=4)
def load_alarm_rules(data_dir: Path | None = None) -> AlarmRuleBook:
    """Regional return-to-poverty alarm rule sets (``config/data/alarm_rules.yaml``)."""
    book: AlarmRuleBook = load_config_file(data_directory(data_dir) / "alarm_rules.yaml", AlarmRuleBook)
    return book
