#!/usr/bin/env bash
# Install the Debian packages given as arguments, but only those that are missing (checked
# with `dpkg -s`); `apt-get update` runs only when something is missing. Not root and no
# password-less sudo, or no apt-get: print what is missing and exit 0 (skip, don't fail).
# As root, a failing apt-get fails the script.
set -euo pipefail

log() { printf 'system-deps: %s\n' "$*" >&2; }

if [ "$#" -eq 0 ]; then
    log "usage: $0 PACKAGE..."
    exit 2
fi

if ! command -v dpkg >/dev/null 2>&1; then
    log "no dpkg (not Debian?); skipping. Needed: $*"
    exit 0
fi

installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'; }

missing=()
for package in "$@"; do
    installed "$package" || missing+=("$package")
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "all present ($*)"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    log "missing ${missing[*]}, but not root (and no password-less sudo); skipping."
    log "install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    log "missing ${missing[*]}, but apt-get is not available; skipping."
    exit 0
fi

log "installing ${missing[*]}"
# Through env: sudo drops the caller's environment.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
log "installed ${missing[*]}"
