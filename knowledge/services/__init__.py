"""Writes of the knowledge app: keyword-only functions named <entity>_<action>."""
