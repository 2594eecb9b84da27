"""Alembic migrations of the app database (``tasks.infra.migrate`` runs them; ``alembic.ini`` for engineers)."""
