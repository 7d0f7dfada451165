"""Signals integrations sends to the apps above it (which it never imports)."""
from django.dispatch import Signal

# Sent with `workspace_id` after a workspace became Active.
workspace_linked = Signal()
