"""Alembic migrations of the app database (``tasks.migrate`` runs them; ``alembic.ini`` for engineers)."""
