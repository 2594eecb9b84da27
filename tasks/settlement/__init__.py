"""Persisted one-stop settlement of discharged cases (the rule itself: models/settlement/)."""
