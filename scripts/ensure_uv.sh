#!/usr/bin/env bash
# Print the absolute path of a working `uv` on stdout, installing it from PyPI with pip when
# there is none. Progress and errors go to stderr, so `UV=$(scripts/ensure_uv.sh)` works.
#
# Order: $UV_BIN, `uv` on PATH, ~/.local/bin/uv; otherwise `python3 -m pip install --user uv`
# (with --break-system-packages on Debian's externally managed Python). As root with apt,
# python3 and python3-pip are installed first when missing (a bare Debian 12 has neither).
set -euo pipefail

log() { printf 'ensure_uv: %s\n' "$*" >&2; }

works() { [ -n "$1" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

find_uv() {
    local candidate
    local -a candidates=("${UV_BIN:-}" "$(command -v uv 2>/dev/null || true)" "$HOME/.local/bin/uv")
    if command -v python3 >/dev/null 2>&1; then
        candidates+=(
            "$(python3 -c 'import site; print(site.getuserbase())' 2>/dev/null || true)/bin/uv"
            "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null || true)/uv"
        )
    fi
    for candidate in "${candidates[@]}"; do
        if works "$candidate"; then
            # An absolute path, so callers do not depend on PATH (or a pyenv rehash).
            case "$candidate" in
                /*) printf '%s\n' "$candidate" ;;
                *) printf '%s/%s\n' "$(cd "$(dirname "$candidate")" && pwd)" "$(basename "$candidate")" ;;
            esac
            return 0
        fi
    done
    return 1
}

apt_install() {
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        log "need $*, but cannot install them (not root, or no apt-get); install them and retry"
        exit 1
    fi
    log "installing $* with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "$@" >&2
}

if find_uv; then
    exit 0
fi

log "uv not found; installing it from PyPI with pip"
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    apt_install python3 python3-pip
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore
# Outside a virtualenv: --user, which leaves the system's Python untouched. Debian marks its
# Python "externally managed" (PEP 668); --break-system-packages lifts that for the user site.
pip_args=()
if python3 -c 'import sys; sys.exit(sys.prefix != sys.base_prefix)'; then
    pip_args+=(--user)
    if python3 -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'
    then
        pip_args+=(--break-system-packages)
    fi
fi
python3 -m pip install --quiet "${pip_args[@]}" uv >&2 \
    || { log "pip could not install uv"; exit 1; }

find_uv || { log "uv was installed but cannot be found; add ~/.local/bin to PATH"; exit 1; }
