"""The floor every other app stands on: shared helpers (and, later, organizations and members)."""
