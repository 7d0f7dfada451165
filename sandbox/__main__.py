"""Command line: `python -m sandbox --port 8001 --seed FILE` serves the sandbox until interrupted."""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from sandbox.persist import state_load, state_save
from sandbox.seed import SeedError
from sandbox.server import Sandbox


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001, help="0 picks a free port")
    parser.add_argument("--seed", type=Path, help="seed JSON file (see sandbox/README.md)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--callback-url", action="append", default=[], metavar="KEY=URL",
                        help="give the seed's consumer KEY this callback URL (repeatable; kept on reset)")
    parser.add_argument("--state", type=Path, metavar="FILE",
                        help="keep tokens, hooks and commits in FILE across restarts (written on stop)")
    args = parser.parse_args(argv)
    callback_urls = {}
    for item in args.callback_url:
        key, _, url = item.partition("=")
        if not key or not url.startswith(("http://", "https://")):
            parser.error(f"--callback-url wants KEY=http(s)://…, got {item!r}")
        callback_urls[key] = url
    try:
        server = Sandbox((args.host, args.port), args.seed.resolve() if args.seed else None,
                         verbose=args.verbose, callback_urls=callback_urls)
    except SeedError as problem:
        print(f"sandbox: {problem}", file=sys.stderr)
        return 2
    if args.state:
        print(f"sandbox: {state_load(server.state, args.state)}", file=sys.stderr, flush=True)
    # `make demo` stops us with SIGTERM: leave through the same door as Ctrl-C, saving the state.
    signal.signal(signal.SIGTERM, _interrupt)
    # Tests and `make demo` wait for exactly this line.
    print(f"sandbox listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if args.state:
            state_save(server.state, args.state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
