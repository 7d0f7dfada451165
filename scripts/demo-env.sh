# Sourced by scripts/demo.sh (and its test): the demo's settings, all following two ports.
#   STRATA_PORT (default 8000) and SANDBOX_PORT (default 8001) move the app and the sandbox;
#   PUBLIC_URL, BITBUCKET_WEB_URL and BITBUCKET_API_URL follow them unless set, and the demo OAuth
#   consumer's callback URL follows PUBLIC_URL (the sandbox is told it with --callback-url).
export STRATA_PORT="${STRATA_PORT:-8000}"
export SANDBOX_PORT="${SANDBOX_PORT:-8001}"
for port in "$STRATA_PORT" "$SANDBOX_PORT"; do
  if ! [[ "$port" =~ ^[0-9]+$ ]] || (( port < 1 || port > 65535 )); then
    echo "demo: STRATA_PORT and SANDBOX_PORT must be port numbers (got '$port')" >&2
    return 2 2>/dev/null || exit 2
  fi
done
if [ "$STRATA_PORT" = "$SANDBOX_PORT" ]; then
  echo "demo: STRATA_PORT and SANDBOX_PORT must differ (both are $STRATA_PORT)" >&2
  return 2 2>/dev/null || exit 2
fi

# DEBUG stays off unless asked for: a demo shows Strata's own error pages, never Django's technical ones.
export DEBUG="${DEBUG:-0}"
export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/.demo/db.sqlite3}"
export PUBLIC_URL="${PUBLIC_URL:-http://127.0.0.1:$STRATA_PORT}"
export BITBUCKET_WEB_URL="${BITBUCKET_WEB_URL:-http://127.0.0.1:$SANDBOX_PORT}"
export BITBUCKET_API_URL="${BITBUCKET_API_URL:-http://127.0.0.1:$SANDBOX_PORT}"
export BITBUCKET_OAUTH_KEY="${BITBUCKET_OAUTH_KEY:-strata-demo}"
export BITBUCKET_OAUTH_SECRET="${BITBUCKET_OAUTH_SECRET:-strata-demo-secret}"
# Where Bitbucket sends the browser back after consent: what the app asks for (see
# integrations/bitbucket_provider/views.py) and what the sandbox's consumer accepts.
export DEMO_CALLBACK_URL="${PUBLIC_URL%/}/accounts/bitbucket/login/callback/"
