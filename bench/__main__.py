"""`python -m bench [name …]`: run the benchmarks and print one JSON object per line."""
from __future__ import annotations

import sys

from bench.harness import emit, settle, setup_django, throwaway_database


def main(argv: list[str]) -> int:
    setup_django()
    from bench import disconnect, incremental, layers, sync

    benches = {"sync": sync.run, "disconnect": disconnect.run, "layers": layers.run, "incremental": incremental.run}
    chosen = argv or list(benches)
    failures = 0
    with throwaway_database():
        for name in chosen:
            try:
                settle()
                benches[name]()
            except Exception as exc:  # report and go on: one broken bench must not hide the others
                emit(name, error=f"{type(exc).__name__}: {exc}")
                failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
