"""Shared bench plumbing: a throwaway database, a sandbox subprocess, JSON lines out."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def emit(bench: str, **metrics) -> None:
    print(json.dumps({"bench": bench, **metrics}), flush=True)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # A throwaway database needs no real secrets.
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gtb25seS1mZXJuZXQta2V5LTMyLWJ5dGVzLSE=")
    os.environ["Q_SYNC"] = "1"  # jobs run in-process so a bench measures the work, not polling
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@contextmanager
def throwaway_database():
    """A fresh database (test_<name>) for the run, dropped afterwards unless BENCH_KEEPDB=1."""
    from django.db import connection

    keep = os.environ.get("BENCH_KEEPDB") == "1"
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield name
    finally:
        if not keep:
            connection.creation.destroy_test_db(name, verbosity=0)


def settle() -> None:
    """Let the database finish what the previous bench left (dead rows, dirty pages) now, so
    autovacuum and a checkpoint do not run in the middle of the next measurement."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
            cursor.execute("CHECKPOINT")


@contextmanager
def sandbox(seed_path: Path):
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--seed", str(seed_path)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        url = None
        while time.monotonic() < deadline and url is None:
            line = process.stdout.readline()
            match = re.search(r"listening on (http://\S+)", line or "")
            if match:
                url = match.group(1).rstrip("/")
            elif not line and process.poll() is not None:
                raise RuntimeError("the sandbox exited before listening")
        if url is None:
            raise RuntimeError("the sandbox did not start in time")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
