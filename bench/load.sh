#!/usr/bin/env bash
# Load test (README "Load test"): 50 staff browsing and entering decisions for a bounded time,
# against gunicorn with the production settings on a throw-away PostgreSQL (or SQLite file)
# holding the demo.
#
#   bash bench/load.sh            (or: make load)
#
# 1. installs locust (the `bench` dependency group, which CI never installs);
# 2. starts a throw-away PostgreSQL (scripts/pg_test_server.sh), migrates, loads the demo;
# 3. starts gunicorn on 127.0.0.1 (a free port) with DJANGO_DEBUG=false and $LOAD_WORKERS
#    workers; the HTTPS redirect, secure cookies, CSRF checks and django-axes stay on: locust
#    sends X-Forwarded-Proto: https, as the TLS-ending proxy in front of the app does;
# 4. runs locust headless: $LOAD_USERS users (50), spawned $LOAD_SPAWN_RATE (2) a second, each
#    signing in through the form, for $LOAD_SECONDS (150) seconds in all; the statistics start
#    once all have signed in (the sign-ins, ~0.5 s of password hashing each, are reported
#    apart); each user finishes the request it is in before stopping (no submission cut off);
# 5. stops gunicorn, checks that the database holds exactly the submissions locust saw
#    accepted, prints p50/p95 per page against the targets (p95 <= 300 ms, no error), stops
#    PostgreSQL. Exits 1 when a target is missed or a submission was lost or duplicated.
#
# $LOAD_WORKERS (4) sets gunicorn's workers. LOAD_DATABASE=sqlite runs the same on a SQLite
# file instead of PostgreSQL. Output (the plan, the results, locust's log and
# CSV, gunicorn's log) goes to artifacts/load/ (git-ignored). Takes about 6 minutes, 3 of them
# loading the demo.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

USERS="${LOAD_USERS:-50}"
RUN_SECONDS="${LOAD_SECONDS:-150}"
SPAWN_RATE="${LOAD_SPAWN_RATE:-2}"
WORKERS="${LOAD_WORKERS:-4}"
OUT="$PWD/artifacts/load"
PY="$PWD/.venv/bin/python"

log() { printf 'load: %s\n' "$*" >&2; }

# The machine, and what keeps it busy (over one second; it may be shared with other work).
machine() {
    printf 'machine: %s cores, %s, load average %s\n' "$(nproc)" \
        "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
        "$(cut -d ' ' -f 1-3 /proc/loadavg)"
    top -b -c -n 2 -d 1 -w 130 | awk '/^top -/ { n++ } n == 2' | sed -n '3p;8,12p' \
        | cut -c 1-130 | sed 's/^/    /'
}

# Inside the PostgreSQL server's run (DATABASE_URL exported): everything else.
inside() {
    local port gunicorn_pid locust_pid status=0
    export DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=127.0.0.1 DJANGO_LOG_LEVEL=WARNING
    DJANGO_SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
    export DJANGO_SECRET_KEY
    export LOAD_PLAN="$OUT/plan.json" LOAD_RESULTS="$OUT/results.json"

    log "migrate, load the demo, collect the static files, plan"
    "$PY" manage.py migrate --noinput -v 0
    SECONDS=0
    "$PY" manage.py load_demo >/dev/null
    log "demo loaded in ${SECONDS}s"
    "$PY" manage.py collectstatic --noinput -v 0
    "$PY" bench/load_data.py plan "$LOAD_PLAN"

    port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$PWD/.venv/bin/gunicorn" thotnot_members.wsgi --workers "$WORKERS" \
        --bind "127.0.0.1:$port" --error-logfile "$OUT/gunicorn.log" &
    gunicorn_pid=$!
    trap 'kill "$gunicorn_pid" 2>/dev/null || true' EXIT
    for _ in $(seq 1 50); do
        "$PY" - "$port" <<'PY' && break
import sys, urllib.request
request = urllib.request.Request(
    f"http://127.0.0.1:{sys.argv[1]}/accounts/login/", headers={"X-Forwarded-Proto": "https"}
)
try:
    sys.exit(urllib.request.urlopen(request, timeout=2).status != 200)
except OSError:
    sys.exit(1)
PY
        sleep 0.2
    done
    log "gunicorn ($WORKERS workers) on 127.0.0.1:$port; locust: $USERS users for ${RUN_SECONDS}s"

    "$PWD/.venv/bin/locust" -f bench/locustfile.py --headless --host "http://127.0.0.1:$port" \
        --users "$USERS" --spawn-rate "$SPAWN_RATE" --run-time "${RUN_SECONDS}s" --stop-timeout 30 \
        --csv "$OUT/locust" --only-summary --loglevel WARNING >"$OUT/locust.log" 2>&1 &
    locust_pid=$!
    # What else the machine does while the users work (mid-run).
    sleep "$((RUN_SECONDS / 2))"
    machine
    wait "$locust_pid" || true

    kill "$gunicorn_pid"
    wait "$gunicorn_pid" || true
    trap - EXIT
    if [ -s "$OUT/locust_failures.csv" ] && [ "$(wc -l <"$OUT/locust_failures.csv")" -gt 1 ]; then
        log "failures (locust_failures.csv):"
        cat "$OUT/locust_failures.csv" >&2
    fi
    "$PY" bench/load_data.py check "$LOAD_PLAN" "$LOAD_RESULTS" || status=$?
    return "$status"
}

if [ "${1:-}" = "--inside" ]; then
    inside
    exit
fi

UV="$(bash scripts/ensure_uv.sh)"
"$UV" sync --frozen --group bench --quiet
rm -rf "$OUT"
mkdir -p "$OUT"
machine
if [ "${LOAD_DATABASE:-postgresql}" = sqlite ]; then
    # The embedded default, as a district may run it: one file, gunicorn's workers writing
    # to it at once.
    export DATABASE_URL="sqlite:///$OUT/load.sqlite3"
    inside
    exit
fi
exec bash scripts/pg_test_server.sh run -- bash "${BASH_SOURCE[0]}" --inside
