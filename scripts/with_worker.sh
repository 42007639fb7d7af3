#!/usr/bin/env bash
# Run a command (the web server) with a background-task worker beside it, and stop the worker
# when the command ends, however it ends (Ctrl-C included).
#
#   scripts/with_worker.sh PYTHON CMD [ARG...]
#
# The worker is `manage.py run_worker` (django-tasks' db_worker that waits out a busy database
# and writes a heartbeat: members/worker.py; checks and commits of uploaded rosters);
# it runs with the same environment, so the same database and settings as the command.
set -euo pipefail

python="$1"
shift
"$python" manage.py run_worker --verbosity 1 &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
"$@"
