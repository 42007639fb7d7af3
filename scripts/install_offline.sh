#!/usr/bin/env bash
# Install the app's packages from a bundle written by scripts/bundle.sh (make bundle), on a
# machine without package access: never asks an index or the network.
#
#   scripts/install_offline.sh BUNDLE [APP_DIR]      (make install-offline BUNDLE=...)
#
# BUNDLE is the .tar.gz or the folder it unpacks to; APP_DIR (default: the checkout this script
# is in, else the current folder) gets .venv. Steps: as root, `dpkg -i` the bundle's Debian
# packages (skipped with SKIP_DEBS=1, or when not root: then they are only listed); uv is
# copied to $UV_BIN_DIR, else /usr/local/bin (root) or ~/.local/bin, where scripts/ensure_uv.sh finds it; then
# APP_DIR/.venv is made on the system's Python 3.11 and filled from the bundle's wheels with
# uv offline (UV_OFFLINE, no index, hashes checked against the bundle's requirements.txt).
set -euo pipefail

log() { printf 'install_offline: %s\n' "$*" >&2; }

bundle="${1:?usage: install_offline.sh BUNDLE [APP_DIR]}"
here="$(cd "$(dirname "$0")" && pwd)"
if [ -n "${2:-}" ]; then
    app="$2"
elif [ -f "$here/../pyproject.toml" ]; then
    app="$(cd "$here/.." && pwd)"
else
    app="$PWD"
fi

work=""
trap '[ -z "$work" ] || rm -rf "$work"' EXIT
if [ -d "$bundle" ]; then
    dir="$(cd "$bundle" && pwd)"
else
    work="$(mktemp -d)"
    tar -C "$work" -xzf "$bundle"
    dir="$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)"
fi
[ -f "$dir/requirements.txt" ] && [ -x "$dir/uv" ] || { log "$bundle is not a bundle"; exit 1; }

if [ -d "$dir/debs" ] && [ "${SKIP_DEBS:-0}" != 1 ]; then
    if [ "$(id -u)" = 0 ]; then
        log "installing $(find "$dir/debs" -name '*.deb' | wc -l) Debian packages"
        # One dpkg run, so it orders the packages by their dependencies itself.
        dpkg -i --skip-same-version "$dir"/debs/*.deb >/dev/null
    else
        log "not root: the Debian packages are not installed (run again as root, or dpkg -i):"
        find "$dir/debs" -name '*.deb' -printf '  %f\n' >&2
    fi
fi

if [ -n "${UV_BIN_DIR:-}" ]; then bin="$UV_BIN_DIR"
elif [ "$(id -u)" = 0 ]; then bin=/usr/local/bin
else bin="$HOME/.local/bin"; fi
mkdir -p "$bin"
install -m 0755 "$dir/uv" "$bin/uv"
uv="$bin/uv"

export UV_OFFLINE=1 UV_NO_INDEX=1 UV_PYTHON_DOWNLOADS=never UV_NO_CONFIG=1
unset UV_INDEX UV_INDEX_URL UV_DEFAULT_INDEX UV_EXTRA_INDEX_URL VIRTUAL_ENV
python="${UV_PYTHON:-$(command -v python3.11 || true)}"
[ -n "$python" ] || { log "needs Python 3.11 (the bundle's python3.11 package, as root)"; exit 1; }
"$uv" venv --quiet --allow-existing --python "$python" "$app/.venv"
"$uv" pip sync --quiet --python "$app/.venv/bin/python" --find-links "$dir/wheels" \
    --require-hashes "$dir/requirements.txt"
log "installed $(find "$dir/wheels" -name '*.whl' | wc -l) packages into $app/.venv"
