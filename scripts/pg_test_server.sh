#!/usr/bin/env bash
# A throw-away PostgreSQL server for the test suite: a new cluster in a temporary folder,
# listening on 127.0.0.1 only (default port 54329, socket in that folder), fsync off.
#
#   scripts/pg_test_server.sh run -- CMD [ARG...]  start, run CMD with DATABASE_URL exported,
#                                                  stop and remove the folder whatever CMD
#                                                  does; exits with CMD's status
#   scripts/pg_test_server.sh start                start; prints `export DATABASE_URL=...`
#                                                  (eval "$(scripts/pg_test_server.sh start)")
#   scripts/pg_test_server.sh stop                 stop the server on PG_TEST_PORT, remove its
#                                                  folder
#   scripts/pg_test_server.sh available            exit 0 when the PostgreSQL binaries exist
#
# Several runs can share a machine: `run` takes the first free port from PG_TEST_PORT upwards
# (claiming it with a state file, $PG_TEST_BASE/thotnot-pg-test-PORT.path). A server whose `run`
# died without cleaning up (SIGKILL) is stopped and removed by the next run that finds it.
#
# The cluster is created with `--locale-provider=icu --icu-locale=vi-VN` (Vietnamese sorting),
# or with plain C.UTF-8 where ICU is not supported. The app's role has CREATEDB (pytest-django
# creates test_<name>) and a password, used over TCP (scram-sha-256).
#
# initdb and pg_ctl refuse to run as root: as root the server runs as the `postgres` OS user
# (`su postgres -s /bin/sh -c ...`); as anyone else it runs as that user.
#
# Environment: PG_TEST_PORT (54329), PG_TEST_DB (thotnot), PG_TEST_USER (thotnot),
# PG_TEST_PASSWORD, PG_TEST_BASE (/tmp; the postgres user must be able to reach it),
# PG_BINDIR (default: newest /usr/lib/postgresql/*/bin).
set -euo pipefail

PORT="${PG_TEST_PORT:-54329}"
DB_NAME="${PG_TEST_DB:-thotnot}"
DB_USER="${PG_TEST_USER:-thotnot}"
DB_PASSWORD="${PG_TEST_PASSWORD:-thotnot-test-only}"
BASE="${PG_TEST_BASE:-/tmp}"
DATABASE_URL_VALUE=""
CLAIMED_PORT=""

log() { printf 'pg_test_server: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        [ -x "$PG_BINDIR/initdb" ] && printf '%s\n' "$PG_BINDIR" && return 0
        return 1
    fi
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        printf '%s\n' "$dir"
        return 0
    fi
    # Other distributions put initdb on PATH.
    dir="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && printf '%s\n' "$dir" && return 0
    return 1
}

# Run a command as the server's OS user, from / (as `postgres`, the caller's working
# directory may be unreadable, and initdb/pg_ctl fail when they cannot resolve it).
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        su postgres -s /bin/sh -c "cd / && $(printf '%q ' "$@")"
    else
        (cd / && "$@")
    fi
}

state_file() { printf '%s/thotnot-pg-test-%s.path\n' "$BASE" "$1"; }

# The state file holds the folder (line 1) and the PID of the `run` that owns the server
# (line 2; empty for `start`).
stop_server() {
    local port="$1" file dir bindir
    file="$(state_file "$port")"
    [ -f "$file" ] || { log "no test server recorded for port $port"; return 0; }
    dir="$(sed -n 1p "$file")"
    case "$dir" in
        "") rm -f -- "$file"; return 0 ;; # claimed, but no folder made yet
        "$BASE"/thotnot-pg.*) ;;
        *) die "refusing to remove unexpected folder '$dir' (from $file)" ;;
    esac
    if [ -f "$dir/data/postmaster.pid" ]; then
        bindir="$(find_bindir)" || die "PostgreSQL binaries not found; cannot stop $dir"
        if ! as_server "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null; then
            log "fast shutdown failed; trying immediate"
            as_server "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null \
                || log "could not stop the server in $dir"
        fi
    fi
    rm -rf -- "$dir"
    rm -f -- "$file"
    log "stopped; removed $dir"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Claim PORT for a new server: 0 when claimed (state file written), 1 when it is taken.
