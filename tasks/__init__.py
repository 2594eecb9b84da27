"""I/O steps. Importing the package configures logging (identity masking included) in every process that
runs them: the CLI, `serve`'s flow-run subprocesses, workers and tests."""

from config.logging import ensure_configured

ensure_configured()
