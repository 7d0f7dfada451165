#!/usr/bin/env bash
# Runs the sandbox (Bitbucket stand-in), the app and a django-q2 cluster in the foreground.
# STRATA_PORT / SANDBOX_PORT move them (scripts/demo-env.sh says what follows).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/demo-env.sh
PY=.venv/bin/python
mkdir -p .demo

$PY manage.py migrate --noinput -v0
$PY manage.py demo_user --email demo@strata.local --password strata-demo

# Each child leads its own process group (setsid), so stopping it reaches its workers too.
pids=()
alive() { local pid; for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
stop() {
  # Ignore further signals while stopping: `make demo` stopped by a signal to its whole group
  # delivers it twice (from the sender and from make), and a second one must not cut this short.
  trap - EXIT
  trap '' INT TERM
  local pid i
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  # TERM lets the sandbox save its state; whatever is still running after 10 s (a cluster stuck
  # while stopping) is killed with its whole group, so the demo always ends and frees its ports.
  for ((i = 0; i < 100; i++)); do alive || break; sleep 0.1; done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'stop' EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

setsid $PY -m sandbox --port "$SANDBOX_PORT" --seed sandbox/seeds/demo.json --state .demo/sandbox-state.pickle \
  --callback-url "$BITBUCKET_OAUTH_KEY=$DEMO_CALLBACK_URL" & pids+=($!)
setsid $PY manage.py qcluster & pids+=($!)
setsid $PY manage.py runserver "127.0.0.1:$STRATA_PORT" --noreload & pids+=($!)

cat <<MSG

  Strata     $PUBLIC_URL   sign in as demo@strata.local / strata-demo
  Bitbucket  $BITBUCKET_WEB_URL   (the sandbox; on its consent page pick a Bitbucket user and Grant access)
  Ctrl-C (or SIGTERM) stops everything.

MSG
wait -n "${pids[@]}"
