"""Signals the knowledge app sends to the apps above it (which it never imports)."""
from django.dispatch import Signal

# Sent with `repository_id` when a repository gets its knowledge layer.
layer_created = Signal()
