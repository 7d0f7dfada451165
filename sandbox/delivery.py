"""Webhook delivery: POST each event to the subscribed hooks in the background, signed, with retries.

Like Bitbucket: headers X-Event-Key, X-Hook-UUID, X-Request-UUID (the same on every retry),
X-Attempt-Number and User-Agent Bitbucket-Webhooks/2.0; X-Hub-Signature when the hook has a
secret; a time-out (10 s unless SANDBOX_WEBHOOK_TIMEOUT says otherwise); up to two retries after
a 5xx, a time-out or a refused connection, none after a 4xx; payloads over 256 KB are dropped.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from sandbox import payloads
from sandbox.model import iso, utcnow
from sandbox.operations import Event
from sandbox.state import State

ATTEMPTS = 3
MAX_PAYLOAD = 256 * 1024


def signature(body: bytes, secret: str) -> str:
    """The X-Hub-Signature header: HMAC-SHA256 of the exact raw body, keyed with the hook secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class _Job:
    hook_uuid: str
    url: str
    secret: str | None
    event: str
    body: bytes
    generation: int


class Delivery:
    def __init__(self, state: State):
        self.state = state
        self.timeout = float(os.environ.get("SANDBOX_WEBHOOK_TIMEOUT", "10"))
        self.backoff = float(os.environ.get("SANDBOX_WEBHOOK_BACKOFF", "1"))

    def fire(self, events: list[Event], base: str) -> None:
        """Queue deliveries for `events` (the caller holds the state lock; sending happens later)."""
        for event in events:
            repo = event.repository
            hooks = [h for h in (*repo.hooks.values(), *repo.workspace.hooks.values())
                     if h.active and event.key in h.events]
            if not hooks:
                continue
            body = json.dumps(payloads.build(event, base)).encode("utf-8")
            for hook in hooks:
                job = _Job(hook.uuid, hook.url, hook.secret, event.key, body, self.state.generation)
                threading.Thread(target=self._deliver, args=(job,), daemon=True,
                                 name=f"webhook {event.key}").start()

    def _deliver(self, job: _Job) -> None:
        request_uuid = str(uuid.uuid4())
        for attempt in range(1, ATTEMPTS + 1):
            entry = {"hook_uuid": job.hook_uuid, "event": job.event, "request_uuid": request_uuid,
                     "attempt": attempt, "url": job.url, "signed": job.secret is not None,
                     "bytes": len(job.body), "status": None, "error": None, "at": iso(utcnow())}
            if len(job.body) > MAX_PAYLOAD:
                entry["error"] = "payload over 256 KB: dropped"
                self.state.log_delivery(job.generation, entry)
                return
            entry["status"], entry["error"] = self._post(job, request_uuid, attempt)
            self.state.log_delivery(job.generation, entry)
            retry = entry["error"] is not None or entry["status"] >= 500
            if not retry or attempt == ATTEMPTS or job.generation != self.state.generation:
                return
            time.sleep(self.backoff * attempt)

    def _post(self, job: _Job, request_uuid: str, attempt: int) -> tuple[int | None, str | None]:
        """One attempt: (status, None) or (None, why it failed). http.client rather than urllib:
        it keeps the header names' case (X-Request-UUID), uses no proxy and follows no redirect."""
        headers = {"Content-Type": "application/json", "User-Agent": "Bitbucket-Webhooks/2.0",
                   "X-Event-Key": job.event, "X-Hook-UUID": job.hook_uuid.strip("{}"),
                   "X-Request-UUID": request_uuid, "X-Attempt-Number": str(attempt)}
        if job.secret:
            headers["X-Hub-Signature"] = signature(job.body, job.secret)
        target = urlsplit(job.url)
        kind = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
        path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        try:
            connection = kind(target.hostname, target.port, timeout=self.timeout)
            try:
                connection.request("POST", path, body=job.body, headers=headers)
                response = connection.getresponse()
                response.read(65536)
                return response.status, None
            finally:
                connection.close()
        except (OSError, http.client.HTTPException, ValueError) as problem:
            return None, f"{type(problem).__name__}: {problem}"
