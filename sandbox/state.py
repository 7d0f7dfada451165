"""The sandbox's whole state behind one lock: the Bitbucket model, tokens, logs, faults and rate limit."""
from __future__ import annotations

import collections
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.model import (
    AccessToken,
    AuthCode,
    Consumer,
    RefreshToken,
    Repository,
    User,
    Workspace,
)


@dataclass
class Fault:
    pattern: re.Pattern
    status: int | None
    times: int | None        # None: until cleared
    delay_s: float


@dataclass
class RateLimit:
    limit: int
    window_s: float
    seen: collections.deque = field(default_factory=collections.deque)


class State:
    """Everything mutable. Hold `lock` while reading or changing it; never while doing network I/O."""

    def __init__(self, seed_path: Path | None, callback_urls: dict[str, str] | None = None):
        self.seed_path = seed_path
        # Consumer key -> callback URL that replaces the seed's (kept across resets), so a demo
        # on other ports keeps a consumer whose callback URL is checked, as on Bitbucket.
        self.callback_urls = dict(callback_urls or {})
        self.lock = threading.RLock()
        # Bumped on reset, so deliveries still in flight from before a reset are not logged after it.
        self.generation = 0
        self.clear()

    def clear(self) -> None:
        self.consumers: dict[str, Consumer] = {}
        self.users: dict[str, User] = {}
        self.workspaces: dict[str, Workspace] = {}       # uuid -> workspace
        self.repositories: dict[str, Repository] = {}    # uuid -> repository
        self.codes: dict[str, AuthCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.requests: list[dict] = []
        self.deliveries: list[dict] = []
        self.sequence = itertools.count(1)
        self.faults: list[Fault] = []
        self.ratelimit: RateLimit | None = None
        self.generation += 1

    # Lookups accept a slug/nickname or a {uuid}, as Bitbucket does.

    def user(self, key: str) -> User | None:
        if key in self.users:
            return self.users[key]
        lowered = key.lower()
        return next((u for u in self.users.values()
                     if u.uuid.lower() == lowered or u.email.lower() == lowered), None)

    def workspace(self, key: str) -> Workspace | None:
        lowered = key.lower()
        return next((w for w in self.workspaces.values()
                     if w.slug == lowered or w.uuid.lower() == lowered), None)

    def repository(self, workspace: str, slug: str) -> Repository | None:
        found = self.workspace(workspace)
        if found is None:
            return None
        lowered = slug.lower()
        return next((r for r in self.repositories.values() if r.workspace is found
                     and (r.slug == lowered or r.uuid.lower() == lowered)), None)

    def repositories_of(self, workspace: Workspace) -> list[Repository]:
        return [r for r in self.repositories.values() if r.workspace is workspace]

    # Logs for the control API.

    def log_request(self, entry: dict) -> None:
        with self.lock:
            entry["seq"] = next(self.sequence)
            self.requests.append(entry)

    def log_delivery(self, generation: int, entry: dict) -> None:
        with self.lock:
            if generation != self.generation:
                return
            entry["seq"] = next(self.sequence)
            self.deliveries.append(entry)

    # Faults and the rate limit apply to API and web requests, not to /_sandbox/.

    def take_fault(self, raw_path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.pattern.search(raw_path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def over_rate_limit(self) -> bool:
        """Count one API request; True when it exceeds the switched-on rolling-window limit."""
        with self.lock:
            limit = self.ratelimit
            if limit is None:
                return False
            now = time.monotonic()
            while limit.seen and limit.seen[0] <= now - limit.window_s:
                limit.seen.popleft()
            if len(limit.seen) >= limit.limit:
                return True
            limit.seen.append(now)
            return False
