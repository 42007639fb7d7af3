#!/usr/bin/env bash
# Write one archive from which a machine without package access installs the app (issue 29,
# "offline install"): the locked production wheels (no dev group) for Python 3.11 on this
# platform, the uv that wrote uv.lock, and the Debian packages the app needs.
#
#   scripts/bundle.sh OUT.tar.gz [DEB_PACKAGE...]     (make bundle)
#
# With no DEB_PACKAGE the archive has no debs/ folder (the CI check, which tests the Python
# part only). Debian packages: the ones named, and every package they depend on (Depends and
# Pre-Depends, recursively), less those of priority "required": debootstrap installs all of
# those on every Debian 12 system, containers included, so the bundle need not carry libc6.
# Recommends are left out, as `apt-get install --no-install-recommends` would. The versions are
# the ones this machine's apt lists offer (apt-get update first), for its architecture: build
# the bundle on the release the office runs (Debian 12).
#
# Installed by scripts/install_offline.sh (make install-offline BUNDLE=...), which is copied
# into the archive too.
set -euo pipefail

log() { printf 'bundle: %s\n' "$*" >&2; }

out="${1:?usage: scripts/bundle.sh OUT.tar.gz [DEB_PACKAGE...]}"
shift
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
repo="$(cd "$(dirname "$0")/.." && pwd)"
uv="$(bash "$repo/scripts/ensure_uv.sh")"

python=""
for candidate in python3.11 /usr/bin/python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
        && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
        && "$candidate" -m pip --version >/dev/null 2>&1; then
        python="$candidate"
        break
    fi
done
[ -n "$python" ] || { log "needs Python 3.11 with pip (apt-get install python3-pip)"; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$repo/pyproject.toml" | head -1)"
name="thotnot-bundle-$version"
dir="$work/$name"
mkdir -p "$dir/wheels"

# The production set, pinned with hashes: the install checks each wheel against uv.lock.
(cd "$repo" && "$uv" export --frozen --no-dev --no-emit-project --format requirements-txt \
    --quiet --output-file "$dir/requirements.txt")
# pip downloads wheels only (never an sdist, which would need a compiler), for this Python.
"$python" -m pip download --quiet --only-binary=:all: --no-deps --require-hashes \
    --requirement "$dir/requirements.txt" --dest "$dir/wheels" 2>&1 \
    | { grep -v 'is ignored: it is neither a file nor a directory' >&2 || true; }
log "$(find "$dir/wheels" -name '*.whl' | wc -l) wheels"

cp "$uv" "$dir/uv"
cp "$repo/scripts/install_offline.sh" "$dir/install.sh"

if [ "$#" -gt 0 ]; then
    mkdir -p "$dir/debs"
    mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests \
        --no-conflicts --no-breaks --no-replaces --no-enhances "$@" | grep -v '^[ <]' | sort -u)
    mapfile -t wanted < <(apt-cache show --no-all-versions "${closure[@]}" \
        | awk '/^Package:/ { p = $2 } /^Priority:/ { if ($2 != "required") print p }' | sort -u)
    # A required package that a bundled one needs at an exact version (perl needs perl-base
    # of its own version) comes too: the target's copy may be of another point release.
    mapfile -t pinned < <(apt-cache show --no-all-versions "${closure[@]}" \
        | sed -n 's/^\(Pre-\)\{0,1\}Depends: //p' | tr ',|' '\n\n' \
        | sed -n 's/^ *\([a-z0-9.+-]*\)\(:any\)\{0,1\} (= .*/\1/p' | sort -u)
    mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" "${pinned[@]}" | sort -u)
    (cd "$dir/debs" && apt-get download "${wanted[@]}" 2>&1 >/dev/null | { grep -v unsandboxed >&2 || true; })
    log "${#wanted[@]} Debian packages (${#closure[@]} in the closure, less priority required)"
fi

{
    echo "thotnot-members $version offline bundle"
    echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -m), $("$python" --version), $("$uv" --version)"
    echo "install: tar -xzf $(basename "$out") && sudo $name/install.sh /opt/thotnot"
} >"$dir/BUNDLE.txt"

tar -C "$work" -czf "$out" "$name"
log "wrote $out ($(du -h "$out" | cut -f1))"