claim_port() {
    local port="$1" owner="$2" file recorded_owner
    file="$(state_file "$port")"
    if [ -f "$file" ]; then
        recorded_owner="$(sed -n 2p "$file")"
        if [ -n "$recorded_owner" ] && [ -d "/proc/$recorded_owner" ]; then
            return 1 # another run is using it
        fi
        if [ -z "$recorded_owner" ] && port_in_use "$port"; then
            return 1 # started with `start`; only `stop` ends it
        fi
        log "port $port: removing a test server left behind by an earlier run"
        stop_server "$port"
    fi
    port_in_use "$port" && return 1
    # noclobber: of two runs racing for the port, one wins.
    (set -o noclobber; printf '\n%s\n' "$owner" >"$file") 2>/dev/null || return 1
    return 0
}

# Start a server on the first port from PORT that claim_port grants (only PORT when $2 is
# "exact"); sets PORT and DATABASE_URL_VALUE.
start_server() {
    local owner="$1" mode="$2" bindir dir data file last
    bindir="$(find_bindir)" || die "PostgreSQL is not installed (apt-get install -y postgresql)"
    case "$BASE" in /*) ;; *) die "PG_TEST_BASE must be an absolute path" ;; esac
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        die "running as root, but there is no 'postgres' OS user to run the server"
    fi

    last=$((PORT + 20))
    [ "$mode" = exact ] && last="$PORT"
    until claim_port "$PORT" "$owner"; do
        [ "$PORT" -lt "$last" ] || die "port $PORT on 127.0.0.1 is in use (set PG_TEST_PORT)"
        PORT=$((PORT + 1))
    done
    CLAIMED_PORT="$PORT"
    file="$(state_file "$PORT")"

    dir="$(mktemp -d "$BASE/thotnot-pg.XXXXXX")"
    chmod 700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    printf '%s\n%s\n' "$dir" "$owner" >"$file"
    data="$dir/data"

    local -a initdb=("$bindir/initdb" -D "$data" -U postgres --encoding=UTF8 --locale=C.UTF-8
        --auth-local=trust --auth-host=scram-sha-256 --no-sync --no-instructions)
    if as_server "${initdb[@]}" --locale-provider=icu --icu-locale=vi-VN >"$dir/initdb.log" 2>&1; then
        log "cluster created with ICU locale vi-VN ($("$bindir/postgres" --version))"
    else
        log "initdb with ICU failed (unsupported?); using plain C.UTF-8:"
        sed 's/^/    /' "$dir/initdb.log" | tail -n 5 >&2
        as_server rm -rf "$data"
        as_server "${initdb[@]}" >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi

    # The socket lives in the private (0700) folder, so local "trust" reaches nobody else.
    cat >>"$data/postgresql.conf" <<CONF

# thotnot test server
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF

    if ! as_server "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >/dev/null; then
        tail -n 20 "$dir/server.log" >&2 || true
        die "the server did not start"
    fi

    as_server "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$PORT" -U postgres \
        -d postgres >/dev/null <<SQL
CREATE ROLE "$DB_USER" LOGIN CREATEDB PASSWORD '$DB_PASSWORD';
CREATE DATABASE "$DB_NAME" OWNER "$DB_USER";
SQL
    DATABASE_URL_VALUE="postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
    log "listening on 127.0.0.1:$PORT (folder $dir)"
}

cmd="${1:-}"
[ "$#" -gt 0 ] && shift
case "$cmd" in
    start)
        start_server "" exact
        printf 'export DATABASE_URL=%q\n' "$DATABASE_URL_VALUE"
        ;;
    stop)
        stop_server "$PORT"
        ;;
    available)
        find_bindir >/dev/null
        ;;
    run)
        [ "${1:-}" = "--" ] && shift
        [ "$#" -gt 0 ] || die "usage: $0 run -- CMD [ARG...]"
        # Set before starting, so a half-started server is cleaned up too (only once this run
        # has claimed a port); the signal traps exit through the EXIT trap.
        trap '[ -z "$CLAIMED_PORT" ] || stop_server "$CLAIMED_PORT" || true' EXIT
        trap 'exit 129' HUP
        trap 'exit 130' INT
        trap 'exit 143' TERM
        start_server "$$" scan
        export DATABASE_URL="$DATABASE_URL_VALUE"
        status=0
        "$@" || status=$?
        exit "$status"
        ;;
    *)
        log "usage: $0 start | stop | available | run -- CMD [ARG...]"
        exit 2
        ;;
esac
