"""Signals integrations sends to the apps above it (which it never imports)."""
from django.dispatch import Signal

# Sent with `workspace_id` after a workspace became Active.
workspace_linked = Signal()

# Sent with `connection_id` once a connection Bitbucket had refused works again (Reconnect).
connection_restored = Signal()
