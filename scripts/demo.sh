#!/usr/bin/env bash
# Runs the sandbox (Bitbucket stand-in), the app and a django-q2 cluster in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG="${DEBUG:-1}"
export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/.demo/db.sqlite3}"
export BITBUCKET_WEB_URL="${BITBUCKET_WEB_URL:-http://127.0.0.1:8001}"
export BITBUCKET_API_URL="${BITBUCKET_API_URL:-http://127.0.0.1:8001}"
export BITBUCKET_OAUTH_KEY="${BITBUCKET_OAUTH_KEY:-strata-demo}"
export BITBUCKET_OAUTH_SECRET="${BITBUCKET_OAUTH_SECRET:-strata-demo-secret}"
export PUBLIC_URL="${PUBLIC_URL:-http://127.0.0.1:8000}"
PY=.venv/bin/python
mkdir -p .demo

$PY manage.py migrate --noinput -v0
$PY manage.py demo_user --email demo@strata.local --password strata-demo

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

$PY -m sandbox --port 8001 --seed sandbox/seeds/demo.json & pids+=($!)
$PY manage.py qcluster & pids+=($!)
$PY manage.py runserver 127.0.0.1:8000 --noreload & pids+=($!)

cat <<MSG

  Strata     http://127.0.0.1:8000   sign in as demo@strata.local / strata-demo
  Bitbucket  http://127.0.0.1:8001   (the sandbox; on its consent page pick a Bitbucket user and Grant access)
  Ctrl-C stops everything.

MSG
wait -n "${pids[@]}"
