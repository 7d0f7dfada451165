"""Keeping the sandbox's Bitbucket across restarts (`--state FILE`): tokens, hooks and commits.

A demo restarted without it would find Strata holding tokens the sandbox never issued (so
Integrations asks to Reconnect) and hooks it no longer has (so pushes stop arriving). The file is
written when the sandbox stops and read when it starts, only if it was made from the same seed;
anything else (a missing, damaged or foreign file) starts afresh from the seed, saying why. Logs,
faults and the rate limit are not kept: they belong to one run.
"""
from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from sandbox.state import State

KEPT = ("consumers", "users", "workspaces", "repositories", "codes", "access_tokens", "refresh_tokens")
FORMAT = 1


def _seed_digest(state: State) -> str:
    return hashlib.sha256(state.seed_path.read_bytes()).hexdigest() if state.seed_path else ""


def state_save(state: State, path: Path) -> None:
    """Write what a restart must keep, atomically (a crash mid-write leaves the old file)."""
    with state.lock:
        data = pickle.dumps({"format": FORMAT, "seed": _seed_digest(state), "kept": {k: getattr(state, k) for k in KEPT}},
                            protocol=pickle.HIGHEST_PROTOCOL)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def state_load(state: State, path: Path) -> str:
    """Take the kept state from `path` if it fits this seed; says what happened, in words.

    The file is our own, written by `state_save` on this machine (pickle is not for files from
    elsewhere)."""
    if not path.exists():
        return f"no saved state at {path}: starting from the seed"
    try:
        saved = pickle.loads(path.read_bytes())
        if not isinstance(saved, dict) or saved.get("format") != FORMAT or set(saved.get("kept", {})) != set(KEPT):
            raise ValueError("not a sandbox state file of this version")
    except Exception as problem:  # a damaged file must never keep the sandbox from starting
        return f"ignored {path} ({problem}): starting from the seed"
    if saved["seed"] != _seed_digest(state):
        return f"ignored {path}: it was saved from another seed; starting from the seed"
    with state.lock:
        for key, value in saved["kept"].items():
            setattr(state, key, value)
    return f"restored tokens, hooks and commits from {path}"
