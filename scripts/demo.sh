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

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$PY -m sandbox --port "$SANDBOX_PORT" --seed sandbox/seeds/demo.json --state .demo/sandbox-state.pickle \
  --callback-url "$BITBUCKET_OAUTH_KEY=$DEMO_CALLBACK_URL" & pids+=($!)
$PY manage.py qcluster & pids+=($!)
$PY manage.py runserver "127.0.0.1:$STRATA_PORT" --noreload & pids+=($!)

cat <<MSG

  Strata     $PUBLIC_URL   sign in as demo@strata.local / strata-demo
  Bitbucket  $BITBUCKET_WEB_URL   (the sandbox; on its consent page pick a Bitbucket user and Grant access)
  Ctrl-C stops everything.

MSG
wait -n "${pids[@]}"
