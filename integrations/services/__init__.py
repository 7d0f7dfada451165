"""Writes of the integrations app: keyword-only functions named <entity>_<action>."""
