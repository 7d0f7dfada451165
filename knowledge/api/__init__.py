"""The JSON API for agents (/api/v1/…), authenticated by personal API tokens: base.py (what every
endpoint shares), endpoints.py, openapi.py (the description served at /api/v1/openapi.json)."""
