"""A local stand-in for Bitbucket Cloud (web host, REST 2.0 API, webhooks) for tests and demos.

Run it with `python -m sandbox --port 8001 --seed FILE`; see sandbox/README.md. It imports nothing
from the product: the product reaches it only over HTTP.
"""
