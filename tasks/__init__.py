"""I/O steps, by concern: infra/, pathway/, settlement/, nightly/, reports/, ops/. Importing them configures
nothing: logging is set up at the entry points (the CLI callback, every flow's ``run_context``, a standby process,
the tests' conftest)."""
