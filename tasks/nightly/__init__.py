"""The nightly dynamic adjustment: the run and its chunks, set-based checks, snapshot and summary."""
