"""`--state FILE`: a restarted sandbox (a restarted demo) keeps its tokens, hooks and commits."""
from __future__ import annotations

import json

from tests.fixtures.sandbox import SEED, start_sandbox


def test_a_restart_keeps_commits_and_a_foreign_or_damaged_file_is_ignored(tmp_path):
    state = tmp_path / "state.pickle"
    first = start_sandbox(args=["--state", str(state)])
    try:
        made = first.control("POST", "/_sandbox/repositories/acme/api/commits",
                             json={"branch": "main", "files": {"KEPT.md": "kept"}, "message": "Keep me"}).json()
    finally:
        first.stop()
    assert state.exists()

    second = start_sandbox(args=["--state", str(state)])
    try:
        kept = second.http.get(f"{second.url}/2.0/repositories/acme/api/src/{made['hash']}/KEPT.md",
                               auth=("alice@example.com", _token(second)), timeout=10)
        assert kept.status_code == 200 and kept.text == "kept"
    finally:
        second.stop()

    other_seed = tmp_path / "other.json"
    other_seed.write_text(SEED.read_text() + "\n")  # the same data, but another seed file's bytes
    third = start_sandbox(seed=other_seed, args=["--state", str(state)])
    try:
        assert "saved from another seed" in third.log_path.read_text()
    finally:
        third.stop()

    state.write_bytes(b"not a pickle")
    fourth = start_sandbox(args=["--state", str(state)])
    try:
        assert "starting from the seed" in fourth.log_path.read_text()
    finally:
        fourth.stop()


def _token(sandbox) -> str:
    seed = json.loads(sandbox.seed_path.read_text())
    alice = next(u for u in seed["users"] if u["nickname"] == "alice")
    return alice["api_tokens"][0]["token"]
